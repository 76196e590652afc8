"""The documents a landlord and a tenant pass each other as files, for the command line.

Agreed terms and inspection findings are JSON a person writes; a contract or inspection
document is its canonical CBOR; one party's signature travels as a COSE_Sign of the document
with that party's signature only, so each file says what it signs; combine joins the landlord's
and the tenant's into the signed document, checking both.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import date
from typing import Any

from buildinghub.credentials.cose_sign import decode_multi_signed, encode_multi_signed
from buildinghub.credentials.keys import PublicKey, SigningKey

from .contract import (
    MAX_CONTRACT_BYTES,
    LeaseTerms,
    SignedContract,
    contract_document,
    read_terms,
    sign_contract,
    signed_contract,
    verify_contract,
)
from .inspection import (
    MAX_INSPECTION_BYTES,
    Condition,
    Finding,
    InspectionReport,
    inspection_document,
    read_inspection,
    sign_inspection,
    signed_inspection,
    verify_inspection,
)

_MAX_JSON_BYTES = 64 * 1024


class DocumentError(ValueError):
    """A terms or findings file, or a signature file, that cannot be used; says which field."""


def _json(text: bytes, what: str) -> dict[str, Any]:
    if len(text) > _MAX_JSON_BYTES:
        raise DocumentError(f"the {what} file is larger than {_MAX_JSON_BYTES} bytes")
    try:
        data = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise DocumentError(f"the {what} file is not JSON: {err}") from None
    if not isinstance(data, dict):
        raise DocumentError(f"the {what} file is a JSON object")
    return data


def _field(data: dict[str, Any], name: str, kind: type) -> Any:
    value = data.get(name)
    if type(value) is not kind:
        raise DocumentError(f"{name} is missing or not a {kind.__name__}")
    return value


def _key(data: dict[str, Any], name: str) -> PublicKey:
    try:
        return PublicKey.from_bytes(base64.b64decode(_field(data, name, str), validate=True))
    except (binascii.Error, ValueError) as err:
        raise DocumentError(f"{name} is a base64 public key (as keygen prints): {err}") from None


def _day(data: dict[str, Any], name: str) -> date:
    try:
        return date.fromisoformat(_field(data, name, str))
    except ValueError:
        raise DocumentError(f"{name} is a date written YYYY-MM-DD") from None


def terms_from_json(text: bytes) -> LeaseTerms:
    """The agreed terms from a JSON file (keys in base64, identity in hex, dates ISO)."""
    data = _json(text, "terms")
    try:
        identity = bytes.fromhex(_field(data, "tenant_identity", str))
        return LeaseTerms(
            building=_field(data, "building", str),
            flat=_field(data, "flat", str),
            lock=_field(data, "lock", str),
            landlord=_field(data, "landlord", str),
            landlord_key=_key(data, "landlord_key"),
            tenant=_field(data, "tenant", str),
            tenant_key=_key(data, "tenant_key"),
            tenant_identity=identity,
            rent=_field(data, "rent", int),
            currency=_field(data, "currency", str),
            due_day=_field(data, "due_day", int),
            start=_day(data, "start"),
            end=_day(data, "end"),
            deposit=_field(data, "deposit", int),
        )
    except DocumentError:
        raise
    except ValueError as err:
        raise DocumentError(f"the terms: {err}") from None


def contract_from_terms(text: bytes) -> bytes:
    """The contract document both parties sign."""
    return contract_document(terms_from_json(text))


def report_from_json(text: bytes, contract: SignedContract) -> bytes:
    """A move-out inspection document of contract from a findings file."""
    data = _json(text, "findings")
    findings = data.get("findings")
    if not isinstance(findings, list) or not all(isinstance(item, dict) for item in findings):
        raise DocumentError("findings is a list of objects {area, condition, deduction}")
    try:
        report = InspectionReport(
            contract=contract.digest,
            inspected_at=_field(data, "inspected_at", int),
            findings=tuple(
                Finding(
                    _field(item, "area", str),
                    Condition(_field(item, "condition", str)),
                    _field(item, "deduction", int),
                )
                for item in findings
            ),
            deposit_returned=_field(data, "deposit_returned", int),
        )
    except DocumentError:
        raise
    except ValueError as err:
        raise DocumentError(f"the findings: {err}") from None
    document = inspection_document(report)
    read_inspection(document)
    return document


def sign_document(
    document: bytes, key: SigningKey, contract: SignedContract | None = None
) -> bytes:
    """One party's signature file: a contract document, or (contract given) an inspection."""
    if contract is None:
        signature = sign_contract(document, key)
    else:
        signature = sign_inspection(document, key, contract)
    return encode_multi_signed(document, (signature,))


def combine(
    document: bytes,
    landlord_file: bytes,
    tenant_file: bytes,
    contract: SignedContract | None = None,
) -> bytes:
    """The signed contract (or, contract given, inspection), both signatures checked."""
    limit = MAX_CONTRACT_BYTES if contract is None else MAX_INSPECTION_BYTES
    parts = []
    for name, data in (("landlord", landlord_file), ("tenant", tenant_file)):
        signed = decode_multi_signed(data, max_size=limit, signers=1)
        if signed.payload != document:
            raise DocumentError(f"the {name}'s signature file signs another document")
        parts.append(signed.signatures[0])
    if contract is None:
        read_terms(document)
        combined = signed_contract(document, landlord=parts[0], tenant=parts[1])
        verify_contract(combined)
    else:
        combined = signed_inspection(document, landlord=parts[0], tenant=parts[1])
        verify_inspection(combined, contract)
    return combined
