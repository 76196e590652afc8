"""SPEC S3 through the cloud's API: people are addressed by ledger key, never by name.

The attacks of issue 13: a namesake tenant saw another tenant's credit requests and answered
first; a namesake landlord key registered by another building's hub had its request shown under
the real landlord's name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from buildinghub.keylog.client import LedgerClient
from buildinghub.keylog.entries import KeyRegistration, Role
from buildinghub.keylog.person_ledger import LedgerTrust, ProvenKeys
from buildinghub.keylog.signers import LogNoteKey
from tests.cloud_connector.people import (
    NOW,
    OTHER_BUILDING,
    Person,
    lease,
    other_hub,
    person,
    refused,
    register,
)
from tests.cloud_connector.test_credit_api import answer, credit_request
from tests.cloud_site import BUILDING
from tests.ledger_site import LedgerSite


@pytest.fixture
async def namesake(ledger: LedgerSite) -> Person:
    """Another tenant with the very same name, checked at the front desk with their own ID."""
    return await register(ledger, person("Ada Tenant", "ZZ000042"), Role.TENANT)


@pytest.fixture
async def contract(ledger: LedgerSite, landlord: Person, tenant: Person) -> bytes:
    signed = lease(landlord, tenant)
    await landlord.tenancy(ledger).submit_contract(signed)
    return signed


async def _pending(ledger: LedgerSite, tenant: Person) -> list[dict[str, Any]]:
    """The pending requests as the cloud lists them to the tenant (a signed read)."""
    answer = await tenant.client(ledger).call("GET", "/v1/credit/requests", signed=True)
    requests: list[dict[str, Any]] = answer["requests"]
    return requests


async def test_a_namesake_tenant_neither_sees_nor_answers_another_tenants_request(
    ledger: LedgerSite, landlord: Person, tenant: Person, namesake: Person, contract: bytes
) -> None:
    await namesake.tenancy(ledger).submit_contract(lease(landlord, namesake, flat="2B"))
    asker = await register(ledger, person("landlord.oak-house.example", "L0002"), Role.LANDLORD)
    request = credit_request(asker, tenant, label="Ada Tenant")
    request_id = await asker.tenancy(ledger).request_credit(request)

    assert await namesake.tenancy(ledger).pending_requests() == []
    # Their own client would not answer a request naming another key; a modified one tries.
    own_file = b"a credit file sealed to the asker" * 8
    err = await refused(ledger, namesake.tenancy(ledger).answer_credit(request_id, own_file))
    assert (err.status, err.reason) == (404, "unknown_request")

    [pending] = await tenant.tenancy(ledger).pending_requests()
    assert pending.request_id == request_id
    await tenant.tenancy(ledger).answer_credit(request_id, answer(request, asker, tenant, contract))
    stored = await asker.tenancy(ledger).credit_answer(request_id)
    assert stored.tenant_kid == tenant.key.public_key.kid


async def test_a_namesake_landlord_of_another_building_is_shown_as_who_it_is(
    ledger: LedgerSite, landlord: Person, tenant: Person, contract: bytes, tmp_path: Path
) -> None:
    # Another building's hub registers a key under this building's landlord's name (in its own
    # building, the only one it may) and asks Ada for her credit file with it.
    intruder = await other_hub(ledger)
    namesake = Person(landlord.name, bytes(32))
    await intruder.register(
        KeyRegistration(Role.LANDLORD, namesake.key.public_key, bytes(32), landlord.name, NOW,
                        building=OTHER_BUILDING),
        namesake.key,
    )  # fmt: skip
    await namesake.tenancy(ledger).request_credit(credit_request(namesake, tenant))

    [shown] = await _pending(ledger, tenant)
    assert shown["landlord"] == {
        "kid": namesake.key.public_key.kid.hex(),
        "name": landlord.name,
        "building": OTHER_BUILDING,
        "status": "active",
        "label": landlord.name,
    }
    # Ada's own client asks the ledger she pinned, not the cloud: same answer, proven.
    keys = ProvenKeys(
        LedgerClient(ledger.site.session, ledger.url),
        tmp_path,
        LedgerTrust(
            LogNoteKey(ledger.signer.verifier.name, ledger.signer.verifier.key),
            tuple(ledger.witness_keys),
            2,
        ),
    )
    record = await keys.record(namesake.key.public_key.kid, Role.LANDLORD)
    assert (record.subject, record.building) == (landlord.name, OTHER_BUILDING)
    assert record.kid != landlord.key.public_key.kid


async def test_a_credit_request_about_a_tenant_by_name_only_cannot_be_made(
    ledger: LedgerSite, landlord: Person, tenant: Person, contract: bytes
) -> None:
    # The request names a key; a key that is a landlord's, not a tenant's, is no tenant.
    err = await refused(
        ledger,
        landlord.tenancy(ledger).request_credit(credit_request(landlord, landlord)),
    )

    assert (err.status, err.reason) == (404, "unknown_tenant")


async def test_in_this_building_the_landlords_key_is_the_one_shown(
    ledger: LedgerSite, landlord: Person, tenant: Person, contract: bytes
) -> None:
    await landlord.tenancy(ledger).request_credit(credit_request(landlord, tenant))

    [shown] = await _pending(ledger, tenant)

    assert (shown["landlord"]["kid"], shown["landlord"]["building"]) == (
        landlord.key.public_key.kid.hex(),
        BUILDING,
    )
