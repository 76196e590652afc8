"""Used login challenges kept in the database (SPEC K5, S6), on SQLite and on PostgreSQL: each
logs in once, a key at most per_key times a lifetime, and each is forgotten once it expires."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from buildinghub.credentials import SigningKey
from buildinghub.keylog.entries import KeyRegistration, Role
from buildinghub.keylog.errors import LoginRefused
from buildinghub.keylog.identity import identity_lookup_hash
from buildinghub.keylog.log import KeyLog
from buildinghub.keylog.login import LoginService, sign_login
from buildinghub.keylog.signers import LogNoteSigner
from cloud_connector.database import close_engine, open_engine
from cloud_connector.logins import log_in
from cloud_connector.migrations import migrate
from cloud_connector.schema import login_uses
from tests.cloud_site import BUILDING, NOW
from tests.ledger_site import ORIGIN

SALT = b"elm court pepper, 32 bytes long!"


class SettableClock:
    def __init__(self, time: int) -> None:
        self.time = time

    def now(self) -> int:
        return self.time


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = open_engine(database_url)
    await migrate(engine)
    try:
        yield engine
    finally:
        await close_engine(engine)


def tenants(log: KeyLog, count: int) -> list[SigningKey]:
    keys = [SigningKey.generate() for _ in range(count)]
    for number, key in enumerate(keys):
        owner = identity_lookup_hash(SALT, f"ID{number}")
        log.append(
            KeyRegistration(Role.TENANT, key.public_key, owner, owner.hex(), NOW, building=BUILDING)
        )
    return keys


async def logged_in(
    engine: AsyncEngine,
    service: LoginService,
    clock: SettableClock,
    key: SigningKey,
    challenge: bytes | None = None,
) -> bytes:
    kid = key.public_key.kid
    challenge = challenge or service.challenge(kid)
    signature = sign_login(key, ORIGIN, challenge)
    await log_in(
        engine,
        service,
        kid=kid,
        challenge=challenge,
        signature=signature,
        now=clock.now(),
    )
    return challenge


async def remembered(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        count = await connection.execute(select(func.count()).select_from(login_uses))
        return int(count.scalar_one())


async def test_a_challenge_logs_in_once_and_is_forgotten_when_it_expires(
    engine: AsyncEngine,
) -> None:
    log = KeyLog(LogNoteSigner(ORIGIN, SigningKey.generate()))
    first, second = tenants(log, 2)
    clock = SettableClock(NOW)
    service = LoginService(ORIGIN, log.state, clock, secret=bytes(range(32)))
    used = await logged_in(engine, service, clock, first)

    with pytest.raises(LoginRefused, match="already used"):
        await logged_in(engine, service, clock, first, used)
    assert await remembered(engine) == 1

    clock.time += service.lifetime + 1
    await logged_in(engine, service, clock, second)
    assert await remembered(engine) == 1  # the first key's expired challenge is gone


async def test_a_key_logs_in_at_most_per_key_times_a_lifetime(engine: AsyncEngine) -> None:
    log = KeyLog(LogNoteSigner(ORIGIN, SigningKey.generate()))
    (key,) = tenants(log, 1)
    clock = SettableClock(NOW)
    service = LoginService(ORIGIN, log.state, clock, per_key=3)
    for _ in range(3):
        await logged_in(engine, service, clock, key)

    with pytest.raises(LoginRefused, match="logged in 3 times"):
        await logged_in(engine, service, clock, key)
    assert await remembered(engine) == 3
