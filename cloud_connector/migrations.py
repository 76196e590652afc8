"""A small versioned migration runner: each version is applied once, in order, in one transaction.

Alembic is not among Home Assistant's pinned packages; the schema is small enough that
a numbered list of steps over SQLAlchemy Core is clearer than a second tool.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, Table, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from . import schema


@dataclass(frozen=True, slots=True)
class Migration:
    """One schema version."""

    version: int
    description: str
    apply: Callable[[Connection], None]


def _create(tables: Sequence[Table]) -> Callable[[Connection], None]:
    def apply(connection: Connection) -> None:
        for table in tables:
            table.create(connection)

    return apply


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "hubs, meters, readings, conflicts", _create(schema.VERSION_1)),
    Migration(2, "principals, accounts, tariffs, payments, reminders", _create(schema.VERSION_2)),
    Migration(3, "key ledger: entries, cosigned checkpoints", _create(schema.VERSION_3)),
    Migration(
        4,
        "biometric consents, sealed templates; contracts, payments, inspections, credit",
        _create(schema.VERSION_4),
    ),
)
LATEST = MIGRATIONS[-1].version


def _current(connection: Connection) -> int:
    if not connection.dialect.has_table(connection, schema.schema_version.name):
        schema.schema_version.create(connection)
        return 0
    versions = connection.execute(select(schema.schema_version.c.version)).scalars().all()
    return max(versions, default=0)


async def migrate(engine: AsyncEngine) -> list[int]:
    """Bring the database to :data:`LATEST`; returns the versions applied now."""
    applied: list[int] = []
    async with engine.begin() as connection:
        current = await connection.run_sync(_current)
    for migration in MIGRATIONS:
        if migration.version <= current:
            continue
        async with engine.begin() as connection:
            await connection.run_sync(migration.apply)
            await connection.execute(
                insert(schema.schema_version).values(
                    version=migration.version,
                    description=migration.description,
                    applied_at=int(time.time()),
                )
            )
        applied.append(migration.version)
    return applied
