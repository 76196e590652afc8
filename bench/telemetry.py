"""Telemetry throughput: the cloud's ingest with receipts, bare inserts, and the hub's relay.

ingest_per_s_sqlite / ingest_per_s_postgres: readings per second through the HTTP API of
``python -m cloud_connector serve`` (its own process): a hub-signed POST of 500 meter-signed
packets, verified, committed, and answered with one signed storage receipt per reading
(the client parses the answer, it does not verify receipts). Best of three rounds.
raw_insert_per_s_postgres: the same rows inserted into the same PostgreSQL table in
batches of 500 by SQLAlchemy Core in this process, one transaction per batch: what the
database alone costs. hub_relay_per_s: readings per second from ``measure`` on simulated
meters to erased on those meters, end to end: zigpy over the simulated radio, the durable
outbox, the cloud (SQLite, in process), erase commands back over the radio.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import tempfile
import time
from pathlib import Path

import aiohttp
from sqlalchemy import delete, insert

from bench.cloud_process import CloudProcess
from bench.relay_chain import relay_chain
from buildinghub.credentials import MonotonicClock, SigningKey
from buildinghub.telemetry.reading import Quantity, ReadingPacket
from buildinghub.telemetry.request_signing import sign_request
from buildinghub_sim.meter_firmware import MeterFirmware
from cloud_connector.database import open_engine
from cloud_connector.loopback_postgres import LoopbackPostgres
from cloud_connector.schema import readings

BATCH = 500


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


async def _ingest(
    db_url: str, folder: Path, readings_total: int
) -> tuple[float, list[ReadingPacket]]:
    cloud_key, hub_key = SigningKey.generate(), SigningKey.generate()
    (folder / "cloud.pem").write_bytes(cloud_key.to_pem())
    meters = _meters(20, cloud_key)
    cloud = CloudProcess(db_url, folder / "cloud.pem")
    await cloud.start()
    best = 0.0
    try:
        await cloud.enrol(hub_key, meters)
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
                started = time.perf_counter()
                for body in bodies:
                    headers = sign_request(hub_key, "POST", "/v1/readings", body, int(time.time()))
                    async with session.post(
                        cloud.url + "/v1/readings", data=body, headers=headers
                    ) as r:
                        answer = await r.json()
                        assert r.status == 200, answer
                        assert answer["receipt"] and not answer["refused"], answer
                best = max(best, len(packets) / (time.perf_counter() - started))
    finally:
        await cloud.kill()
    return best, all_packets


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
            sqlite_rate, _ = await _ingest(
                f"sqlite:///{folder / 'cloud.db'}", folder, readings_total
            )
            pg_url = server.create_database()
            pg_rate, packets = await _ingest(pg_url, folder, readings_total)
            raw_rate = await _raw_inserts(pg_url, packets[-readings_total:])
            relay_rate = await relay_chain(folder, relay_readings)
    finally:
        server.stop()
    return {
        "ingest_per_s_sqlite": round(sqlite_rate),
        "ingest_per_s_postgres": round(pg_rate),
        "raw_insert_per_s_postgres": round(raw_rate),
        "ingest_vs_raw_postgres": round(pg_rate / raw_rate, 3),
        "hub_relay_per_s": round(relay_rate, 1),
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
