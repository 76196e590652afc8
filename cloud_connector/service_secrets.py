"""Secrets every replica of the connector shares, kept in its database and made once.

A login challenge is authenticated with a secret (keylog.login): with one secret per process a
challenge issued by one replica would be refused by the next. The first replica to need a
secret makes it; the others read that one.
"""

from __future__ import annotations

import secrets
from typing import Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from .schema import service_secrets
from .stored_records import insert_once

LOGIN_SECRET: Final = "login_challenges"  # noqa: S105 (the name, not the secret)
SECRET_LENGTH: Final = 32


async def shared_secret(engine: AsyncEngine, name: str) -> bytes:
    """The secret called name, made now if no replica made it yet."""
    async with engine.begin() as connection:
        await insert_once(
            connection,
            service_secrets,
            key="name",
            name=name,
            secret=secrets.token_bytes(SECRET_LENGTH),
        )
        stored = await connection.execute(
            select(service_secrets.c.secret).where(service_secrets.c.name == name)
        )
        return bytes(stored.scalar_one())
