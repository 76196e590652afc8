"""Credit files: the tenant shares a verified history with the one landlord who asked for it."""

import os
from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from buildinghub.credentials.errors import BadSignature, CredentialError
from buildinghub.credentials.keys import SigningKey
from buildinghub.credentials.sealing import SealingKey
from buildinghub.credentials.signed_record import MalformedRecord
from buildinghub.tenancy.contract import (
    LeaseTerms,
    SignedContract,
    contract_document,
    sign_contract,
    signed_contract,
)
from buildinghub.tenancy.credit import (
    MAX_REQUEST_LIFETIME,
    CreditRequest,
    CreditRequestBook,
    answer_credit_request,
    build_credit_file,
    open_credit_answer,
    read_credit_file,
    sign_credit_request,
)
from buildinghub.tenancy.errors import CreditFileRefused, RequestExpired, RequestReplayed
from buildinghub.tenancy.inspection import (
    Condition,
    Finding,
    InspectionReport,
    inspection_document,
    sign_inspection,
    signed_inspection,
)
from buildinghub.tenancy.rent import PaymentRecord, due_dates, sign_payment, verify_payment
from tests.buildinghub.tampering import flip

from .conftest import IDENTITY_NUMBER, Party

NOW = 1_799_000_000  # January 2027, after the lease


@pytest.fixture(scope="module")
def payments(contract: SignedContract, tenant: Party) -> list[bytes]:
    # Eleven paid at noon of the due date, December's two days late.
    records = []
    for due in due_dates(contract.terms):
        noon = int((due - date(1970, 1, 1)).total_seconds()) + 43_200
        late = 2 * 86_400 if due.month == 12 else 0
        payment = PaymentRecord(
            contract=contract.digest,
            tenant=tenant.name,
            due=due,
            amount=95_000,
            currency="EUR",
            paid_at=noon + late,
            reference=f"SEPA {due:%Y-%m}",
        )
        records.append(sign_payment(payment, tenant.signing_key))
    return records


@pytest.fixture(scope="module")
def inspection(contract: SignedContract, landlord: Party, tenant: Party) -> bytes:
    document = inspection_document(
        InspectionReport(
            contract=contract.digest,
            inspected_at=NOW - 86_400,
            findings=(Finding("living room wall", Condition.DAMAGED, 25_000),),
            deposit_returned=165_000,
        )
    )
    return signed_inspection(
        document,
        landlord=sign_inspection(document, landlord.signing_key, contract),
        tenant=sign_inspection(document, tenant.signing_key, contract),
    )


@pytest.fixture(scope="module")
def credit_file(
    contract_bytes: bytes, payments: list[bytes], inspection: bytes, tenant: Party
) -> bytes:
    return build_credit_file(
        tenant_key=tenant.signing_key,
        created_at=NOW,
        contracts=[contract_bytes],
        payments=payments,
        inspections=[inspection],
    )


@pytest.fixture(scope="module")
def next_landlord() -> Party:
    return Party("landlord-9", SigningKey.generate(), SealingKey.generate())


def _request(landlord: Party, tenant: Party, /, **changes: object) -> bytes:
    request = CreditRequest(
        landlord=landlord.name,
        landlord_key=landlord.signing_key.public_key,
        landlord_sealing_key=landlord.sealing_key.public_key,
        tenant=tenant.name,
        tenant_key=tenant.signing_key.public_key.kid,
        nonce=os.urandom(16),
        issued_at=NOW,
        expires=NOW + 3600,
    )
    return sign_credit_request(replace(request, **changes), landlord.signing_key)  # type: ignore[arg-type]


def _answer(
    request: bytes, landlord: Party, tenant: Party, credit_file: bytes,
    book: CreditRequestBook | None = None, now: int = NOW,
) -> bytes:  # fmt: skip
    return answer_credit_request(
        request,
        landlord_key=landlord.signing_key.public_key,
        credit_file=credit_file,
        tenant_key=tenant.signing_key.public_key,
        book=book or CreditRequestBook(),
        now=now,
    )


def test_the_landlord_who_asked_reads_the_tenants_verified_history(
    credit_file: bytes, next_landlord: Party, tenant: Party, contract: SignedContract
) -> None:
    request = _request(next_landlord, tenant)

    opened = open_credit_answer(
        _answer(request, next_landlord, tenant, credit_file),
        request_data=request,
        landlord_key=next_landlord.signing_key.public_key,
        landlord_sealing_key=next_landlord.sealing_key,
        tenant_key=tenant.signing_key.public_key,
    )

    assert opened.tenant == tenant.name
    assert [c.digest for c in opened.contracts] == [contract.digest]
    assert (opened.payments_on_time, opened.payments_late) == (11, 1)
    assert opened.deductions == 25_000


def test_another_landlord_cannot_open_the_answer(
    credit_file: bytes, next_landlord: Party, landlord: Party, tenant: Party
) -> None:
    request = _request(next_landlord, tenant)
    sealed = _answer(request, next_landlord, tenant, credit_file)

    with pytest.raises(CreditFileRefused, match="does not open") as refused:
        open_credit_answer(
            sealed,
            request_data=request,
            landlord_key=next_landlord.signing_key.public_key,
            landlord_sealing_key=landlord.sealing_key,
            tenant_key=tenant.signing_key.public_key,
        )

    assert refused.value.reason == "credit_file_refused"


def test_an_answer_opens_only_as_the_answer_to_its_own_request(
    credit_file: bytes, next_landlord: Party, tenant: Party
) -> None:
    first, second = _request(next_landlord, tenant), _request(next_landlord, tenant)
    sealed = _answer(first, next_landlord, tenant, credit_file)

    with pytest.raises(CreditFileRefused, match="does not open"):
        open_credit_answer(
            sealed,
            request_data=second,
            landlord_key=next_landlord.signing_key.public_key,
            landlord_sealing_key=next_landlord.sealing_key,
            tenant_key=tenant.signing_key.public_key,
        )


def test_the_identity_number_never_appears_in_the_file(credit_file: bytes) -> None:
    assert IDENTITY_NUMBER.encode() not in credit_file
    assert IDENTITY_NUMBER.replace("-", "").encode() not in credit_file


def test_a_replayed_request_is_refused(
    credit_file: bytes, next_landlord: Party, tenant: Party
) -> None:
    book = CreditRequestBook()
    request = _request(next_landlord, tenant)
    _answer(request, next_landlord, tenant, credit_file, book)

    with pytest.raises(RequestReplayed) as refused:
        _answer(request, next_landlord, tenant, credit_file, book, now=NOW + 60)

    assert refused.value.reason == "request_replayed"


@pytest.mark.parametrize("now", [NOW + 3600, NOW - 301], ids=["expired", "not-yet-valid"])
def test_a_request_outside_its_window_is_refused(
    credit_file: bytes, next_landlord: Party, tenant: Party, now: int
) -> None:
    with pytest.raises(RequestExpired, match="ask the landlord for a new one"):
        _answer(_request(next_landlord, tenant), next_landlord, tenant, credit_file, now=now)


def test_a_request_valid_for_more_than_a_day_is_refused(
    credit_file: bytes, next_landlord: Party, tenant: Party
) -> None:
    request = _request(next_landlord, tenant, expires=NOW + MAX_REQUEST_LIFETIME + 1)

    with pytest.raises(MalformedRecord, match="at most 86400 seconds"):
        _answer(request, next_landlord, tenant, credit_file)


def test_a_request_whose_key_is_not_the_landlords_in_the_ledger_is_refused(
    credit_file: bytes, next_landlord: Party, tenant: Party
) -> None:
    impostor = Party(next_landlord.name, SigningKey.generate(), SealingKey.generate())

    with pytest.raises(CreditFileRefused, match="not the landlord's in the ledger"):
        _answer(_request(impostor, tenant), next_landlord, tenant, credit_file)


def test_a_forged_request_signature_is_refused(
    credit_file: bytes, next_landlord: Party, tenant: Party
) -> None:
    request = _request(next_landlord, tenant)

    with pytest.raises(BadSignature):
        _answer(flip(request, len(request) * 8 - 1), next_landlord, tenant, credit_file)


def test_a_request_about_another_tenants_key_is_refused_even_under_this_tenants_name(
    credit_file: bytes, next_landlord: Party, tenant: Party
) -> None:
    # A namesake: the same name, another key. People are addressed by key (SPEC S3).
    request = _request(next_landlord, tenant, tenant_key=SigningKey.generate().public_key.kid)

    with pytest.raises(CreditFileRefused, match="not this one"):
        _answer(request, next_landlord, tenant, credit_file)


def test_a_request_naming_this_tenants_key_under_another_label_is_answered(
    credit_file: bytes, next_landlord: Party, tenant: Party
) -> None:
    request = _request(next_landlord, tenant, tenant="whoever the landlord thinks")

    assert _answer(request, next_landlord, tenant, credit_file)


def test_a_file_counting_one_payment_twice_is_refused(
    contract: SignedContract, contract_bytes: bytes, tenant: Party, payments: list[bytes]
) -> None:
    # The same payment signed a second time: other bytes, the same payment.
    again = sign_payment(verify_payment(payments[0], contract), tenant.signing_key)
    assert again != payments[0]

    with pytest.raises(CreditFileRefused, match="same payment twice"):
        build_credit_file(
            tenant_key=tenant.signing_key,
            created_at=NOW,
            contracts=[contract_bytes],
            payments=[payments[0], again],
            inspections=[],
        )


def test_a_file_holding_another_tenants_contract_is_refused(
    contract_bytes: bytes, terms: LeaseTerms, landlord: Party, tenant: Party
) -> None:
    other = Party("tenant-0043", SigningKey.generate(), SealingKey.generate())
    document = contract_document(
        replace(terms, tenant=other.name, tenant_key=other.signing_key.public_key)
    )
    others = signed_contract(
        document,
        landlord=sign_contract(document, landlord.signing_key),
        tenant=sign_contract(document, other.signing_key),
    )

    with pytest.raises(CreditFileRefused, match="another tenant's"):
        build_credit_file(
            tenant_key=tenant.signing_key,
            created_at=NOW,
            contracts=[contract_bytes, others],
            payments=[],
            inspections=[],
        )


def test_a_payment_of_a_contract_not_in_the_file_is_refused(
    payments: list[bytes], tenant: Party, contract_bytes: bytes, terms: LeaseTerms,
    landlord: Party,
) -> None:  # fmt: skip
    document = contract_document(replace(terms, flat="floor3-flat13"))
    second = signed_contract(
        document,
        landlord=sign_contract(document, landlord.signing_key),
        tenant=sign_contract(document, tenant.signing_key),
    )

    with pytest.raises(CreditFileRefused, match="does not hold"):
        build_credit_file(
            tenant_key=tenant.signing_key,
            created_at=NOW,
            contracts=[second],
            payments=payments[:1],
            inspections=[],
        )


def test_a_credit_file_signed_by_someone_else_is_refused(
    credit_file: bytes, landlord: Party
) -> None:
    with pytest.raises(BadSignature):
        read_credit_file(credit_file, tenant_key=landlord.signing_key.public_key)


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_no_single_bit_change_of_a_sealed_answer_opens(
    credit_file: bytes, next_landlord: Party, tenant: Party, data: st.DataObject
) -> None:
    request = _request(next_landlord, tenant)
    sealed = _answer(request, next_landlord, tenant, credit_file)
    bit = data.draw(st.integers(0, len(sealed) * 8 - 1), label="bit")

    with pytest.raises(CreditFileRefused):
        open_credit_answer(
            flip(sealed, bit),
            request_data=request,
            landlord_key=next_landlord.signing_key.public_key,
            landlord_sealing_key=next_landlord.sealing_key,
            tenant_key=tenant.signing_key.public_key,
        )


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_no_single_bit_change_of_a_credit_request_is_answered(
    credit_file: bytes, next_landlord: Party, tenant: Party, data: st.DataObject
) -> None:
    request = _request(next_landlord, tenant)
    bit = data.draw(st.integers(0, len(request) * 8 - 1), label="bit")

    with pytest.raises(CredentialError):
        _answer(flip(request, bit), next_landlord, tenant, credit_file)
