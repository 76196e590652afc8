"""Credit requests and sealed answers through the cloud, on SQLite and PostgreSQL."""

from __future__ import annotations

import os

import pytest

from buildinghub.keylog.entries import KeyRevocation, Role
from buildinghub.tenancy.credit import (
    CreditRequest,
    CreditRequestBook,
    answer_credit_request,
    build_credit_file,
    credit_request_id,
    open_credit_answer,
    sign_credit_request,
)
from tests.cloud_connector.people import (
    NOW,
    Person,
    lease,
    now,
    person,
    refused,
    register,
)
from tests.cloud_site import BUILDING
from tests.ledger_site import LedgerSite


@pytest.fixture
async def next_landlord(ledger: LedgerSite) -> Person:
    return await register(ledger, person("landlord.oak-house.example", "L0002"), Role.LANDLORD)


@pytest.fixture
async def contract(ledger: LedgerSite, landlord: Person, tenant: Person) -> bytes:
    signed = lease(landlord, tenant)
    await landlord.tenancy(ledger).submit_contract(signed)
    return signed


def credit_request(
    asker: Person,
    about: Person | bytes,
    issued_at: int | None = None,
    lifetime: int = 3600,
    label: str = "Ada Tenant",
) -> bytes:
    issued = now() if issued_at is None else issued_at
    tenant_key = about if isinstance(about, bytes) else about.key.public_key.kid
    return sign_credit_request(
        CreditRequest(
            landlord=asker.name,
            landlord_key=asker.key.public_key,
            landlord_sealing_key=asker.sealing_key.public_key,
            tenant=label,
            tenant_key=tenant_key,
            nonce=os.urandom(16),
            issued_at=issued,
            expires=issued + lifetime,
        ),
        asker.key,
    )


def answer(request: bytes, asker: Person, tenant: Person, contract: bytes) -> bytes:
    credit_file = build_credit_file(
        tenant_key=tenant.key, created_at=NOW, contracts=[contract], payments=[], inspections=[]
    )
    return answer_credit_request(
        request,
        landlord_key=asker.key.public_key,
        credit_file=credit_file,
        tenant_key=tenant.key.public_key,
        book=CreditRequestBook(),
        now=now(),
    )


async def test_the_requesting_landlord_reads_the_tenants_answer_and_nobody_else(
    ledger: LedgerSite, contract: bytes, tenant: Person, next_landlord: Person, landlord: Person
) -> None:
    request = credit_request(next_landlord, tenant)
    request_id = await next_landlord.tenancy(ledger).request_credit(request)

    [pending] = await tenant.tenancy(ledger).pending_requests()
    await tenant.tenancy(ledger).answer_credit(
        pending.request_id, answer(pending.request, next_landlord, tenant, contract)
    )

    stored = await next_landlord.tenancy(ledger).credit_answer(request_id)
    opened = open_credit_answer(
        stored.sealed,
        request_data=stored.request,
        landlord_key=next_landlord.key.public_key,
        landlord_sealing_key=next_landlord.sealing_key,
        tenant_key=tenant.key.public_key,
    )
    assert request_id == credit_request_id(request).hex() == pending.request_id
    assert stored.tenant_kid == tenant.key.public_key.kid
    assert opened.tenant == "Ada Tenant"
    assert len(opened.contracts) == 1
    assert await tenant.tenancy(ledger).pending_requests() == []
    err = await refused(ledger, landlord.tenancy(ledger).credit_answer(request_id))
    assert (err.status, err.reason) == (403, "not_the_requester")
    err = await refused(ledger, tenant.tenancy(ledger).credit_answer(request_id))
    assert (err.status, err.reason) == (403, "key_not_active")


async def test_a_replayed_credit_request_is_refused(
    ledger: LedgerSite, contract: bytes, next_landlord: Person, tenant: Person
) -> None:
    request = credit_request(next_landlord, tenant)
    await next_landlord.tenancy(ledger).request_credit(request)

    err = await refused(ledger, next_landlord.tenancy(ledger).request_credit(request))

    assert (err.status, err.reason) == (409, "request_replayed")


async def test_an_expired_credit_request_is_refused(
    ledger: LedgerSite, contract: bytes, next_landlord: Person, tenant: Person
) -> None:
    request = credit_request(next_landlord, tenant, issued_at=now() - 7200)

    err = await refused(ledger, next_landlord.tenancy(ledger).request_credit(request))

    assert (err.status, err.reason) == (400, "request_expired")


async def test_a_credit_request_by_an_unknown_or_revoked_landlord_key_is_refused(
    ledger: LedgerSite, contract: bytes, next_landlord: Person, tenant: Person
) -> None:
    unknown = person("landlord.nowhere.example", "L0404")
    err = await refused(
        ledger, unknown.tenancy(ledger).request_credit(credit_request(unknown, tenant))
    )
    assert (err.status, err.reason) == (403, "unknown_key")

    revocation = KeyRevocation(next_landlord.key.public_key.kid, NOW, "left", building=BUILDING)
    await ledger.anyone.revoke(revocation, next_landlord.key)
    request = credit_request(next_landlord, tenant)
    err = await refused(ledger, next_landlord.tenancy(ledger).request_credit(request))
    assert (err.status, err.reason) == (403, "key_not_active")


async def test_a_tenant_key_cannot_ask_for_a_credit_file(
    ledger: LedgerSite, contract: bytes, tenant: Person
) -> None:
    err = await refused(
        ledger, tenant.tenancy(ledger).request_credit(credit_request(tenant, tenant))
    )

    assert (err.status, err.reason) == (403, "key_not_active")


async def test_a_request_about_a_key_that_is_no_checked_tenant_is_refused(
    ledger: LedgerSite, contract: bytes, next_landlord: Person
) -> None:
    unchecked = await register(ledger, person("Una Checked", "UC0001"), Role.TENANT, checked=False)
    for about in (bytes(16), next_landlord.key.public_key.kid, unchecked.key.public_key.kid):
        request = credit_request(next_landlord, about)

        err = await refused(ledger, next_landlord.tenancy(ledger).request_credit(request))

        assert (err.status, err.reason) == (404, "unknown_tenant")


async def test_only_the_tenant_asked_about_answers_and_only_once(
    ledger: LedgerSite, contract: bytes, tenant: Person, next_landlord: Person
) -> None:
    request = credit_request(next_landlord, tenant)
    request_id = await next_landlord.tenancy(ledger).request_credit(request)
    sealed = answer(request, next_landlord, tenant, contract)
    stranger = await register(ledger, person("Bob Stranger", "ZZ999"), Role.TENANT)

    err = await refused(ledger, stranger.tenancy(ledger).answer_credit(request_id, sealed))
    assert (err.status, err.reason) == (404, "unknown_request")
    assert await stranger.tenancy(ledger).pending_requests() == []

    await tenant.tenancy(ledger).answer_credit(request_id, sealed)
    err = await refused(ledger, tenant.tenancy(ledger).answer_credit(request_id, sealed))
    assert (err.status, err.reason) == (409, "already_answered")


async def test_an_answer_read_before_the_tenant_answered_is_not_found(
    ledger: LedgerSite, contract: bytes, next_landlord: Person, tenant: Person
) -> None:
    request_id = await next_landlord.tenancy(ledger).request_credit(
        credit_request(next_landlord, tenant)
    )

    err = await refused(ledger, next_landlord.tenancy(ledger).credit_answer(request_id))

    assert (err.status, err.reason) == (404, "not_answered")


async def test_a_read_not_signed_by_the_key_it_names_is_unauthorized(
    ledger: LedgerSite, contract: bytes, next_landlord: Person, tenant: Person
) -> None:
    request_id = await next_landlord.tenancy(ledger).request_credit(
        credit_request(next_landlord, tenant)
    )
    path = f"/v1/credit/requests/{request_id}/answer"

    async with ledger.site.session.get(
        ledger.url + path,
        headers={
            "X-BuildingHub-Key": next_landlord.key.public_key.kid.hex(),
            "X-BuildingHub-Time": str(now()),
            "X-BuildingHub-Signature": "AAAA",
        },
    ) as response:
        assert response.status == 401
        assert (await response.json())["error"] == "unauthorized"
    async with ledger.site.session.get(ledger.url + path) as response:
        assert response.status == 401
