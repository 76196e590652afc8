"""Opening the cloud database: a SQLite file by default, PostgreSQL through asyncpg."""

from __future__ import annotations

import asyncio
import threading
import weakref
from typing import Any, Final

from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine


class DatabaseUrlError(ValueError):
    """The database URL names a database the connector does not support."""


def async_url(url: str) -> str:
    """Map ``sqlite:///path`` and ``postgresql://...`` to their asyncio drivers."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return str(parsed.set(drivername="sqlite+aiosqlite"))
    if backend in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)
    raise DatabaseUrlError(
        f"unsupported database {backend!r}: use sqlite:///PATH or postgresql://USER@HOST/DB"
    )


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL with synchronous=FULL: a commit is on disk before the connector signs a receipt.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


# aiosqlite runs each connection in a thread of its own, which stops shortly AFTER the
# connection is closed: close_engine waits for them, so nothing outlives the engine.
_SQLITE_THREADS: Final = weakref.WeakKeyDictionary[Engine, list[threading.Thread]]()
_THREAD_STOP_TIMEOUT_S: Final = 10.0


def open_engine(url: str) -> AsyncEngine:
    """An engine for ``url``; SQLite gets durable commits."""
    target = async_url(url)
    if target.startswith("sqlite"):
        # One connection: SQLite has one writer anyway, and a single connection never meets
        # a lock upgrade conflict between two of our own transactions.
        engine = create_async_engine(target, pool_size=1, max_overflow=0)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        threads = _SQLITE_THREADS.setdefault(engine.sync_engine, [])

        def track(dbapi_connection: Any, _record: Any) -> None:
            thread = getattr(dbapi_connection, "_connection", None)
            if isinstance(thread, threading.Thread):
                threads.append(thread)

        event.listen(engine.sync_engine, "connect", track)
        return engine
    return create_async_engine(target, pool_size=10, max_overflow=10)


async def close_engine(engine: AsyncEngine) -> None:
    """Close every connection of the engine and wait until their threads have stopped."""
    await engine.dispose()
    for thread in _SQLITE_THREADS.pop(engine.sync_engine, []):
        await asyncio.to_thread(thread.join, _THREAD_STOP_TIMEOUT_S)
