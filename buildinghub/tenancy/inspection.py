"""Move-out inspections (SPEC R11): a report both parties sign, which joins the credit file.

The report names the contract (by digest), when the flat was inspected, each finding (an area,
its condition, and the deduction from the deposit it causes, in minor units) and the deposit
returned. The deductions and the returned deposit must add up to the contract's deposit. Like
the contract, it is one canonical document with the landlord's and the tenant's COSE
signatures (see countersigned), so neither can change it alone.
"""

import hashlib
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

from buildinghub.credentials.cose_sign import Signature
from buildinghub.credentials.keys import SigningKey
from buildinghub.credentials.signed_record import (
    MAX_TEXT_LENGTH,
    MalformedRecord,
    blob,
    decode_fields,
    encode_fields,
    uint,
)

from .contract import SignedContract
from .countersigned import countersigned, read_countersigned, sign_document, verify_parties
from .errors import InspectionRefused

MAX_INSPECTION_BYTES: Final = 4096
MAX_FINDINGS: Final = 32
_INSPECTION: Final = "move-out-inspection"
_FIELDS: Final = ("contract", "inspected_at", "findings", "deposit_returned")
_DIGEST_LENGTH: Final = 32


class Condition(StrEnum):
    """The state an area was found in."""

    GOOD = "good"
    WORN = "worn"
    DAMAGED = "damaged"


@dataclass(frozen=True, slots=True)
class Finding:
    """One area of the flat, its condition, and what it costs the deposit."""

    area: str
    condition: Condition
    deduction: int


@dataclass(frozen=True, slots=True, kw_only=True)
class InspectionReport:
    """A move-out inspection of the flat a contract let."""

    contract: bytes
    inspected_at: int
    findings: tuple[Finding, ...]
    deposit_returned: int


@dataclass(frozen=True, slots=True)
class SignedInspection:
    """An inspection report whose two signatures verified against its contract."""

    report: InspectionReport
    digest: bytes
    encoded: bytes = field(repr=False)


def inspection_document(report: InspectionReport) -> bytes:
    """The canonical document both parties sign."""
    return encode_fields(
        _INSPECTION,
        {
            "contract": report.contract,
            "inspected_at": report.inspected_at,
            "findings": [
                [finding.area, finding.condition.value, finding.deduction]
                for finding in report.findings
            ],
            "deposit_returned": report.deposit_returned,
        },
    )


def read_inspection(document: bytes) -> InspectionReport:
    """Read an inspection document strictly."""
    fields = decode_fields(document, record_type=_INSPECTION, fields=_FIELDS)
    findings = fields["findings"]
    if type(findings) is not list or len(findings) > MAX_FINDINGS:
        raise MalformedRecord(f"findings must be a list of at most {MAX_FINDINGS}")
    return InspectionReport(
        contract=blob(fields, "contract", length=_DIGEST_LENGTH),
        inspected_at=uint(fields, "inspected_at"),
        findings=tuple(_finding(item) for item in findings),
        deposit_returned=uint(fields, "deposit_returned"),
    )


def sign_inspection(document: bytes, key: SigningKey, contract: SignedContract) -> Signature:
    """The landlord's or the tenant's signature over an inspection document of this contract."""
    report = read_inspection(document)
    _check_against(report, contract)
    terms = contract.terms
    return sign_document(document, key, parties=(terms.landlord_key, terms.tenant_key))


def signed_inspection(document: bytes, *, landlord: Signature, tenant: Signature) -> bytes:
    """The report with both signatures, ready to join the credit file."""
    return countersigned(document, landlord=landlord, tenant=tenant)


def inspection_contract(data: bytes) -> bytes:
    """The digest of the contract a signed report names, read WITHOUT trusting the report."""
    return read_inspection(read_countersigned(data, max_size=MAX_INSPECTION_BYTES).payload).contract


def verify_inspection(data: bytes, contract: SignedContract) -> SignedInspection:
    """Check both parties signed the report and that it fits the contract."""
    document = read_countersigned(data, max_size=MAX_INSPECTION_BYTES)
    report = read_inspection(document.payload)
    verify_parties(document, landlord=contract.terms.landlord_key, tenant=contract.terms.tenant_key)
    _check_against(report, contract)
    return SignedInspection(report, hashlib.sha256(document.payload).digest(), data)


def _check_against(report: InspectionReport, contract: SignedContract) -> None:
    if report.contract != contract.digest:
        raise InspectionRefused("the inspection names another contract")
    deducted = sum(finding.deduction for finding in report.findings)
    if deducted + report.deposit_returned != contract.terms.deposit:
        raise InspectionRefused(
            "the deductions and the deposit returned do not add up to the contract's deposit"
        )


def _finding(item: object) -> Finding:
    if type(item) is not list or len(item) != 3:
        raise MalformedRecord("a finding is [area, condition, deduction]")
    area, condition, deduction = item
    choices = {member.value for member in Condition}
    if type(area) is not str or not 1 <= len(area) <= MAX_TEXT_LENGTH:
        raise MalformedRecord(f"a finding's area is text of 1 to {MAX_TEXT_LENGTH} characters")
    if type(condition) is not str or condition not in choices:
        raise MalformedRecord(f"a finding's condition is one of {sorted(choices)}")
    if type(deduction) is not int or not 0 <= deduction < 2**53:
        raise MalformedRecord("a finding's deduction is a non-negative amount in minor units")
    return Finding(area, Condition(condition), deduction)
