"""Hub enrolment and meter registration: who may send readings, and for which meters."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from buildinghub.credentials import PublicKey
from buildinghub.credentials.errors import MalformedKey
from buildinghub.telemetry.reading import Quantity
from buildinghub.telemetry.request_signing import hub_id

from .errors import Conflict, Malformed, Unauthorized
from .schema import enrolments, hubs, meters
from .stored_records import insert_once


@dataclass(frozen=True, slots=True)
class Hub:
    """A registered hub."""

    hub_id: str
    building: str
    public_key: PublicKey


@dataclass(frozen=True, slots=True)
class Meter:
    """A registered meter and the dwelling it measures."""

    meter_id: str
    hub_id: str
    building: str
    dwelling: str
    quantity: Quantity
    public_key: PublicKey


def token_hash(token: str) -> bytes:
    """Tokens are stored only as their SHA-256."""
    return hashlib.sha256(token.encode()).digest()


async def create_enrolment(engine: AsyncEngine, building: str) -> str:
    """A one-time token the property manager types into the hub's config flow."""
    token = secrets.token_urlsafe(18)
    async with engine.begin() as connection:
        await connection.execute(
            insert(enrolments).values(token_hash=token_hash(token), building=building, used=False)
        )
    return token


def parse_key(data: bytes, what: str) -> PublicKey:
    """A public key from its 65-byte encoding, or Malformed naming ``what``."""
    try:
        return PublicKey.from_bytes(data)
    except MalformedKey as err:
        raise Malformed(f"{what}: {err}") from None


async def register_hub(engine: AsyncEngine, token: str, key: PublicKey, now: int) -> Hub:
    """Bind a hub's key to the building of an unused enrolment token.

    The token is taken by a conditional update, so of two hubs racing with one token (two
    replicas at once) exactly one is enrolled and the other gets 409; the same hub again is
    answered as enrolled.
    """
    async with engine.begin() as connection:
        row = (
            await connection.execute(
                select(enrolments).where(enrolments.c.token_hash == token_hash(token))
            )
        ).one_or_none()
        if row is None:
            raise Unauthorized("unknown enrolment token: ask the operator for a new one")
        taken = await connection.execute(
            update(enrolments)
            .where(enrolments.c.token_hash == row.token_hash, enrolments.c.used.is_(False))
            .values(used=True)
        )
        if taken.rowcount != 1:
            existing = (
                await connection.execute(select(hubs).where(hubs.c.hub_id == hub_id(key)))
            ).one_or_none()
            if existing is not None and existing.building == row.building:
                return Hub(existing.hub_id, existing.building, key)
            raise Conflict(
                "this enrolment token was already used by another hub", reason="token_used"
            )
        enrolled = await insert_once(
            connection,
            hubs,
            key="hub_id",
            hub_id=hub_id(key),
            building=row.building,
            public_key=key.to_bytes(),
            registered_at=now,
        )
        if not enrolled:  # the key is a hub already: the token stays unused (rolled back)
            raise Conflict(
                "this hub key is already enrolled: a hub enrols once, with a key of its own",
                reason="hub_enrolled",
            )
    return Hub(hub_id(key), row.building, key)


async def find_hub(engine: AsyncEngine, hub: str) -> Hub | None:
    """The registered hub with that id."""
    async with engine.connect() as connection:
        row = (await connection.execute(select(hubs).where(hubs.c.hub_id == hub))).one_or_none()
    if row is None:
        return None
    return Hub(row.hub_id, row.building, PublicKey.from_bytes(row.public_key))


async def register_meter(
    engine: AsyncEngine,
    hub: Hub,
    *,
    meter_id: str,
    dwelling: str,
    quantity: Quantity,
    key: PublicKey,
) -> Meter:
    """Register a meter under a hub; registering the same meter again is a no-op."""
    meter = Meter(meter_id, hub.hub_id, hub.building, dwelling, quantity, key)
    async with engine.begin() as connection:
        row = (
            await connection.execute(select(meters).where(meters.c.meter_id == meter_id))
        ).one_or_none()
        if row is not None:
            if (row.hub_id, row.dwelling, row.quantity, bytes(row.public_key)) != (
                hub.hub_id,
                dwelling,
                int(quantity),
                key.to_bytes(),
            ):
                raise Conflict(f"meter {meter_id} is already registered differently")
            return meter
        await connection.execute(
            insert(meters).values(
                meter_id=meter_id,
                hub_id=hub.hub_id,
                building=hub.building,
                dwelling=dwelling,
                quantity=int(quantity),
                public_key=key.to_bytes(),
            )
        )
    return meter


async def meters_of(connection: AsyncConnection, hub: Hub, meter_ids: set[str]) -> dict[str, Meter]:
    """The hub's registered meters among ``meter_ids`` (read in the caller's transaction)."""
    if not meter_ids:
        return {}
    rows = (
        await connection.execute(
            select(meters).where(
                meters.c.meter_id.in_(sorted(meter_ids)), meters.c.hub_id == hub.hub_id
            )
        )
    ).all()
    return {
        row.meter_id: Meter(
            row.meter_id,
            row.hub_id,
            row.building,
            row.dwelling,
            Quantity(row.quantity),
            PublicKey.from_bytes(row.public_key),
        )
        for row in rows
    }
