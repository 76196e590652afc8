"""The cloud connector as a process of its own, for the benchmarks and the fault harness."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
from collections.abc import Iterable
from pathlib import Path

import aiohttp

from buildinghub.credentials import SigningKey
from buildinghub.telemetry.cloud_client import CloudClient
from buildinghub_sim.meter_firmware import MeterFirmware

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Process:
    """A child process started from the repository root, killed with SIGKILL."""

    def __init__(self, argv: list[str]) -> None:
        """``argv`` runs with this Python."""
        self.argv = [sys.executable, *argv]
        self.process: asyncio.subprocess.Process | None = None
        self.log: Path | None = None

    @property
    def running(self) -> bool:
        """Whether the process was started and has not ended."""
        return self.process is not None and self.process.returncode is None

    async def start(self) -> None:
        """Start it (output discarded, errors appended to ``log`` when one is set)."""
        log = self.log.open("ab") if self.log is not None else None
        try:
            self.process = await asyncio.create_subprocess_exec(
                *self.argv,
                cwd=ROOT,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=log if log is not None else asyncio.subprocess.DEVNULL,
            )
        finally:
            if log is not None:
                log.close()

    async def kill(self) -> None:
        """kill -9, and reap it."""
        if self.process is not None and self.process.returncode is None:
            os.kill(self.process.pid, signal.SIGKILL)
            await self.process.wait()


class CloudProcess(Process):
    """``python -m cloud_connector serve`` on a free loopback port."""

    def __init__(self, db_url: str, key_path: Path) -> None:
        """Serve ``db_url``, signing receipts with the key in ``key_path``."""
        self.db_url = db_url
        self.port = free_port()
        super().__init__(
            ["-m", "cloud_connector", "serve", "--db", db_url, "--port", str(self.port),
             "--key", str(key_path)]
        )  # fmt: skip
        self.log = key_path.parent / "cloud.log"

    @property
    def url(self) -> str:
        """Base URL of the API."""
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        """Start and wait until the API answers."""
        await super().start()
        async with aiohttp.ClientSession() as session:
            for _ in range(2400):
                with contextlib.suppress(aiohttp.ClientError):
                    async with session.get(self.url + "/v1/cloud-key"):
                        return
                if not self.running:
                    await super().start()
                await asyncio.sleep(0.025)
        tail = self.log.read_text()[-2000:] if self.log and self.log.exists() else ""
        raise RuntimeError(f"the cloud connector did not start: {tail}")

    async def enrol(self, hub_key: SigningKey, meters: Iterable[MeterFirmware]) -> None:
        """Enrol a hub with a token from the CLI, and register its meters."""
        enrol = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "cloud_connector", "enrol", "--db", self.db_url,
            "--building", "Bench Court", cwd=ROOT, stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        token = (await enrol.communicate())[0].decode().strip()
        async with aiohttp.ClientSession() as session:
            client = CloudClient(session, self.url, hub_key)
            await client.enrol(token)
            for firmware in meters:
                await client.register_meter(
                    firmware.meter_id, firmware.dwelling, firmware.quantity, firmware.public_key
                )
