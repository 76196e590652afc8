"""Logins with a ledger key (SPEC K5) when several replicas serve the ledger.

The library's LoginService checks the challenge and the signature; which challenges already
logged in is kept in ``login_uses``, where every replica sees it, each until it expires. The
same challenge sent to two replicas at once logs in once: the other gets 401 login_refused.
"""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from buildinghub.keylog.key_record import KeyRecord
from buildinghub.keylog.login import LoginService, challenge_reused, too_many_logins

from .schema import login_uses
from .stored_records import insert_once
from .writer_lock import WriterLock, hold


async def log_in(
    engine: AsyncEngine,
    service: LoginService,
    *,
    kid: bytes,
    challenge: bytes,
    signature: bytes,
    now: int,
) -> KeyRecord:
    """The key's record if it signed a live challenge issued to it that no replica has seen
    log in, and it logged in fewer than ``service.per_key`` times within a lifetime;
    LoginRefused (nothing kept) otherwise."""
    record, expiry = service.verify(kid, challenge, signature)
    async with engine.begin() as connection:
        # One key's logins one at a time, so its count is exact across replicas.
        await hold(connection, WriterLock.LOGIN, kid)
        await connection.execute(delete(login_uses).where(login_uses.c.expires <= now))
        live = (
            await connection.execute(
                select(func.count()).select_from(login_uses).where(login_uses.c.kid == kid)
            )
        ).scalar_one()
        fresh = await insert_once(
            connection, login_uses, key="challenge", challenge=challenge, kid=kid, expires=expiry
        )
        if not fresh:
            raise challenge_reused()
        if live >= service.per_key:
            raise too_many_logins(kid, live, service.lifetime)
    return record
