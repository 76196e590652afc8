"""SPEC S4 through the cloud's API: one canonical signature, records stored by their content.

The attack of issue 13: a stored payment re-encoded with its signature's s replaced by n - s
still verified and was stored a second time. Now only low-s signatures verify (everywhere:
signed records, ledger submissions, identity checks), and a record signed again over the same
content is the same record.
"""

from __future__ import annotations

import base64
from datetime import date

import pytest

from buildinghub.biometrics.client import ConsentClient
from buildinghub.credentials import SigningKey
from buildinghub.credentials.signed_record import read_record, sign_record
from buildinghub.keylog.entries import KeyRegistration, RecordKind, Role, SignedRecord, encode_entry
from buildinghub.keylog.records import CheckMethod, IdentityCheckRecord, sign_identity_check
from buildinghub.keylog.submission import Action, sign_submission
from buildinghub.tenancy.rent import PaymentRecord
from buildinghub.tenancy.stored_payment import stored_payment
from tests.buildinghub.tampering import other_s, with_other_s
from tests.cloud_connector.people import (
    NOW,
    STATION,
    Person,
    digest_of,
    lease,
    person,
    refused,
    register,
    station,
    stored,
)
from tests.cloud_connector.test_biometrics_api import consent
from tests.cloud_site import BUILDING
from tests.ledger_site import LedgerSite


@pytest.fixture
async def contract(ledger: LedgerSite, landlord: Person, tenant: Person) -> bytes:
    signed = lease(landlord, tenant)
    await landlord.tenancy(ledger).submit_contract(signed)
    return signed


def _paid(contract: bytes, tenant: Person) -> bytes:
    record = PaymentRecord(
        contract=digest_of(contract),
        tenant=tenant.name,
        due=date(2026, 1, 1),
        amount=95_000,
        currency="EUR",
        paid_at=NOW,
        reference="SEPA-0001",
    )
    return stored_payment(record, tenant.key, tenant.sealing_key.public_key)


async def test_a_payment_with_s_replaced_by_n_minus_s_is_refused_and_not_stored_twice(
    ledger: LedgerSite, tenant: Person, contract: bytes
) -> None:
    payment = _paid(contract, tenant)
    assert (await tenant.tenancy(ledger).submit_payment(payment))[1] is True
    twin = with_other_s(payment)
    assert twin != payment

    err = await refused(ledger, tenant.tenancy(ledger).submit_payment(twin))

    assert (err.status, err.reason) == (401, "bad_signature")
    assert "canonical low-s" in str(err)
    assert len(await tenant.tenancy(ledger).payments(digest_of(contract))) == 1


async def test_a_payment_signed_again_over_the_same_content_is_the_same_payment(
    ledger: LedgerSite, tenant: Person, contract: bytes
) -> None:
    payment = _paid(contract, tenant)
    fields = read_record(
        payment, record_type="stored-payment", fields=("contract", "sealed"), max_size=1024
    ).fields
    again = sign_record(
        "stored-payment",
        {"contract": fields["contract"], "sealed": fields["sealed"]},
        tenant.key,
        max_size=1024,
    )
    assert again != payment

    first = await tenant.tenancy(ledger).submit_payment(payment)
    before = await stored(ledger.site.cloud.engine)
    second = await tenant.tenancy(ledger).submit_payment(again)

    assert (first[1], second) == (True, (first[0], False))
    assert await stored(ledger.site.cloud.engine) == before


async def test_a_consent_with_a_high_s_signature_is_refused(
    ledger: LedgerSite, tenant: Person
) -> None:
    client = ConsentClient(tenant.client(ledger))

    err = await refused(ledger, client.submit_consent(with_other_s(consent(tenant))))

    assert (err.status, err.reason) == (401, "bad_signature")


async def test_a_ledger_submission_with_a_high_s_possession_signature_is_refused(
    ledger: LedgerSite,
) -> None:
    key = SigningKey.generate()
    entry = KeyRegistration(
        Role.TENANT, key.public_key, bytes(32), bytes(32).hex(), NOW, building=BUILDING
    )
    raw = encode_entry(entry)
    payload = {
        "entry": base64.b64encode(raw).decode(),
        "signature": base64.b64encode(other_s(sign_submission(key, Action.REGISTER, raw))).decode(),
    }
    before = await stored(ledger.site.cloud.engine)

    async with ledger.site.session.post(ledger.url + "/v1/ledger/keys", json=payload) as response:
        assert response.status == 401
        assert "signature" in (await response.json())["message"]

    assert await stored(ledger.site.cloud.engine) == before


async def test_an_identity_check_with_a_high_s_signature_binds_nothing(
    ledger: LedgerSite,
) -> None:
    ada = await register(ledger, person("Ada", "AB123456"), Role.TENANT, checked=False)
    check = IdentityCheckRecord(
        tenant=ada.identity,
        tenant_key=ada.key.public_key.kid,
        method=CheckMethod.PASSPORT,
        checked_at=NOW,
        checked_by=STATION,
    )
    signed = with_other_s(sign_identity_check(check, await station(ledger)))

    err = await refused(ledger, ledger.anyone.publish(SignedRecord(RecordKind.IDENTITY, signed)))

    assert (err.status, err.reason) == (400, "not_authentic")
