"""A connector serving the key ledger, with a landlord and a tenant registered in it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from buildinghub.keylog.entries import Role
from tests.cloud_connector.people import Person, person, register
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
