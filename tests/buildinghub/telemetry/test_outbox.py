"""The hub's outbox: durable across restarts and kill -9, group-committed."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
from pathlib import Path

from buildinghub.credentials import SigningKey
from buildinghub.telemetry.outbox import Outbox, OutboxCounts
from buildinghub.telemetry.reading import Quantity, Reading, ReadingPacket, sign_reading
from buildinghub.telemetry.receipt import ReceiptEntry, issue_receipt

KEY = SigningKey.generate()


def packet(meter: str, sequence: int) -> ReadingPacket:
    return sign_reading(Reading(meter, sequence, Quantity.GAS, sequence * 10, 0, "2B"), KEY)


async def test_collected_readings_survive_a_restart(tmp_path: Path) -> None:
    outbox = await Outbox.open(tmp_path / "outbox.db")
    await outbox.add([packet("m1", 1), packet("m1", 2)])
    await outbox.close()

    reopened = await Outbox.open(tmp_path / "outbox.db")
    try:
        assert [p.key for p in await reopened.due(10)] == [("m1", 1), ("m1", 2)]
        assert await reopened.cursor("m1") == 2
    finally:
        await reopened.close()


async def test_an_outbox_of_per_reading_receipts_sends_those_readings_again(
    tmp_path: Path,
) -> None:
    # A version-1 outbox: a reading receipted with a per-reading receipt no meter takes now.
    outbox = await Outbox.open(tmp_path / "outbox.db")
    await outbox.add([packet("m1", 1), packet("m1", 2)])
    await outbox.close()
    with sqlite3.connect(tmp_path / "outbox.db") as db:
        db.execute("UPDATE readings SET state = 1, receipt = x'00' WHERE sequence = 1")
        db.execute("PRAGMA user_version=1")

    upgraded = await Outbox.open(tmp_path / "outbox.db")
    try:
        assert await upgraded.counts() == OutboxCounts(pending=2, receipted=0, refused=0)
        assert await upgraded.to_erase(10) == []
    finally:
        await upgraded.close()


async def test_concurrent_writes_share_commits(tmp_path: Path) -> None:
    outbox = await Outbox.open(tmp_path / "outbox.db")
    try:
        added = await asyncio.gather(*(outbox.add([packet("m1", n)]) for n in range(1, 101)))

        assert sum(added) == 100
        assert outbox.commits < 100
        assert (await outbox.counts()).pending == 100
    finally:
        await outbox.close()


async def test_a_reading_collected_twice_is_kept_once(tmp_path: Path) -> None:
    outbox = await Outbox.open(tmp_path / "outbox.db")
    try:
        assert await outbox.add([packet("m1", 1)]) == 1
        assert await outbox.add([packet("m1", 1)]) == 0
        assert (await outbox.counts()).pending == 1
    finally:
        await outbox.close()


async def test_a_reading_moves_from_pending_to_receipted_to_gone(tmp_path: Path) -> None:
    cloud = SigningKey.generate()
    outbox = await Outbox.open(tmp_path / "outbox.db")
    try:
        first, second = packet("m1", 1), packet("m1", 2)
        await outbox.add([first, second])
        await outbox.record_receipts(issue_receipt([ReceiptEntry.of(first, 0)], cloud).commands)
        assert await outbox.counts() == OutboxCounts(pending=1, receipted=1, refused=0)
        assert [c.keys for c in await outbox.to_erase(10)] == [[first.key]]

        await outbox.erased([first.key])

        assert await outbox.counts() == OutboxCounts(pending=1, receipted=0, refused=0)
        assert await outbox.cursor("m1") == 2
    finally:
        await outbox.close()


async def test_a_receipt_for_other_content_does_not_match(tmp_path: Path) -> None:
    cloud = SigningKey.generate()
    outbox = await Outbox.open(tmp_path / "outbox.db")
    try:
        await outbox.add([packet("m1", 1)])
        other = sign_reading(Reading("m1", 1, Quantity.GAS, 999, 0, "2B"), KEY)

        assert (
            await outbox.record_receipts(issue_receipt([ReceiptEntry.of(other, 0)], cloud).commands)
            == 0
        )
        assert (await outbox.counts()).pending == 1
    finally:
        await outbox.close()


async def test_every_acknowledged_write_survives_kill_9(tmp_path: Path) -> None:
    path = tmp_path / "outbox.db"
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.buildinghub.telemetry.outbox_writer",
        str(path),
        stdout=asyncio.subprocess.PIPE,
        cwd=Path(__file__).parents[3],
    )
    assert child.stdout is not None
    acknowledged = 0
    while acknowledged < 40:
        acknowledged = int(await child.stdout.readline())
    os.kill(child.pid, signal.SIGKILL)
    await child.wait()

    outbox = await Outbox.open(path)
    try:
        for meter in ("m0", "m1", "m2", "m3"):
            assert await outbox.cursor(meter) >= acknowledged
        held = {p.key for p in await outbox.due(100_000)}
        assert {(f"m{n}", s) for n in range(4) for s in range(1, acknowledged + 1)} <= held
    finally:
        await outbox.close()
