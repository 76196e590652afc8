"""Landlords, tenants and stations with keys in the cloud's key ledger, for the people's API."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field, replace
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from buildinghub.credentials import SigningKey
from buildinghub.credentials.sealing import SealingKey
from buildinghub.keylog.client import LedgerClient
from buildinghub.keylog.entries import KeyRegistration, RecordKind, Role, SignedRecord
from buildinghub.keylog.identity import identity_lookup_hash
from buildinghub.keylog.key_client import KeyClient
from buildinghub.keylog.records import CheckMethod, IdentityCheckRecord, sign_identity_check
from buildinghub.telemetry.cloud_client import CloudClient, CloudRefused
from buildinghub.tenancy.client import TenancyClient
from buildinghub.tenancy.contract import (
    LeaseTerms,
    contract_document,
    sign_contract,
    signed_contract,
    verify_contract,
)
from cloud_connector.hubs import create_enrolment
from cloud_connector.schema import VERSION_3, VERSION_4, VERSION_5
from tests.cloud_site import BUILDING
from tests.ledger_site import LedgerSite

SALT = b"elm court pepper, 32 bytes long!"
NOW = 1_767_225_600


@dataclass
class Person:
    """Someone with a ledger key (and a sealing key for what is sealed to them)."""

    name: str
    identity: bytes
    key: SigningKey = field(default_factory=SigningKey.generate)
    sealing_key: SealingKey = field(default_factory=SealingKey.generate)

    def client(self, ledger: LedgerSite) -> KeyClient:
        return KeyClient(ledger.site.session, ledger.url, self.key)

    def tenancy(self, ledger: LedgerSite) -> TenancyClient:
        return TenancyClient(self.client(ledger))


def person(name: str, id_number: str) -> Person:
    return Person(name, identity_lookup_hash(SALT, id_number))


STATION = "front-desk.elm-court.example"
OTHER_BUILDING = "Oak House"


async def register(ledger: LedgerSite, who: Person, role: Role, *, checked: bool = True) -> Person:
    """Register who's key in the building: a tenant on their own, then (checked) bound to their
    identity by the building's enrolling station; anyone else vouched for by the enrolled hub."""
    subject = who.identity.hex() if role is Role.TENANT else who.name
    entry = KeyRegistration(role, who.key.public_key, who.identity, subject, NOW, building=BUILDING)
    if role is Role.TENANT:
        await ledger.anyone.register_tenant(entry, who.key)
        if checked:
            await check_identity(ledger, who)
    else:
        await ledger.hub.register(entry, who.key)
    return who


async def station(ledger: LedgerSite) -> SigningKey:
    """The building's enrolling station, registered by its hub on first use."""
    if ledger.station is None:
        key = SigningKey.generate()
        entry = KeyRegistration(
            Role.STATION, key.public_key, bytes(32), STATION, NOW, building=BUILDING
        )
        await ledger.hub.register(entry, key)
        ledger.station = key
    return ledger.station


async def check_identity(ledger: LedgerSite, who: Person, by: SigningKey | None = None) -> int:
    """Staff at the station check who's document: their key is bound to their identity hash."""
    check = IdentityCheckRecord(
        tenant=who.identity,
        tenant_key=who.key.public_key.kid,
        method=CheckMethod.PASSPORT,
        checked_at=NOW,
        checked_by=STATION,
    )
    signed = sign_identity_check(check, by or await station(ledger))
    return await ledger.anyone.publish(SignedRecord(RecordKind.IDENTITY, signed))


def terms(landlord: Person, tenant: Person, /, **changes: object) -> LeaseTerms:
    base = LeaseTerms(
        building="Elm Court",
        flat="1A",
        lock="elm-1a-door",
        landlord=landlord.name,
        landlord_key=landlord.key.public_key,
        tenant=tenant.name,
        tenant_key=tenant.key.public_key,
        tenant_identity=tenant.identity,
        rent=95_000,
        currency="EUR",
        due_day=1,
        start=date(2026, 1, 1),
        end=date(2026, 12, 31),
        deposit=190_000,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def sign_both(document: bytes, landlord: SigningKey, tenant: SigningKey) -> bytes:
    return signed_contract(
        document,
        landlord=sign_contract(document, landlord),
        tenant=sign_contract(document, tenant),
    )


def lease(landlord: Person, tenant: Person, /, **changes: object) -> bytes:
    """A contract both signed."""
    return sign_both(
        contract_document(terms(landlord, tenant, **changes)), landlord.key, tenant.key
    )


def digest_of(contract: bytes) -> bytes:
    return verify_contract(contract).digest


def now() -> int:
    return int(time.time())


_PEOPLES_TABLES = (*VERSION_3, *VERSION_4, *VERSION_5)


async def row_counts(engine: AsyncEngine) -> dict[str, int]:
    """Rows in every table of the ledger and the people's records (a refusal must leave them
    all unchanged)."""
    counts = {}
    async with engine.connect() as connection:
        for table in _PEOPLES_TABLES:
            count = await connection.execute(select(func.count()).select_from(table))
            counts[table.name] = int(count.scalar_one())
    return counts


async def stored(engine: AsyncEngine) -> dict[str, list[str]]:
    """Everything the ledger and the people's tables hold, row by row (to compare exactly)."""
    found = {}
    async with engine.connect() as connection:
        for table in _PEOPLES_TABLES:
            rows = (await connection.execute(select(table))).all()
            found[table.name] = sorted(repr(tuple(row)) for row in rows)
    return found


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


async def refused(ledger: LedgerSite, call: Awaitable[object]) -> CloudRefused:
    """The cloud's refusal of call, which must leave the ledger and every people's table exactly
    as they were."""
    engine = ledger.site.cloud.engine
    before = await stored(engine)
    with pytest.raises(CloudRefused) as caught:
        await call
    assert await stored(engine) == before
    return caught.value


async def other_hub(ledger: LedgerSite, building: str = OTHER_BUILDING) -> LedgerClient:
    """A hub enrolled for another building, with its own ledger client."""
    key = SigningKey.generate()
    token = await create_enrolment(ledger.site.cloud.engine, building)
    await CloudClient(ledger.site.session, ledger.url, key).enrol(token)
    return LedgerClient(ledger.site.session, ledger.url, hub_key=key)
