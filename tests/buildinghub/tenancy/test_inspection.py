"""Move-out inspections: one report, signed by landlord and tenant, that fits its contract."""

from dataclasses import replace

import cbor2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from buildinghub.credentials.errors import BadSignature, CredentialError
from buildinghub.credentials.signed_record import MalformedRecord, encode_fields
from buildinghub.tenancy.contract import SignedContract
from buildinghub.tenancy.errors import InspectionRefused
from buildinghub.tenancy.inspection import (
    Condition,
    Finding,
    InspectionReport,
    inspection_document,
    read_inspection,
    sign_inspection,
    signed_inspection,
    verify_inspection,
)
from tests.buildinghub.tampering import flip

from .conftest import Party

MOVE_OUT = 1_798_675_200  # 2026-12-31T00:00:00Z


@pytest.fixture(scope="module")
def report(contract: SignedContract) -> InspectionReport:
    return InspectionReport(
        contract=contract.digest,
        inspected_at=MOVE_OUT,
        findings=(
            Finding("kitchen", Condition.GOOD, 0),
            Finding("living room wall", Condition.DAMAGED, 25_000),
            Finding("bathroom", Condition.WORN, 0),
        ),
        deposit_returned=165_000,
    )


def _both_sign(report: InspectionReport, contract: SignedContract, landlord: Party,
               tenant: Party) -> bytes:  # fmt: skip
    document = inspection_document(report)
    return signed_inspection(
        document,
        landlord=sign_inspection(document, landlord.signing_key, contract),
        tenant=sign_inspection(document, tenant.signing_key, contract),
    )


@pytest.fixture(scope="module")
def signed(
    report: InspectionReport, contract: SignedContract, landlord: Party, tenant: Party
) -> bytes:
    return _both_sign(report, contract, landlord, tenant)


def test_a_report_signed_by_both_parties_verifies(
    signed: bytes, report: InspectionReport, contract: SignedContract
) -> None:
    verified = verify_inspection(signed, contract)

    assert verified.report == report


def test_a_report_whose_deductions_do_not_add_up_to_the_deposit_is_not_signed(
    report: InspectionReport, contract: SignedContract, landlord: Party
) -> None:
    wrong = inspection_document(replace(report, deposit_returned=190_000))

    with pytest.raises(InspectionRefused, match="do not add up") as refused:
        sign_inspection(wrong, landlord.signing_key, contract)

    assert refused.value.reason == "inspection_refused"


def test_a_report_the_tenant_did_not_sign_is_refused(
    report: InspectionReport, contract: SignedContract, landlord: Party
) -> None:
    document = inspection_document(report)
    landlord_twice = signed_inspection(
        document,
        landlord=sign_inspection(document, landlord.signing_key, contract),
        tenant=sign_inspection(document, landlord.signing_key, contract),
    )

    with pytest.raises(BadSignature, match="signature 2"):
        verify_inspection(landlord_twice, contract)


def test_a_finding_changed_after_the_tenant_signed_is_refused(
    report: InspectionReport, contract: SignedContract, landlord: Party, tenant: Party
) -> None:
    document = inspection_document(report)
    tenant_signature = sign_inspection(document, tenant.signing_key, contract)
    harsher = inspection_document(
        replace(
            report,
            findings=(*report.findings[:2], Finding("bathroom", Condition.DAMAGED, 10_000)),
            deposit_returned=155_000,
        )
    )

    with pytest.raises(BadSignature):
        verify_inspection(
            signed_inspection(
                harsher,
                landlord=sign_inspection(harsher, landlord.signing_key, contract),
                tenant=tenant_signature,
            ),
            contract,
        )


def test_a_report_for_another_contract_is_refused(
    report: InspectionReport, contract: SignedContract, landlord: Party
) -> None:
    with pytest.raises(InspectionRefused, match="another contract"):
        sign_inspection(
            inspection_document(replace(report, contract=bytes(32))),
            landlord.signing_key,
            contract,
        )


@pytest.mark.parametrize(
    ("findings", "message"),
    [
        ([["kitchen", "burnt", 0]], "condition"),
        ([["kitchen", "good", -5]], "deduction"),
        ([["kitchen", "good"]], r"\[area, condition, deduction\]"),
        ([["", "good", 0]], "area"),
        ([["room", "good", 0]] * 33, "at most 32"),
    ],
    ids=["condition", "negative", "short", "empty-area", "too-many"],
)
def test_a_report_out_of_shape_is_refused(
    report: InspectionReport, findings: list[object], message: str
) -> None:
    fields = cbor2.loads(inspection_document(report))
    del fields["type"]
    fields["findings"] = findings

    with pytest.raises(MalformedRecord, match=message):
        read_inspection(encode_fields("move-out-inspection", fields))


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_no_single_bit_change_of_a_signed_report_is_accepted(
    signed: bytes, contract: SignedContract, data: st.DataObject
) -> None:
    bit = data.draw(st.integers(0, len(signed) * 8 - 1), label="bit")

    with pytest.raises(CredentialError):
        verify_inspection(flip(signed, bit), contract)
