"""Fault harness: randomized trials over the whole telemetry chain; nothing may be lost.

Each trial runs the cloud connector (``python -m cloud_connector serve``) and the hub
(:mod:`bench.fault_hub`: outbox + relay) as processes of their own, and the meters
(reference firmware) in this process behind a unix socket. Between hub and cloud sits
a proxy. Faults, at random: ``kill -9`` of the hub; ``kill -9`` of the cloud, often
while a request is being committed; the cloud down for hours of meter time (the
meters' clock runs 5 simulated minutes per step, retry period 15 minutes, retry limit
96 periods); HTTP requests dropped before or after the cloud handled them, duplicated,
and delayed so they arrive after the hub's retry (reordered); meter frames dropped,
pulled readings reordered or missing, erase commands duplicated and their answers lost.
Then faults stop and the chain drains (in seconds, so the meters' clock stands still).

``faults_total`` counts every fault injected, each where it fired (a reorder only of two or
more frames, a radio drop only of a request that came); ``faults`` has them by kind. With
the default 160 steps a trial injects about 120, so ``--trials 100`` passes 10,000.

Counted over every reading every meter took:
- ``lost``: neither in the cloud's database, nor still held by its meter, nor reported
  as a forced erasure (``forced_erasures`` counts those, ``forced_erasures_not_in_cloud``
  the ones the hub had not collected either).
- ``erased_before_receipt``: erased by an erase command although the cloud's database
  does not hold that exact packet.
- ``duplicates_stored``: rows beyond one per (meter, sequence), plus stored packets that
  differ from what the meter signed.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import random
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from sqlalchemy import func, select

from bench.cloud_process import CloudProcess, Process, free_port
from buildinghub.credentials import SigningKey
from buildinghub.telemetry.errors import TelemetryError
from buildinghub.telemetry.reading import Quantity, ReadingPacket
from buildinghub_sim.meter_firmware import MeterFirmware
from cloud_connector.database import open_engine
from cloud_connector.loopback_postgres import LoopbackPostgres
from cloud_connector.schema import conflicts, readings

ROOT = Path(__file__).resolve().parents[1]
STEP_S = 0.04
SIM_STEP = 300
RETRY_EVERY = 3
RETRY_LIMIT = 96
DRAIN_S = 60
METERS = (
    ("fault-e1", "1A", Quantity.ELECTRICITY),
    ("fault-w1", "1A", Quantity.WATER),
    ("fault-g2", "2B", Quantity.GAS),
    ("fault-e3", "3C", Quantity.ELECTRICITY),
)


class SimClock:
    """The meters' clock: simulated seconds."""

    def __init__(self) -> None:
        self.time = 1_767_225_600

    def now(self) -> int:
        return self.time


@dataclass
class Tally:
    """Totals over all trials, and what each fault fired."""

    trials: int = 0
    readings: int = 0
    lost: int = 0
    erased_before_receipt: int = 0
    duplicates_stored: int = 0
    forced_erasures: int = 0
    forced_not_stored: int = 0
    still_held: int = 0
    conflicts_flagged: int = 0
    faults: dict[str, int] = field(default_factory=dict)

    def fault(self, name: str) -> None:
        self.faults[name] = self.faults.get(name, 0) + 1


class Trial:
    """One randomized run of the whole chain."""

    def __init__(self, rng: random.Random, tally: Tally, db_url: str, workdir: Path) -> None:
        self.rng = rng
        # The schedule (measurements, outages, kills) draws from its own generator: the radio
        # and network faults draw from rng as requests happen to interleave, and must not shift
        # which processes a seed kills.
        self.schedule = random.Random(rng.getrandbits(64))
        self.tally = tally
        self.db_url = db_url
        self.dir = workdir
        self.clock = SimClock()
        self.cloud_key = SigningKey.generate()
        self.hub_key = SigningKey.generate()
        self.meters: dict[str, MeterFirmware] = {}
        self.measured: dict[tuple[str, int], bytes] = {}
        self.erased: dict[tuple[str, int], bytes] = {}
        self.forced: set[tuple[str, int]] = set()
        self.faulty = True
        self.proxy_port = free_port()
        self.socket = str(workdir / "meters.sock")
        self._background: set[asyncio.Task[Any]] = set()
        self.cloud: CloudProcess | None = None
        self.hub: Process | None = None

    # -- the meters and their faulty radio ---------------------------------------------------

    def _make_meters(self) -> None:
        for meter_id, dwelling, quantity in METERS:
            firmware = MeterFirmware(
                meter_id,
                dwelling=dwelling,
                quantity=quantity,
                key=SigningKey.generate(),
                cloud_key=self.cloud_key.public_key,
                clock=self.clock,
                retry_limit=RETRY_LIMIT,
            )
            firmware.add_erase_listener(self._erased)
            self.meters[meter_id] = firmware

    def _erased(self, packet: ReadingPacket, forced: bool) -> None:
        if forced:
            self.forced.add(packet.key)
        else:
            self.erased[packet.key] = packet.digest

    def _chance(self, p: float) -> bool:
        return self.faulty and self.rng.random() < p

    async def _radio(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            line = await reader.readline()
            if not line:
                return
            if self._chance(0.04):
                self.tally.fault("radio_request_dropped")
                return
            request = json.loads(line)
            answer = self._answer(request)
            if answer is None:
                return
            writer.write(json.dumps(answer).encode() + b"\n")
            await writer.drain()
        except ConnectionError:
            # The hub was killed mid-request: its answer is lost, as a radio answer sent to a
            # hub that died is. Whatever the meter did stands; the hub asks again later.
            return
        finally:
            writer.close()

    def _answer(self, request: dict[str, Any]) -> dict[str, Any] | None:
        if request.get("op") == "pull":
            firmware = self.meters[request["meter"]]
            packets: list[ReadingPacket] = []
            after = int(request["after"])
            while len(packets) < 32 and (packet := firmware.held_after(after)) is not None:
                packets.append(packet)
                after = packet.reading.sequence
            if packets and self._chance(0.1):
                self.tally.fault("radio_frame_lost")
                packets.pop(self.rng.randrange(len(packets)))
            if len(packets) > 1 and self._chance(0.15):
                self.tally.fault("radio_reordered")
                self.rng.shuffle(packets)
            return {"packets": [base64.b64encode(p.encoded).decode() for p in packets]}
        command = base64.b64decode(request["receipt"])
        firmware = self.meters[request["meter"]]
        try:
            firmware.erase(command)
            answer: dict[str, Any] = {"ok": True}
        except TelemetryError as err:
            answer = {"refused": err.reason}
        if self._chance(0.05):
            self.tally.fault("erase_duplicated")
            with contextlib.suppress(TelemetryError):
                firmware.erase(command)
        if self._chance(0.05):
            self.tally.fault("erase_answer_lost")
            return None
        return answer

    # -- the cloud, and the faulty network in front of it ----------------------------------------

    async def _start_cloud(self) -> None:
        if self.cloud is None:
            self.cloud = CloudProcess(self.db_url, self.dir / "cloud.pem")
        await self.cloud.start()

    async def _kill_cloud_soon(self) -> None:
        await asyncio.sleep(self.rng.uniform(0, 0.02))
        if self.cloud is not None and self.cloud.running:
            self.tally.fault("cloud_killed_mid_request")
            await self.cloud.kill()

    async def _forward(
        self, session: aiohttp.ClientSession, request: web.Request, body: bytes
    ) -> tuple[int, bytes]:
        async with session.request(
            request.method,
            f"{self._cloud().url}{request.path}",
            data=body,
            headers={k: v for k, v in request.headers.items() if k.lower().startswith("x-")}
            | {"Content-Type": "application/json"},
        ) as response:
            return response.status, await response.read()

    async def _proxy(self, request: web.Request) -> web.Response:
        body = await request.read()
        session: aiohttp.ClientSession = request.app["session"]
        if self._chance(0.04):
            self.tally.fault("http_request_dropped")
            return web.Response(status=502)
        if self._chance(0.05):
            # Answer the hub at once, deliver later: its retry overtakes this one.
            self.tally.fault("http_delayed_reordered")
            self._spawn(self._late(session, request, body))
            return web.Response(status=502)
        if self._chance(0.05):
            self._spawn(self._kill_cloud_soon())
        try:
            status, data = await self._forward(session, request, body)
            if self._chance(0.05):
                self.tally.fault("http_duplicated")
                status, data = await self._forward(session, request, body)
        except aiohttp.ClientError:
            return web.Response(status=502)
        if self._chance(0.05):
            self.tally.fault("http_answer_lost")
            return web.Response(status=502)
        return web.Response(status=status, body=data, content_type="application/json")

    async def _late(
        self, session: aiohttp.ClientSession, request: web.Request, body: bytes
    ) -> None:
        await asyncio.sleep(self.rng.uniform(0.05, 0.5))
        with contextlib.suppress(aiohttp.ClientError):
            await self._forward(session, request, body)

    def _spawn(self, work: Any) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # -- the hub --------------------------------------------------------------------------------

    def _hub_process(self) -> Process:
        argv = [
            "-m",
            "bench.fault_hub",
            "--outbox",
            str(self.dir / "outbox.db"),
            "--cloud",
            f"http://127.0.0.1:{self.proxy_port}",
            "--meters",
            self.socket,
            "--hub-key",
            str(self.dir / "hub.pem"),
            "--cloud-key",
            self.cloud_key.public_key.to_bytes().hex(),
        ]
        for meter_id in self.meters:
            argv += ["--meter-id", meter_id]
        return Process(argv)

    def _cloud(self) -> CloudProcess:
        assert self.cloud is not None
        return self.cloud

    # -- the run --------------------------------------------------------------------------------

    async def run(self, steps: int) -> None:
        self._make_meters()
        radio = await asyncio.start_unix_server(self._radio, path=self.socket)
        app = web.Application()
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
            app["session"] = session
            app.router.add_route("*", "/{tail:.*}", self._proxy)
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", self.proxy_port).start()
            try:
                (self.dir / "cloud.pem").write_bytes(self.cloud_key.to_pem())
                (self.dir / "hub.pem").write_bytes(self.hub_key.to_pem())
                await self._start_cloud()
                await self._cloud().enrol(self.hub_key, self.meters.values())
                self.hub = self._hub_process()
                await self.hub.start()
                await self._faulty_phase(steps)
                await self._drain()
            finally:
                for task in list(self._background):
                    task.cancel()
                for process in (self.hub, self.cloud):
                    if process is not None:
                        await process.kill()
                await runner.cleanup()
                radio.close()
                await radio.wait_closed()
        await self._evaluate()

    def _tick(self, step: int) -> None:
        self.clock.time += SIM_STEP
        for firmware in self.meters.values():
            if self.schedule.random() < 0.7:
                packet = firmware.measure(self.schedule.randint(1, 500))
                self.measured[packet.key] = packet.digest
        if step % RETRY_EVERY == 0:
            for firmware in self.meters.values():
                firmware.retry_tick()

    async def _faulty_phase(self, steps: int) -> None:
        assert self.cloud is not None
        assert self.hub is not None
        outage_until = -1
        hub_back_at = -1
        for step in range(steps):
            self._tick(step)
            # Every step draws the same numbers, whatever is running, so a seed fixes them.
            outage, crash, hub_crash = (self.schedule.random() for _ in range(3))
            outage_steps, crash_steps, hub_steps = (
                self.schedule.randint(12, 48),
                self.schedule.randint(1, 3),
                self.schedule.randint(0, 4),
            )
            if self.cloud.running and outage < 0.02:
                self.tally.fault("cloud_outage_hours")
                await self.cloud.kill()
                outage_until = step + outage_steps
            elif self.cloud.running and crash < 0.03:
                self.tally.fault("cloud_killed")
                await self.cloud.kill()
                outage_until = step + crash_steps
            if not self.cloud.running and step >= outage_until:
                await self._start_cloud()
            if self.hub.running and hub_crash < 0.04:
                self.tally.fault("hub_killed")
                await self.hub.kill()
                hub_back_at = step + hub_steps
            if not self.hub.running and step >= hub_back_at:
                await self.hub.start()
            await asyncio.sleep(STEP_S)

    async def _drain(self) -> None:
        assert self.cloud is not None
        assert self.hub is not None
        self.faulty = False
        if not self.cloud.running:
            await self._start_cloud()
        if not self.hub.running:
            await self.hub.start()
        # The hub catches up in seconds: far less than one 15-minute retry period of the
        # meters, whose clock therefore stands still now.
        for _ in range(int(DRAIN_S / STEP_S)):
            if not any(f.memory for f in self.meters.values()):
                break
            await asyncio.sleep(STEP_S)

    async def _evaluate(self) -> None:
        engine = open_engine(self.db_url)
        try:
            async with engine.connect() as connection:
                rows = (
                    await connection.execute(
                        select(readings.c.meter_id, readings.c.sequence, readings.c.digest)
                    )
                ).all()
                flagged = (
                    await connection.execute(select(func.count()).select_from(conflicts))
                ).scalar_one()
        finally:
            await engine.dispose()
        stored: dict[tuple[str, int], bytes] = {}
        duplicates = 0
        for row in rows:
            key = (row.meter_id, int(row.sequence))
            if key in stored or bytes(row.digest) != self.measured.get(key):
                duplicates += 1
            stored[key] = bytes(row.digest)
        held = {
            (meter_id, sequence)
            for meter_id, firmware in self.meters.items()
            for sequence in firmware.memory
        }
        tally = self.tally
        tally.trials += 1
        tally.readings += len(self.measured)
        tally.lost += sum(
            1
            for key in self.measured
            if key not in stored and key not in held and key not in self.forced
        )
        tally.erased_before_receipt += sum(
            1 for key, digest in self.erased.items() if stored.get(key) != digest
        )
        tally.duplicates_stored += duplicates
        tally.forced_erasures += len(self.forced)
        tally.forced_not_stored += sum(1 for key in self.forced if key not in stored)
        tally.still_held += len(held)
        tally.conflicts_flagged += int(flagged)


async def run(trials: int, steps: int, seed: int, database: str) -> dict[str, object]:
    tally = Tally()
    rng = random.Random(seed)
    server = LoopbackPostgres() if database == "postgresql" else None
    if server is not None:
        server.start()
    started = time.monotonic()
    try:
        for _ in range(trials):
            with tempfile.TemporaryDirectory(prefix="buildinghub-faults-") as folder:
                workdir = Path(folder)
                url = server.create_database() if server else f"sqlite:///{workdir / 'cloud.db'}"
                await Trial(rng, tally, url, workdir).run(steps)
    finally:
        if server is not None:
            server.stop()
    return {
        "trials": tally.trials,
        "readings": tally.readings,
        "lost": tally.lost,
        "erased_before_receipt": tally.erased_before_receipt,
        "duplicates_stored": tally.duplicates_stored,
        "forced_erasures": tally.forced_erasures,
        "forced_erasures_not_in_cloud": tally.forced_not_stored,
        "still_held_after_drain": tally.still_held,
        "conflicts_flagged": tally.conflicts_flagged,
        "database": database,
        "steps_per_trial": steps,
        "seed": seed,
        "faults_total": sum(tally.faults.values()),
        "faults": dict(sorted(tally.faults.items())),
        "seconds": round(time.monotonic() - started, 1),
    }


def main(argv: list[str]) -> dict[str, object]:
    """``--trials N [--steps S] [--seed X] [--db sqlite|postgresql]``."""
    parser = argparse.ArgumentParser(prog="python -m bench faults")
    parser.add_argument("--trials", type=int, default=3)
    parser.add_argument("--steps", type=int, default=160, help="faulty steps per trial")
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args(argv)
    return asyncio.run(run(args.trials, args.steps, args.seed, args.db))
