"""Signed records the cloud keeps as sent: stored once under their digest, named by it in paths."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy import Table, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from .errors import Malformed

DIGEST_LENGTH = 32


async def insert_once(connection: AsyncConnection, table: Table, **values: Any) -> bool:
    """Insert a row keyed by its digest unless it is there; whether it was inserted."""
    found = await connection.execute(
        select(table.c.digest).where(table.c.digest == values["digest"])
    )
    if found.first() is not None:
        return False
    await connection.execute(insert(table).values(**values))
    return True


def path_bytes(request: web.Request, name: str, length: int = DIGEST_LENGTH) -> bytes:
    """A hex path parameter of exactly length bytes (400 otherwise)."""
    try:
        value = bytes.fromhex(request.match_info[name])
    except ValueError:
        value = b""
    if len(value) != length:
        raise Malformed(f"{name} is {2 * length} hex digits")
    return value
