"""Contracts, payments and inspections in the cloud, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import date

from buildinghub.credentials.cose_sign import Signature
from buildinghub.keylog.entries import KeyRevocation, Role
from buildinghub.tenancy.contract import (
    contract_document,
    sign_contract,
    signed_contract,
    verify_contract,
)
from buildinghub.tenancy.inspection import (
    Condition,
    Finding,
    InspectionReport,
    inspection_document,
    sign_inspection,
    signed_inspection,
    verify_inspection,
)
from buildinghub.tenancy.rent import PaymentRecord, open_payment
from buildinghub.tenancy.stored_payment import (
    read_stored_payment,
    stored_payment,
    stored_payment_digest,
)
from cloud_connector.app import MAX_BODY
from tests.cloud_connector.people import (
    NOW,
    Person,
    digest_of,
    lease,
    person,
    refused,
    register,
    row_counts,
    terms,
)
from tests.cloud_site import BUILDING
from tests.ledger_site import LedgerSite


async def post(ledger: LedgerSite, path: str, payload: object) -> tuple[int, dict[str, object]]:
    async with ledger.site.session.post(ledger.url + path, json=payload) as response:
        return response.status, await response.json()


def payment(contract: bytes, due: date, reference: str = "SEPA-0001") -> PaymentRecord:
    return PaymentRecord(
        contract=digest_of(contract),
        tenant="Ada Tenant",
        due=due,
        amount=95_000,
        currency="EUR",
        paid_at=NOW,
        reference=reference,
    )


async def test_a_contract_is_stored_once_and_read_back_by_its_parties_only(
    ledger: LedgerSite, landlord: Person, tenant: Person
) -> None:
    contract = lease(landlord, tenant)

    digest, stored = await landlord.tenancy(ledger).submit_contract(contract)
    again = await tenant.tenancy(ledger).submit_contract(contract)

    assert (digest, stored) == (digest_of(contract).hex(), True)
    assert again == (digest, False)
    assert await tenant.tenancy(ledger).contract(digest_of(contract)) == contract
    assert await landlord.tenancy(ledger).contract(digest_of(contract)) == contract
    stranger = await register(ledger, person("Bob Stranger", "ZZ999"), Role.TENANT)
    err = await refused(ledger, stranger.tenancy(ledger).contract(digest_of(contract)))
    assert (err.status, err.reason) == (404, "unknown_contract")
    assert (await row_counts(ledger.site.cloud.engine))["lease_contracts"] == 1


async def test_a_contract_with_a_forged_tenant_signature_is_refused(
    ledger: LedgerSite, landlord: Person, tenant: Person
) -> None:
    document = contract_document(terms(landlord, tenant))
    genuine = sign_contract(document, tenant.key)
    tampered = Signature(genuine.kid, genuine.protected, genuine.signature[:-1] + b"\x00")
    forged = signed_contract(
        document, landlord=sign_contract(document, landlord.key), tenant=tampered
    )

    err = await refused(ledger, landlord.tenancy(ledger).submit_contract(forged))

    assert (err.status, err.reason) == (401, "bad_signature")


async def test_a_contract_whose_landlord_key_is_not_in_the_ledger_is_refused(
    ledger: LedgerSite, tenant: Person
) -> None:
    unknown = person("landlord.elm-court.example", "L0001")

    err = await refused(ledger, tenant.tenancy(ledger).submit_contract(lease(unknown, tenant)))

    assert (err.status, err.reason) == (403, "unknown_key")


async def test_a_contract_whose_tenant_key_was_revoked_is_refused(
    ledger: LedgerSite, landlord: Person, tenant: Person
) -> None:
    await ledger.anyone.revoke(
        KeyRevocation(tenant.key.public_key.kid, NOW, "phone lost", building=BUILDING), tenant.key
    )

    err = await refused(ledger, landlord.tenancy(ledger).submit_contract(lease(landlord, tenant)))

    assert (err.status, err.reason) == (403, "key_not_active")
    assert "revoked" in str(err)


async def test_a_contract_naming_a_landlord_other_than_the_keys_owner_is_refused(
    ledger: LedgerSite, landlord: Person, tenant: Person
) -> None:
    contract = lease(landlord, tenant, landlord="someone-else.example")

    err = await refused(ledger, landlord.tenancy(ledger).submit_contract(contract))

    assert (err.status, err.reason) == (403, "not_the_landlord")


async def test_a_contract_for_another_identity_than_the_tenant_key_is_refused(
    ledger: LedgerSite, landlord: Person, tenant: Person
) -> None:
    contract = lease(landlord, tenant, tenant_identity=bytes(32))

    err = await refused(ledger, landlord.tenancy(ledger).submit_contract(contract))

    assert (err.status, err.reason) == (403, "not_the_tenant")


async def test_payments_are_stored_sealed_and_only_the_tenant_reads_them_back(
    ledger: LedgerSite, landlord: Person, tenant: Person
) -> None:
    contract = lease(landlord, tenant)
    await landlord.tenancy(ledger).submit_contract(contract)
    records = [payment(contract, date(2026, 1, 1)), payment(contract, date(2026, 2, 1), "SEPA-2")]

    for record in records:
        sealed = stored_payment(record, tenant.key, tenant.sealing_key.public_key)
        digest, stored = await tenant.tenancy(ledger).submit_payment(sealed)
        assert (digest, stored) == (stored_payment_digest(sealed).hex(), True)
    resent = await tenant.tenancy(ledger).submit_payment(sealed)

    found = await tenant.tenancy(ledger).payments(digest_of(contract))
    signed = verify_contract(contract)
    opened = [
        open_payment(read_stored_payment(item, signed), tenant.sealing_key, signed)[0]
        for item in found
    ]
    assert resent[1] is False
    assert sorted((p.reference, p.amount) for p in opened) == [
        ("SEPA-0001", 95_000),
        ("SEPA-2", 95_000),
    ]
    assert all(b"SEPA" not in item for item in found)
    err = await refused(ledger, landlord.tenancy(ledger).payments(digest_of(contract)))
    assert (err.status, err.reason) == (403, "key_not_active")
    stranger = await register(ledger, person("Bob Stranger", "ZZ999"), Role.TENANT)
    err = await refused(ledger, stranger.tenancy(ledger).payments(digest_of(contract)))
    assert (err.status, err.reason) == (404, "unknown_contract")


async def test_a_payment_signed_by_someone_else_is_refused(
    ledger: LedgerSite, landlord: Person, tenant: Person
) -> None:
    contract = lease(landlord, tenant)
    await landlord.tenancy(ledger).submit_contract(contract)
    record = payment(contract, date(2026, 1, 1))

    forged = stored_payment(record, landlord.key, tenant.sealing_key.public_key)
    err = await refused(ledger, tenant.tenancy(ledger).submit_payment(forged))

    assert (err.status, err.reason) == (401, "bad_signature")


async def test_a_payment_for_a_contract_not_stored_is_refused(
    ledger: LedgerSite, landlord: Person, tenant: Person
) -> None:
    contract = lease(landlord, tenant)
    sealed = stored_payment(
        payment(contract, date(2026, 1, 1)), tenant.key, tenant.sealing_key.public_key
    )

    err = await refused(ledger, tenant.tenancy(ledger).submit_payment(sealed))

    assert (err.status, err.reason) == (404, "unknown_contract")


def inspection(contract: bytes, landlord: Person, tenant: Person, returned: int = 170_000) -> bytes:
    signed = verify_contract(contract)
    document = inspection_document(
        InspectionReport(
            contract=signed.digest,
            inspected_at=NOW,
            findings=(Finding("kitchen", Condition.DAMAGED, 190_000 - returned),),
            deposit_returned=returned,
        )
    )
    return signed_inspection(
        document,
        landlord=sign_inspection(document, landlord.key, signed),
        tenant=sign_inspection(document, tenant.key, signed),
    )


async def test_an_inspection_both_signed_is_stored_and_read_by_either_party(
    ledger: LedgerSite, landlord: Person, tenant: Person
) -> None:
    contract = lease(landlord, tenant)
    await landlord.tenancy(ledger).submit_contract(contract)
    report = inspection(contract, landlord, tenant)

    digest, stored = await tenant.tenancy(ledger).submit_inspection(report)

    assert stored
    [found] = await landlord.tenancy(ledger).inspections(digest_of(contract))
    assert verify_inspection(found, verify_contract(contract)).digest.hex() == digest
    assert await tenant.tenancy(ledger).inspections(digest_of(contract)) == [found]


async def test_an_inspection_signed_by_the_landlord_twice_is_refused(
    ledger: LedgerSite, landlord: Person, tenant: Person
) -> None:
    contract = lease(landlord, tenant)
    await landlord.tenancy(ledger).submit_contract(contract)
    signed = verify_contract(contract)
    document = inspection_document(
        InspectionReport(
            contract=signed.digest, inspected_at=NOW, findings=(), deposit_returned=190_000
        )
    )
    own = sign_inspection(document, landlord.key, signed)
    forged = signed_inspection(document, landlord=own, tenant=own)

    err = await refused(ledger, landlord.tenancy(ledger).submit_inspection(forged))

    assert (err.status, err.reason) == (401, "bad_signature")


async def test_malformed_and_oversized_bodies_are_refused_and_write_nothing(
    ledger: LedgerSite,
) -> None:
    before = await row_counts(ledger.site.cloud.engine)
    cases = [
        ({"contract": "not base64!"}, 400, "malformed"),
        ({"contract": "AAAA"}, 400, "malformed_record"),
        ({"payment": 7}, 400, "malformed"),
        ({}, 400, "malformed"),
    ]
    for payload, status, reason in cases:
        path = "/v1/tenancy/payments" if "payment" in payload else "/v1/tenancy/contracts"
        got_status, answer = await post(ledger, path, payload)
        assert (got_status, answer["error"]) == (status, reason), answer
    async with ledger.site.session.post(
        ledger.url + "/v1/tenancy/contracts", data=b"{" + b" " * MAX_BODY + b"}"
    ) as response:
        assert response.status == 413
        assert (await response.json())["error"] == "too_large"
    assert await row_counts(ledger.site.cloud.engine) == before


async def test_the_same_payment_sent_twice_at_once_is_stored_once(
    ledger: LedgerSite, landlord: Person, tenant: Person
) -> None:
    contract = lease(landlord, tenant)
    await landlord.tenancy(ledger).submit_contract(contract)
    record = payment(contract, date(2026, 1, 1))
    sealed = stored_payment(record, tenant.key, tenant.sealing_key.public_key)

    answers = await asyncio.gather(
        *(tenant.tenancy(ledger).submit_payment(sealed) for _ in range(4))
    )

    assert sorted(stored for _, stored in answers) == [False, False, False, True]
    assert (await row_counts(ledger.site.cloud.engine))["rent_payments"] == 1
