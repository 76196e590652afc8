"""Several cloud connector processes on one PostgreSQL, behind a round-robin HTTP proxy, for tests.

Each replica is ``python -m cloud_connector serve`` as an operator runs it: its own process, the
same key files, the same database and witnesses. The proxy sends each request to the next
replica in turn, as a load balancer without sticky sessions does.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import aiohttp
from aiohttp import web
from yarl import URL

from buildinghub.credentials import SigningKey
from buildinghub.keylog.signers import LogNoteSigner
from tests.ledger_site import ORIGIN, RunningWitness, start_witness

PAYMENT_SECRET: Final = b"replicas' shared webhook secret"
STARTUP_TIMEOUT_S: Final = 60.0
# Headers about one connection, not the request: the proxy makes its own.
_HOP_BY_HOP: Final = frozenset(
    {"connection", "content-length", "host", "keep-alive", "transfer-encoding"}
)


def free_port() -> int:
    """A TCP port free on loopback now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RoundRobinProxy:
    """An HTTP proxy on loopback that forwards each request to the next upstream in turn."""

    def __init__(self, upstreams: Sequence[str]) -> None:
        """Forward to upstreams (base URLs), one request each in turn."""
        self._upstreams = list(upstreams)
        self._turn = itertools.count()
        self._session: aiohttp.ClientSession | None = None
        self._runner: web.AppRunner | None = None
        self.url = ""
        self.forwarded: Counter[str] = Counter()

    async def start(self) -> None:
        """Listen on a free loopback port (``url`` is then set)."""
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=0), auto_decompress=False
        )
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        port = free_port()
        await web.TCPSite(self._runner, "127.0.0.1", port).start()
        self.url = f"http://127.0.0.1:{port}"

    async def close(self) -> None:
        """Stop listening and close the upstream connections."""
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._session is not None
        upstream = self._upstreams[next(self._turn) % len(self._upstreams)]
        self.forwarded[upstream] += 1
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP}
        async with self._session.request(
            request.method,
            URL(upstream + request.raw_path, encoded=True),
            data=await request.read(),
            headers=headers,
        ) as answer:
            body = await answer.read()
            kept = {k: v for k, v in answer.headers.items() if k.lower() == "content-type"}
            return web.Response(status=answer.status, body=body, headers=kept)


@dataclass
class Replicas:
    """The running replicas, the proxy in front of them, and what they share."""

    urls: list[str]
    proxy: RoundRobinProxy
    database_url: str
    cloud_key: SigningKey
    signer: LogNoteSigner
    witnesses: list[RunningWitness]


def _replica(
    directory: Path, database_url: str, port: int, witnesses: Sequence[RunningWitness], log: Path
) -> subprocess.Popen[bytes]:
    argv = [
        sys.executable,
        "-m",
        "cloud_connector",
        "serve",
        "--db",
        database_url,
        "--port",
        str(port),
        "--key",
        str(directory / "cloud.pem"),
        "--ledger-key",
        str(directory / "ledger.pem"),
        "--ledger-origin",
        ORIGIN,
        "--payment-secret-file",
        str(directory / "payment-secret"),
    ]
    for witness in witnesses:
        argv += ["--witness", witness.url]
    with log.open("wb") as output:
        # Our interpreter running our module with arguments we built; no shell.
        return subprocess.Popen(
            argv,
            stdout=output,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )


async def _listening(process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while b"listening" not in await asyncio.to_thread(log.read_bytes):
        if process.poll() is not None or time.monotonic() > deadline:
            output = await asyncio.to_thread(log.read_text, errors="replace")
            raise AssertionError(f"a replica did not start:\n{output}")
        await asyncio.sleep(0.05)


@asynccontextmanager
async def replicas(
    database_url: str, directory: Path, count: int = 2, witness_count: int = 2
) -> AsyncIterator[Replicas]:
    """Start ``count`` replicas on one database (they migrate it themselves, at the same
    time), witnessed by ``witness_count`` witnesses, behind a round-robin proxy."""
    cloud_key, ledger_key = SigningKey.generate(), SigningKey.generate()
    (directory / "cloud.pem").write_bytes(cloud_key.to_pem())
    (directory / "ledger.pem").write_bytes(ledger_key.to_pem())
    (directory / "payment-secret").write_bytes(PAYMENT_SECRET)
    signer = LogNoteSigner(ORIGIN, ledger_key)
    witnesses = [await start_witness(directory, n, signer) for n in range(witness_count)]
    ports = [free_port() for _ in range(count)]
    logs = [directory / f"replica-{n}.log" for n in range(count)]
    processes = [
        _replica(directory, database_url, port, witnesses, log)
        for port, log in zip(ports, logs, strict=True)
    ]
    proxy = RoundRobinProxy([f"http://127.0.0.1:{port}" for port in ports])
    try:
        for process, log in zip(processes, logs, strict=True):
            await _listening(process, log)
        await proxy.start()
        yield Replicas(
            [f"http://127.0.0.1:{port}" for port in ports],
            proxy,
            database_url,
            cloud_key,
            signer,
            witnesses,
        )
    finally:
        await proxy.close()
        for process in processes:
            process.terminate()
        for process in processes:
            await asyncio.to_thread(process.wait, 10)
        for witness in witnesses:
            if witness.runner is not None:
                await witness.runner.cleanup()
