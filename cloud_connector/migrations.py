"""A small versioned migration runner: each version is applied once, in order, in one transaction.

Alembic is not among Home Assistant's pinned packages; the schema is small enough that
a numbered list of steps over SQLAlchemy Core is clearer than a second tool.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import (
    Column,
    Connection,
    Index,
    Table,
    delete,
    func,
    insert,
    inspect,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncEngine

from . import schema
from .writer_lock import WriterLock, hold


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


def _add_column(
    connection: Connection, table: Table, column: Column[object], *, default: str = ""
) -> None:
    # Tables are created from their current definitions, so a fresh database has the column:
    # add it only where an older version made the table.
    present = {found["name"] for found in inspect(connection).get_columns(table.name)}
    if column.name in present:
        return
    kind = column.type.compile(dialect=connection.dialect)
    null = "" if column.nullable else " NOT NULL"
    value = f" DEFAULT {default}" if default else ""
    connection.exec_driver_sql(
        f"ALTER TABLE {table.name} ADD COLUMN {column.name} {kind}{null}{value}"
    )


def _add_index(connection: Connection, index: Index) -> None:
    table = index.table
    assert table is not None
    present = {found["name"] for found in inspect(connection).get_indexes(table.name)}
    if index.name not in present:
        index.create(connection)


def _version_5(connection: Connection) -> None:
    _create(schema.VERSION_5)(connection)
    conflicts = schema.conflicts
    _add_column(connection, conflicts, conflicts.c.occurrences, default="1")
    _add_column(connection, conflicts, conflicts.c.last_flagged_at)
    # Keep the first conflict of each reading, counting the others, then allow no second.
    first = (
        select(func.min(conflicts.c.id))
        .group_by(conflicts.c.meter_id, conflicts.c.sequence)
        .scalar_subquery()
    )
    same = conflicts.alias("same")
    count = (
        select(func.count())
        .where(same.c.meter_id == conflicts.c.meter_id, same.c.sequence == conflicts.c.sequence)
        .scalar_subquery()
    )
    connection.execute(update(conflicts).values(occurrences=count))
    connection.execute(delete(conflicts).where(conflicts.c.id.not_in(first)))
    _add_index(connection, schema.CONFLICT_PER_READING)
    _add_column(connection, schema.credit_requests, schema.credit_requests.c.tenant_kid)
    _add_index(connection, schema.CREDIT_REQUESTS_BY_TENANT_KEY)


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "hubs, meters, readings, conflicts", _create(schema.VERSION_1)),
    Migration(2, "principals, accounts, tariffs, payments, reminders", _create(schema.VERSION_2)),
    Migration(3, "key ledger: entries, cosigned checkpoints", _create(schema.VERSION_3)),
    Migration(
        4,
        "biometric consents, sealed templates; contracts, payments, inspections, credit",
        _create(schema.VERSION_4),
    ),
    Migration(
        5,
        "scope: templates bound to a tenant and a lock, one conflict row per reading, "
        "credit requests by tenant key",
        _version_5,
    ),
    Migration(6, "replicas: the login secret and used login challenges", _create(schema.VERSION_6)),
)
LATEST = MIGRATIONS[-1].version


def _current(connection: Connection) -> int:
    if not connection.dialect.has_table(connection, schema.schema_version.name):
        schema.schema_version.create(connection)
        return 0
    versions = connection.execute(select(schema.schema_version.c.version)).scalars().all()
    return max(versions, default=0)


async def migrate(engine: AsyncEngine) -> list[int]:
    """Bring the database to :data:`LATEST`; returns the versions applied now.

    Replicas starting together migrate one at a time (an advisory lock on PostgreSQL): each
    version is applied by the first, and found applied by the others.
    """
    applied: list[int] = []
    for migration in MIGRATIONS:
        async with engine.begin() as connection:
            await hold(connection, WriterLock.MIGRATION)
            if migration.version <= await connection.run_sync(_current):
                continue
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
