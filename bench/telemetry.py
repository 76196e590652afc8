"""Telemetry throughput: the cloud's ingest with receipts, its floors, and the hub's relay.

ingest_per_s_sqlite / ingest_per_s_postgres: readings per second through the HTTP API of
``python -m cloud_connector serve`` (its own process): a hub-signed POST of 500 meter-signed
packets, each verified, committed in one transaction, and answered with one signed batch
receipt and each meter's erase commands (the client parses the answer, it does not verify
it). Best of three rounds, per wall-clock second of the requests; ingest_per_cpu_s_*: the
same readings per CPU second spent by the cloud process and (on PostgreSQL) every process of
the database server over those requests, read from /proc. raw_es256_verify_per_s: bare ES256
verifications per CPU second of this process of a reading-sized message by ``cryptography``,
measured before each ingest round (best): the one cost per reading no design avoids;
ingest_vs_es256_postgres divides the wall-clock ingest rate by it, and
ingest_cpu_vs_es256_postgres the CPU one (CPU over CPU, so a machine busy with other work
slows both sides alike; goal at least 0.5). The JSON's ``rates`` says what each rate counts
and ``load_average_1min`` how busy the machine was at the end.
db_insert_in_process_per_s_postgres: the same rows inserted into the same PostgreSQL table
in batches of 500 by SQLAlchemy Core in THIS process, one transaction per batch, no HTTP, no
JSON, no verification: the database's own floor, not a like-for-like "raw ingest".
hub_relay_per_s: readings per second from ``measure`` on simulated meters to erased on those
meters, end to end: zigpy over the simulated radio, the durable outbox, the cloud (SQLite,
in process), erase commands back over the radio. air_bytes_per_reading /
air_frames_per_reading: every frame of our cluster on the simulated air in that relay, both
ways, per reading (APS payload bytes: the ZCL frame with its header; the MAC/NWK/APS headers
below it are not counted). payload_bytes_per_reading: each reading packet once plus each
accepted erase command once, per reading; air_vs_payload is the ratio (goal at most 1.5).
Those drain a backlog (every reading taken first); the one_per_meter_ figures relay 30
readings with each meter taking one reading before each relay round, as meters that read
less often than the hub relays do.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import aiohttp
import cbor2
from cryptography.hazmat.primitives.asymmetric.ec import ECDSA, SECP256R1, generate_private_key
from cryptography.hazmat.primitives.hashes import SHA256
from sqlalchemy import delete, insert

from bench.cloud_process import CloudProcess
from bench.es256 import rate
from bench.process_cpu import cpu_seconds
from bench.relay_chain import relay_chain
from buildinghub.credentials import MonotonicClock, SigningKey
from buildinghub.telemetry.reading import READING_TAG, Quantity, ReadingPacket
from buildinghub.telemetry.request_signing import sign_request
from buildinghub_sim.meter_firmware import MeterFirmware
from cloud_connector.database import open_engine
from cloud_connector.loopback_postgres import LoopbackPostgres
from cloud_connector.schema import readings

BATCH = 500
RATES: Final = {
    "ingest_per_s_*": "readings per wall-clock second of the bench's requests (the cloud "
    "connector in its own process; on a busy machine its waits for a core count here)",
    "ingest_per_cpu_s_*": "readings per CPU second (user + system) of the cloud connector's "
    "process plus, on PostgreSQL, every process of the database server, over the same "
    "requests; the bench process (the hub's side) is not counted",
    "raw_es256_verify_per_s": "bare ES256 verifies per CPU second of the bench process",
    "ingest_vs_es256_postgres": "ingest_per_s_postgres / raw_es256_verify_per_s (wall over CPU)",
    "ingest_cpu_vs_es256_postgres": "ingest_per_cpu_s_postgres / raw_es256_verify_per_s "
    "(CPU over CPU)",
    "db_insert_in_process_per_s_postgres": "rows per wall-clock second",
    "hub_relay_per_s": "readings per wall-clock second",
}


def _meters(count: int, cloud_key: SigningKey) -> list[MeterFirmware]:
    return [
        MeterFirmware(
            f"bench-{n:03d}",
            dwelling=f"D{n:03d}",
            quantity=Quantity.ELECTRICITY,
            key=SigningKey.generate(),
            cloud_key=cloud_key.public_key,
            clock=MonotonicClock(),
            capacity=100_000,
        )
        for n in range(count)
    ]


def _packets(meters: list[MeterFirmware], per_meter: int) -> list[ReadingPacket]:
    return [m.measure(7) for _ in range(per_meter) for m in meters]


def _raw_verify_rate(packet: ReadingPacket, seconds: float) -> float:
    """Bare ES256 verifies per second of a message the size of a reading's signed bytes."""
    message = READING_TAG + cbor2.loads(packet.encoded)[0]
    private_key = generate_private_key(SECP256R1())
    signature = private_key.sign(message, ECDSA(SHA256()))
    public_key = private_key.public_key()
    return rate(lambda: public_key.verify(signature, message, ECDSA(SHA256())), seconds)


@dataclass(frozen=True, slots=True)
class IngestFigures:
    """The best of three ingest rounds, each rate its own best."""

    per_wall_s: float
    """Readings per wall-clock second of the bench's requests."""
    per_cpu_s: float
    """Readings per CPU second of the cloud process plus the database server's processes."""
    raw_es256_per_cpu_s: float
    """Bare ES256 verifies per CPU second of the bench process."""
    packets: list[ReadingPacket]


async def _ingest(
    db_url: str, folder: Path, readings_total: int, database_pid: int | None = None
) -> IngestFigures:
    cloud_key, hub_key = SigningKey.generate(), SigningKey.generate()
    (folder / "cloud.pem").write_bytes(cloud_key.to_pem())
    meters = _meters(20, cloud_key)
    cloud = CloudProcess(db_url, folder / "cloud.pem")
    await cloud.start()
    best = best_cpu = raw_best = 0.0
    try:
        await cloud.enrol(hub_key, meters)
        assert cloud.process is not None
        serving = [cloud.process.pid]
        database = [] if database_pid is None else [database_pid]
        async with aiohttp.ClientSession() as session:
            all_packets: list[ReadingPacket] = []
            for _ in range(3):
                packets = _packets(meters, readings_total // len(meters))
                all_packets += packets
                bodies = [
                    json.dumps(
                        {
                            "packets": [
                                base64.b64encode(p.encoded).decode() for p in packets[i : i + BATCH]
                            ]
                        }
                    ).encode()
                    for i in range(0, len(packets), BATCH)
                ]
                raw_best = max(raw_best, _raw_verify_rate(packets[0], 1.0))
                cpu_before = cpu_seconds(serving, tree_of=database)
                started = time.perf_counter()
                for body in bodies:
                    headers = sign_request(hub_key, "POST", "/v1/readings", body, int(time.time()))
                    async with session.post(
                        cloud.url + "/v1/readings", data=body, headers=headers
                    ) as r:
                        answer = await r.json()
                        assert r.status == 200, answer
                        assert answer["receipt"], answer
                        assert not answer["refused"], answer
                best = max(best, len(packets) / (time.perf_counter() - started))
                spent = cpu_seconds(serving, tree_of=database) - cpu_before
                best_cpu = max(best_cpu, len(packets) / spent)
    finally:
        await cloud.kill()
    return IngestFigures(best, best_cpu, raw_best, all_packets)


async def _raw_inserts(db_url: str, packets: list[ReadingPacket]) -> float:
    engine = open_engine(db_url)
    rows = [
        {
            "meter_id": p.reading.meter_id,
            "sequence": p.reading.sequence,
            "digest": p.digest,
            "packet": p.encoded,
            "building": "Bench Court",
            "dwelling": p.reading.dwelling,
            "quantity": int(p.reading.quantity),
            "value": p.reading.value,
            "created_at": p.reading.created_at,
            "stored_at": 0,
        }
        for p in packets
    ]
    best = 0.0
    try:
        for _ in range(3):
            async with engine.begin() as connection:
                await connection.execute(delete(readings))
            started = time.perf_counter()
            for i in range(0, len(rows), BATCH):
                async with engine.begin() as connection:
                    await connection.execute(insert(readings), rows[i : i + BATCH])
            best = max(best, len(rows) / (time.perf_counter() - started))
    finally:
        await engine.dispose()
    return best


async def run(readings_total: int, relay_readings: int) -> dict[str, object]:
    server = LoopbackPostgres()
    server.start()
    try:
        with tempfile.TemporaryDirectory(prefix="buildinghub-bench-") as name:
            folder = Path(name)
            sqlite = await _ingest(f"sqlite:///{folder / 'cloud.db'}", folder, readings_total)
            pg_url = server.create_database()
            pg = await _ingest(pg_url, folder, readings_total, server.postmaster_pid)
            raw_rate = await _raw_inserts(pg_url, pg.packets[-readings_total:])
            relay = await relay_chain(folder, relay_readings)
            (folder / "trickle").mkdir()
            trickle = await relay_chain(folder / "trickle", 30, per_round=1)
    finally:
        server.stop()
    verify_rate = pg.raw_es256_per_cpu_s
    return {
        "ingest_per_s_sqlite": round(sqlite.per_wall_s),
        "ingest_per_s_postgres": round(pg.per_wall_s),
        "ingest_per_cpu_s_sqlite": round(sqlite.per_cpu_s),
        "ingest_per_cpu_s_postgres": round(pg.per_cpu_s),
        "raw_es256_verify_per_s": round(verify_rate),
        "ingest_vs_es256_postgres": round(pg.per_wall_s / verify_rate, 3),
        "ingest_cpu_vs_es256_postgres": round(pg.per_cpu_s / verify_rate, 3),
        "db_insert_in_process_per_s_postgres": round(raw_rate),
        "hub_relay_per_s": round(relay.readings / relay.seconds, 1),
        "air_bytes_per_reading": round(relay.air_bytes / relay.readings, 1),
        "payload_bytes_per_reading": round(relay.payload_bytes / relay.readings, 1),
        "air_vs_payload": round(relay.air_bytes / relay.payload_bytes, 3),
        "air_frames_per_reading": round(relay.air_frames / relay.readings, 2),
        "one_per_meter_air_bytes_per_reading": round(trickle.air_bytes / trickle.readings, 1),
        "one_per_meter_payload_bytes_per_reading": round(
            trickle.payload_bytes / trickle.readings, 1
        ),
        "one_per_meter_air_vs_payload": round(trickle.air_bytes / trickle.payload_bytes, 3),
        "one_per_meter_air_frames_per_reading": round(trickle.air_frames / trickle.readings, 2),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "rates": RATES,
        "readings_per_round": readings_total,
        "batch": BATCH,
        "relay_readings": relay_readings,
    }


def main(argv: list[str]) -> dict[str, object]:
    """``[--readings N] [--relay-readings M]``."""
    parser = argparse.ArgumentParser(prog="python -m bench telemetry")
    parser.add_argument("--readings", type=int, default=10_000, help="readings per ingest round")
    parser.add_argument("--relay-readings", type=int, default=300)
    args = parser.parse_args(argv)
    return asyncio.run(run(args.readings, args.relay_readings))
