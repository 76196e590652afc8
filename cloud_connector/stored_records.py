"""Signed records the cloud keeps as sent: stored once under their digest (of their signed
content, SPEC S4), named by it in paths."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from .errors import Malformed

DIGEST_LENGTH = 32


async def insert_once(
    connection: AsyncConnection, table: Table, *, key: str = "digest", **values: Any
) -> bool:
    """Insert a row keyed by its digest (or another key column) unless it is there; whether it
    was inserted.

    ON CONFLICT DO NOTHING: two identical submissions at once store one row and both succeed.
    """
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table).values(**values).on_conflict_do_nothing(index_elements=[key])
    result = await connection.execute(statement)
    return result.rowcount == 1


def path_bytes(request: web.Request, name: str, length: int = DIGEST_LENGTH) -> bytes:
    """A hex path parameter of exactly length bytes (400 otherwise)."""
    try:
        value = bytes.fromhex(request.match_info[name])
    except ValueError:
        value = b""
    if len(value) != length:
        raise Malformed(f"{name} is {2 * length} hex digits")
    return value
