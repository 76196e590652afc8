"""The hub's durable outbox: every reading it collected, until the meter has erased it.

A SQLite file in the hub's config directory (WAL, ``synchronous=FULL``): a reading is
on disk before the hub asks the meter for the next one, so a crash or a power cut
loses nothing. Writes are group-committed: every write queued while a commit runs
goes into the next single transaction, and each writer is answered only after the
commit that holds its write. All SQLite work runs on one thread of its own.

A row is ``pending`` until the cloud's receipt arrives, then ``receipted`` (holding the
erase command that names it) until the meter confirms the erase, then deleted;
``refused`` rows are readings the cloud would not store (kept for the property manager
to see). A per-meter cursor remembers the highest sequence collected, in the same
transaction as the readings.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import IntEnum
from functools import partial
from pathlib import Path
from typing import Final, cast

from .reading import ReadingPacket, decode_packet
from .receipt import EraseCommand, decode_erase_command

SCHEMA_VERSION: Final = 2
_SCHEMA: Final = (
    """CREATE TABLE IF NOT EXISTS readings (
        meter_id TEXT NOT NULL, sequence INTEGER NOT NULL, packet BLOB NOT NULL,
        digest BLOB NOT NULL, state INTEGER NOT NULL, receipt BLOB, reason TEXT,
        PRIMARY KEY (meter_id, sequence)) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS readings_state ON readings (state, meter_id, sequence)",
    """CREATE TABLE IF NOT EXISTS cursors (
        meter_id TEXT PRIMARY KEY, sequence INTEGER NOT NULL) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS losses (
        meter_id TEXT PRIMARY KEY, forced_erasures INTEGER NOT NULL) WITHOUT ROWID""",
)


class State(IntEnum):
    """Where a reading is in its journey."""

    PENDING = 0
    RECEIPTED = 1
    REFUSED = 2


@dataclass(frozen=True, slots=True)
class OutboxCounts:
    """How many readings are in each state."""

    pending: int
    receipted: int
    refused: int


type _Write = Callable[[sqlite3.Connection], object]


class Outbox:
    """Open with :meth:`open`, close with :meth:`close`."""

    def __init__(self, path: Path) -> None:
        """Use :meth:`open`."""
        self.path = path
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="outbox")
        self._connection: sqlite3.Connection | None = None
        self._queued: list[tuple[_Write, asyncio.Future[object]]] = []
        self._flushing: asyncio.Task[None] | None = None
        self.commits = 0

    @classmethod
    async def open(cls, path: Path) -> Outbox:
        """Open (creating if needed) the outbox at ``path``."""
        outbox = cls(path)
        await outbox._run(outbox._connect)
        return outbox

    def _connect(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=FULL")
        for statement in _SCHEMA:
            connection.execute(statement)
        (version,) = connection.execute("PRAGMA user_version").fetchone()
        if 0 < version < SCHEMA_VERSION:
            # Version 1 kept one per-reading receipt per row, which no meter takes now: those
            # readings go back to pending, the cloud (idempotent) receipts them in a batch.
            connection.execute(
                "UPDATE readings SET state = ?, receipt = NULL WHERE state = ?",
                (State.PENDING, State.RECEIPTED),
            )
        connection.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        self._connection = connection

    async def close(self) -> None:
        """Finish queued writes, close the file and stop the thread."""
        while self._flushing is not None:
            await asyncio.shield(self._flushing)
        if self._connection is not None:
            await self._run(self._connection.close)
            self._connection = None
        self._executor.shutdown(wait=True)

    async def _run[T](self, work: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, work)

    def _db(self) -> sqlite3.Connection:
        if self._connection is None:
            raise RuntimeError("the outbox is closed")
        return self._connection

    # -- group commit ------------------------------------------------------------------------

    async def _write[T](self, write: Callable[[sqlite3.Connection], T]) -> T:
        future: asyncio.Future[object] = asyncio.get_running_loop().create_future()
        self._queued.append((write, future))
        if self._flushing is None:
            self._flushing = asyncio.get_running_loop().create_task(self._flush())
        return cast(T, await future)

    async def _flush(self) -> None:
        try:
            while self._queued:
                batch, self._queued = self._queued, []
                try:
                    results = await self._run(partial(self._commit, batch))
                except Exception as err:  # the whole group failed: nothing of it is on disk
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(err)
                    continue
                for (_, future), result in zip(batch, results, strict=True):
                    if not future.done():
                        future.set_result(result)
        finally:
            self._flushing = None

    def _commit(self, batch: list[tuple[_Write, asyncio.Future[object]]]) -> list[object]:
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            results = [write(db) for write, _ in batch]
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        self.commits += 1
        return results

    # -- readings ----------------------------------------------------------------------------

    async def add(self, packets: Sequence[ReadingPacket]) -> int:
        """Keep collected readings (a reading already held is ignored); returns how many are new."""

        def write(db: sqlite3.Connection) -> int:
            added = 0
            for packet in packets:
                meter_id, sequence = packet.key
                cursor = db.execute(
                    "INSERT OR IGNORE INTO readings (meter_id, sequence, packet, digest, state) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (meter_id, sequence, packet.encoded, packet.digest, State.PENDING),
                )
                added += cursor.rowcount
                db.execute(
                    "INSERT INTO cursors (meter_id, sequence) VALUES (?, ?) ON CONFLICT (meter_id)"
                    " DO UPDATE SET sequence = max(sequence, excluded.sequence)",
                    (meter_id, sequence),
                )
            return added

        return await self._write(write)

    async def cursor(self, meter_id: str) -> int:
        """The highest sequence collected from ``meter_id`` (0: none yet)."""
        row = await self._run(
            lambda: (
                self._db()
                .execute("SELECT sequence FROM cursors WHERE meter_id = ?", (meter_id,))
                .fetchone()
            )
        )
        return int(row[0]) if row else 0

    async def due(self, limit: int) -> list[ReadingPacket]:
        """Readings the cloud has not receipted yet, oldest first."""
        rows = await self._run(
            lambda: (
                self._db()
                .execute(
                    "SELECT packet FROM readings WHERE state = ? "
                    "ORDER BY meter_id, sequence LIMIT ?",
                    (State.PENDING, limit),
                )
                .fetchall()
            )
        )
        return [decode_packet(bytes(row[0])) for row in rows]

    async def record_receipts(self, commands: Iterable[EraseCommand]) -> int:
        """Keep verified erase commands for readings held here; returns how many matched.

        Each reading's row keeps the command that names it (a meter's run of a batch).
        """
        items = [
            (command.encoded, entry.meter_id, entry.sequence, entry.packet_digest)
            for command in commands
            for entry in command.entries
        ]

        def write(db: sqlite3.Connection) -> int:
            matched = 0
            for encoded, meter_id, sequence, digest in items:
                cursor = db.execute(
                    "UPDATE readings SET state = ?, receipt = ? "
                    "WHERE meter_id = ? AND sequence = ? AND digest = ? AND state != ?",
                    (State.RECEIPTED, encoded, meter_id, sequence, digest, State.RECEIPTED),
                )
                matched += cursor.rowcount
            return matched

        return await self._write(write)

    async def record_refused(self, refused: Iterable[tuple[ReadingPacket, str]]) -> None:
        """Mark readings the cloud would not store, with its reason."""
        items = [(reason, *packet.key) for packet, reason in refused]

        def write(db: sqlite3.Connection) -> None:
            db.executemany(
                "UPDATE readings SET state = 2, reason = ? WHERE meter_id = ? AND sequence = ? "
                "AND state = 0",
                items,
            )

        await self._write(write)

    async def to_erase(self, limit: int) -> list[EraseCommand]:
        """Erase commands for up to ``limit`` readings the meters have not erased yet."""
        rows = await self._run(
            lambda: (
                self._db()
                .execute(
                    "SELECT receipt FROM readings WHERE state = ? "
                    "ORDER BY meter_id, sequence LIMIT ?",
                    (State.RECEIPTED, limit),
                )
                .fetchall()
            )
        )
        # The commands were verified against the pinned cloud key before they were stored.
        return [
            decode_erase_command(bytes(encoded)) for encoded in dict.fromkeys(r[0] for r in rows)
        ]

    async def erased(self, keys: Iterable[tuple[str, int]]) -> None:
        """The meter erased these readings: the hub's copy goes too."""
        items = list(keys)

        def write(db: sqlite3.Connection) -> None:
            db.executemany(
                "DELETE FROM readings WHERE meter_id = ? AND sequence = ? AND state = 1", items
            )

        await self._write(write)

    async def counts(self) -> OutboxCounts:
        """Readings per state."""
        rows = await self._run(
            lambda: (
                self._db().execute("SELECT state, count(*) FROM readings GROUP BY state").fetchall()
            )
        )
        found = {int(state): int(count) for state, count in rows}
        return OutboxCounts(
            found.get(State.PENDING, 0),
            found.get(State.RECEIPTED, 0),
            found.get(State.REFUSED, 0),
        )

    async def pending_of(self, meter_id: str) -> int:
        """Readings of one meter not yet erased (pending or receipted)."""
        row = await self._run(
            lambda: (
                self._db()
                .execute(
                    "SELECT count(*) FROM readings WHERE meter_id = ? AND state IN (0, 1)",
                    (meter_id,),
                )
                .fetchone()
            )
        )
        return int(row[0])

    async def record_forced_erasures(self, meter_id: str, total: int) -> int:
        """Store a meter's forced-erasure counter; returns how many are new since last time."""

        def write(db: sqlite3.Connection) -> int:
            row = db.execute(
                "SELECT forced_erasures FROM losses WHERE meter_id = ?", (meter_id,)
            ).fetchone()
            before = int(row[0]) if row else 0
            if total != before:
                db.execute(
                    "INSERT INTO losses (meter_id, forced_erasures) VALUES (?, ?) "
                    "ON CONFLICT (meter_id) "
                    "DO UPDATE SET forced_erasures = excluded.forced_erasures",
                    (meter_id, total),
                )
            return max(0, total - before)

        return await self._write(write)

    async def forced_erasures(self, meter_id: str) -> int:
        """The last forced-erasure count read from ``meter_id``."""
        row = await self._run(
            lambda: (
                self._db()
                .execute("SELECT forced_erasures FROM losses WHERE meter_id = ?", (meter_id,))
                .fetchone()
            )
        )
        return int(row[0]) if row else 0
