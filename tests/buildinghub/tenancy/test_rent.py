"""Rent: due dates from the schedule; payments the tenant signs, stored so only they read them."""

from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from buildinghub.credentials.errors import BadSignature, CredentialError
from buildinghub.credentials.sealing import SealingKey
from buildinghub.tenancy.contract import LeaseTerms, SignedContract
from buildinghub.tenancy.errors import PaymentRefused
from buildinghub.tenancy.rent import (
    PaymentRecord,
    due_date,
    due_dates,
    next_due,
    open_payment,
    seal_for_tenant,
    sign_payment,
    verify_payment,
)
from tests.buildinghub.tampering import flip

from .conftest import Party

JAN_31_NOON = 1_769_860_800  # 2026-01-31T12:00:00Z
FEB_01_NOON = JAN_31_NOON + 86_400


@pytest.mark.parametrize(
    ("year", "month", "due_day", "expected"),
    [
        (2026, 2, 31, date(2026, 2, 28)),
        (2028, 2, 31, date(2028, 2, 29)),
        (2026, 4, 31, date(2026, 4, 30)),
        (2026, 2, 29, date(2026, 2, 28)),
        (2026, 3, 31, date(2026, 3, 31)),
        (2026, 2, 1, date(2026, 2, 1)),
    ],
    ids=["february", "leap-february", "april", "29th-in-february", "march", "first"],
)
def test_a_due_day_past_the_end_of_a_month_falls_on_its_last_day(
    year: int, month: int, due_day: int, expected: date
) -> None:
    assert due_date(year, month, due_day) == expected


def test_the_due_dates_are_those_of_the_schedule_inside_the_lease(terms: LeaseTerms) -> None:
    dates = list(due_dates(terms))

    assert dates[:4] == [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30)]
    assert dates[-1] == date(2026, 12, 31)
    assert len(dates) == 12


def test_a_due_day_before_the_lease_starts_is_not_due_that_month(terms: LeaseTerms) -> None:
    dates = list(due_dates(replace(terms, due_day=1)))

    assert dates[:1] == [date(2026, 2, 1)]
    assert len(dates) == 11


def test_the_next_due_date_is_today_or_later_and_none_after_the_lease(terms: LeaseTerms) -> None:
    assert next_due(terms, date(2026, 2, 28)) == date(2026, 2, 28)
    assert next_due(terms, date(2026, 3, 1)) == date(2026, 3, 31)
    assert next_due(terms, date(2027, 1, 1)) is None


@pytest.fixture(scope="module")
def payment(contract: SignedContract, tenant: Party) -> PaymentRecord:
    return PaymentRecord(
        contract=contract.digest,
        tenant=tenant.name,
        due=date(2026, 1, 31),
        amount=95_000,
        currency="EUR",
        paid_at=JAN_31_NOON,
        reference="SEPA 2026-01 flat12",
    )


@pytest.fixture(scope="module")
def signed_payment(payment: PaymentRecord, tenant: Party) -> bytes:
    return sign_payment(payment, tenant.signing_key)


def test_a_payment_signed_by_the_tenant_verifies_against_its_contract(
    signed_payment: bytes, payment: PaymentRecord, contract: SignedContract
) -> None:
    verified = verify_payment(signed_payment, contract)

    assert verified == payment
    assert verified.on_time


def test_a_payment_after_its_due_date_is_late(
    payment: PaymentRecord, tenant: Party, contract: SignedContract
) -> None:
    late = sign_payment(replace(payment, paid_at=FEB_01_NOON), tenant.signing_key)

    assert not verify_payment(late, contract).on_time


def test_a_payment_signed_by_someone_else_is_refused(
    payment: PaymentRecord, landlord: Party, contract: SignedContract
) -> None:
    with pytest.raises(BadSignature):
        verify_payment(sign_payment(payment, landlord.signing_key), contract)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"due": date(2026, 2, 1)}, "not a due date"),
        ({"currency": "USD"}, "EUR"),
        ({"amount": 0}, "positive"),
        ({"contract": bytes(32)}, "another contract"),
        ({"tenant": "tenant-0043"}, "another contract or tenant"),
    ],
    ids=["not-due", "currency", "zero", "other-contract", "other-tenant"],
)
def test_a_payment_that_does_not_fit_its_contract_is_refused(
    payment: PaymentRecord,
    tenant: Party,
    contract: SignedContract,
    change: dict[str, object],
    message: str,
) -> None:
    data = sign_payment(replace(payment, **change), tenant.signing_key)  # type: ignore[arg-type]

    with pytest.raises(PaymentRefused, match=message) as refused:
        verify_payment(data, contract)

    assert refused.value.reason == "payment_refused"


@pytest.fixture(scope="module")
def stored(signed_payment: bytes, tenant: Party, contract: SignedContract) -> bytes:
    return seal_for_tenant(signed_payment, tenant.sealing_key.public_key, contract.digest)


def test_a_stored_payment_opens_for_the_tenant(
    stored: bytes, signed_payment: bytes, payment: PaymentRecord, tenant: Party,
    contract: SignedContract,
) -> None:  # fmt: skip
    opened, signed = open_payment(stored, tenant.sealing_key, contract)

    assert opened == payment
    assert signed == signed_payment
    assert b"SEPA" not in stored


def test_a_stored_payment_does_not_open_for_the_landlord(
    stored: bytes, landlord: Party, contract: SignedContract
) -> None:
    with pytest.raises(PaymentRefused, match="does not open"):
        open_payment(stored, landlord.sealing_key, contract)


def test_a_stored_payment_does_not_open_for_a_stranger(
    stored: bytes, contract: SignedContract
) -> None:
    with pytest.raises(PaymentRefused, match="does not open"):
        open_payment(stored, SealingKey.generate(), contract)


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_no_single_bit_change_of_a_stored_payment_opens(
    stored: bytes, tenant: Party, contract: SignedContract, data: st.DataObject
) -> None:
    bit = data.draw(st.integers(0, len(stored) * 8 - 1), label="bit")

    with pytest.raises(CredentialError):
        open_payment(flip(stored, bit), tenant.sealing_key, contract)


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_no_single_bit_change_of_a_signed_payment_verifies(
    signed_payment: bytes, contract: SignedContract, data: st.DataObject
) -> None:
    bit = data.draw(st.integers(0, len(signed_payment) * 8 - 1), label="bit")

    with pytest.raises(CredentialError):
        verify_payment(flip(signed_payment, bit), contract)
