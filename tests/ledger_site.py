"""A cloud connector serving the key ledger, with three witnesses on loopback, for tests."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from buildinghub.credentials import SigningKey
from buildinghub.credentials.clock import MonotonicClock
from buildinghub.keylog.client import LedgerClient
from buildinghub.keylog.signers import LogNoteSigner, WitnessNoteKey, WitnessNoteSigner
from buildinghub.keylog.witness import Witness
from cloud_connector.ledger import LedgerSettings
from cloud_connector.witness_service import make_witness_app
from tests.cloud_site import CloudSite, cloud_site

ORIGIN = "ledger.elm-court.example/log"


@dataclass
class RunningWitness:
    """A witness serving on loopback: its URL and public key."""

    url: str
    key: WitnessNoteKey
    runner: web.AppRunner | None = None


@dataclass
class LedgerSite:
    """The connector with its ledger, the witnesses, and ledger clients (hub and anonymous)."""

    site: CloudSite
    signer: LogNoteSigner
    witnesses: list[RunningWitness]
    hub: LedgerClient
    anyone: LedgerClient
    # The building's enrolling station, once a test registered one (tests/cloud_connector/people).
    station: SigningKey | None = None

    @property
    def url(self) -> str:
        return self.site.cloud.url

    @property
    def witness_keys(self) -> list[WitnessNoteKey]:
        return [w.key for w in self.witnesses]


async def start_witness(
    directory: Path, number: int, log: LogNoteSigner, key: SigningKey | None = None
) -> RunningWitness:
    """A witness as an aiohttp app in this process, on a free loopback port."""
    signer = WitnessNoteSigner(f"witness-{number}.example", key or SigningKey.generate())
    witness = Witness(signer, log.verifier, directory / f"witness-{number}.json", MonotonicClock())
    runner = web.AppRunner(make_witness_app(witness), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server = site._server
    assert isinstance(server, asyncio.Server)
    port = server.sockets[0].getsockname()[1]
    return RunningWitness(f"http://127.0.0.1:{port}", signer.verifier, runner)


@asynccontextmanager
async def ledger_site(
    database_url: str,
    directory: Path,
    *,
    signer: LogNoteSigner | None = None,
    witnesses: list[RunningWitness] | None = None,
    payment_secret: bytes | None = None,
) -> AsyncIterator[LedgerSite]:
    """Serve the connector with a ledger witnessed by three in-process witnesses (default)."""
    signer = signer or LogNoteSigner(ORIGIN, SigningKey.generate())
    witnesses = witnesses or [await start_witness(directory, n, signer) for n in range(3)]
    try:
        settings = LedgerSettings(signer, tuple(w.url for w in witnesses))
        async with cloud_site(database_url, ledger=settings, payment_secret=payment_secret) as site:
            yield LedgerSite(
                site,
                signer,
                witnesses,
                LedgerClient(site.session, site.cloud.url, hub_key=site.hub_key),
                LedgerClient(site.session, site.cloud.url),
            )
    finally:
        for witness in witnesses:
            if witness.runner is not None:
                await witness.runner.cleanup()


def witness_process(
    directory: Path, number: int, log_public_key: str, port: int
) -> subprocess.Popen[str]:
    """``python -m cloud_connector witness`` as its own process (stop it with terminate)."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cloud_connector",
            "witness",
            "--name",
            f"witness-{number}.example",
            "--key",
            str(directory / f"witness-{number}.pem"),
            "--state",
            str(directory / f"witness-{number}.json"),
            "--origin",
            ORIGIN,
            "--log-public-key",
            log_public_key,
            "--port",
            str(port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
