"""A connector serving the key ledger, with a landlord and a tenant registered in it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from buildinghub.biometrics.sealing import EnrollingStation
from buildinghub.credentials import SigningKey
from buildinghub.credentials.sealing import SealingKey
from buildinghub.keylog.entries import KeyRegistration, Role
from tests.cloud_connector.people import NOW, Person, person, register
from tests.cloud_site import BUILDING
from tests.ledger_site import LedgerSite, ledger_site


@pytest.fixture
async def ledger(database_url: str, tmp_path: Path) -> AsyncIterator[LedgerSite]:
    async with ledger_site(database_url, tmp_path) as site:
        yield site


@pytest.fixture
async def landlord(ledger: LedgerSite) -> Person:
    return await register(ledger, person("landlord.elm-court.example", "L0001"), Role.LANDLORD)


@pytest.fixture
async def tenant(ledger: LedgerSite) -> Person:
    return await register(ledger, person("Ada Tenant", "AB123456"), Role.TENANT)


@pytest.fixture
async def station(ledger: LedgerSite) -> EnrollingStation:
    """An enrolling station that seals templates, registered by the building's hub."""
    station = EnrollingStation("station-lobby", SigningKey.generate(), SealingKey.generate())
    entry = KeyRegistration(
        Role.STATION, station.signing_key.public_key, bytes(32), station.name, NOW,
        building=BUILDING,
    )  # fmt: skip
    await ledger.hub.register(entry, station.signing_key)
    return station
