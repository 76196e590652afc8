"""One writer at a time across replicas: PostgreSQL advisory locks held until the transaction ends.

Several connector processes may serve one PostgreSQL database. Where a write must see every
earlier write of its kind before it decides (the key ledger's next index, a key's login count),
the transaction first takes a transaction-scoped advisory lock (``pg_advisory_xact_lock``):
the next writer waits until this one commits or rolls back, and a process that dies releases it
with its connection. SQLite is served by one process (its engine has one connection), so there
the lock is the transaction itself.
"""

from __future__ import annotations

from enum import IntEnum

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection


class WriterLock(IntEnum):
    """The advisory lock namespaces of the connector (the first of PostgreSQL's two keys)."""

    LEDGER = 0x4C_45_44_47  # "LEDG": appending to and publishing the key ledger
    LOGIN = 0x4C_4F_47_49  # "LOGI": one key's logins (the second key names the key)
    MIGRATION = 0x4D_49_47_52  # "MIGR": bringing the schema up to date


async def hold(connection: AsyncConnection, lock: WriterLock, item: bytes = b"") -> None:
    """Wait for and hold ``lock`` (for ``item``: the first 4 bytes name it) until the
    transaction on ``connection`` ends; nothing on SQLite."""
    if connection.dialect.name != "postgresql":
        return
    key = int.from_bytes(item[:4].ljust(4, b"\0"), "big", signed=True)
    await connection.execute(
        text("SELECT pg_advisory_xact_lock(:space, :key)"), {"space": int(lock), "key": key}
    )
