"""Lease contracts (SPEC R5): generated from the agreed terms, signed by both parties, and the
source of the lease grant.

The contract document is the canonical CBOR map of the LeaseTerms (a signed-record map of type
"lease-contract"); dates are ISO text, money is integers in minor units with an ISO 4217
currency, the tenant's identity is only its salted lookup hash, as the key ledger holds it
(buildinghub.keylog.identity). Landlord and tenant
each sign the same document (a COSE_Sign with two signers, landlord first, see countersigned),
so the contract digest, SHA-256 of the document, names exactly what both agreed, independent of
who signed first and of ECDSA's random signatures.

The lease grant is derived, not written: window = the lease period (start 00:00 UTC to the day
after end, 00:00 UTC), audience = the flat's lock, subject and holder = the tenant, issuer = the
landlord, grant id = the first 16 bytes of the contract digest, so any lease grant can be traced
to its contract and one that was widened or retargeted is refused by check_lease_grant.
"""

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Final

from buildinghub.credentials.cose_sign import Signature
from buildinghub.credentials.grant import GRANT_ID_LENGTH, Grant, GrantKind, issue_grant
from buildinghub.credentials.keys import PublicKey, SigningKey
from buildinghub.credentials.signed_record import (
    MAX_TEXT_LENGTH,
    MalformedRecord,
    blob,
    decode_fields,
    encode_fields,
    public_key,
    text,
    uint,
)
from buildinghub.keylog.identity import LOOKUP_HASH_LENGTH

from .countersigned import countersigned, read_countersigned, sign_document, verify_parties
from .errors import ContractMismatch

MAX_CONTRACT_BYTES: Final = 2048
_CONTRACT: Final = "lease-contract"
_FIELDS: Final = (
    "building",
    "flat",
    "lock",
    "landlord",
    "landlord_key",
    "tenant",
    "tenant_key",
    "tenant_identity",
    "rent",
    "currency",
    "due_day",
    "start",
    "end",
    "deposit",
)
_CURRENCY: Final = re.compile(r"[A-Z]{3}")
_ISO_DATE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_MAX_AMOUNT: Final = 2**53 - 1


@dataclass(frozen=True, slots=True, kw_only=True)
class LeaseTerms:
    """What landlord and tenant agreed. Amounts are integers in the currency's minor units.

    start is the first day of the lease and end its last day (both in UTC); rent is due on
    due_day of each month, on the month's last day when it is shorter (see rent).
    """

    building: str
    flat: str
    lock: str
    landlord: str
    landlord_key: PublicKey
    tenant: str
    tenant_key: PublicKey
    tenant_identity: bytes = field(repr=False)
    rent: int
    currency: str
    due_day: int
    start: date
    end: date
    deposit: int

    def __post_init__(self) -> None:
        for name in ("building", "flat", "lock", "landlord", "tenant"):
            value = getattr(self, name)
            if not 1 <= len(value) <= MAX_TEXT_LENGTH:
                raise ValueError(f"{name} must be 1 to {MAX_TEXT_LENGTH} characters")
        if len(self.tenant_identity) != LOOKUP_HASH_LENGTH:
            raise ValueError("tenant_identity is the 32-byte salted digest, never the number")
        if not 1 <= self.rent <= _MAX_AMOUNT or not 0 <= self.deposit <= _MAX_AMOUNT:
            raise ValueError("rent is a positive and deposit a non-negative amount in minor units")
        if not _CURRENCY.fullmatch(self.currency):
            raise ValueError("currency is an ISO 4217 code of three capital letters")
        if not 1 <= self.due_day <= 31:
            raise ValueError("due_day is a day of the month, 1 to 31")
        if self.end < self.start:
            raise ValueError("the lease ends before it starts")
        if self.landlord_key == self.tenant_key:
            raise ValueError("landlord and tenant sign with different keys")

    @property
    def window(self) -> tuple[int, int]:
        """The lease period in unix seconds: start 00:00 UTC to the day after end, 00:00 UTC."""
        return _midnight(self.start), _midnight(self.end + timedelta(days=1))


@dataclass(frozen=True, slots=True)
class SignedContract:
    """A contract whose two signatures verified; digest names its document."""

    terms: LeaseTerms
    digest: bytes
    encoded: bytes = field(repr=False)


def contract_document(terms: LeaseTerms) -> bytes:
    """The canonical document both parties sign."""
    return encode_fields(
        _CONTRACT,
        {
            "building": terms.building,
            "flat": terms.flat,
            "lock": terms.lock,
            "landlord": terms.landlord,
            "landlord_key": terms.landlord_key.to_bytes(),
            "tenant": terms.tenant,
            "tenant_key": terms.tenant_key.to_bytes(),
            "tenant_identity": terms.tenant_identity,
            "rent": terms.rent,
            "currency": terms.currency,
            "due_day": terms.due_day,
            "start": terms.start.isoformat(),
            "end": terms.end.isoformat(),
            "deposit": terms.deposit,
        },
    )


def read_terms(document: bytes) -> LeaseTerms:
    """Read a contract document strictly (every field typed and checked)."""
    fields = decode_fields(document, record_type=_CONTRACT, fields=_FIELDS)
    try:
        return LeaseTerms(
            building=text(fields, "building"),
            flat=text(fields, "flat"),
            lock=text(fields, "lock"),
            landlord=text(fields, "landlord"),
            landlord_key=public_key(fields, "landlord_key"),
            tenant=text(fields, "tenant"),
            tenant_key=public_key(fields, "tenant_key"),
            tenant_identity=blob(fields, "tenant_identity", length=LOOKUP_HASH_LENGTH),
            rent=uint(fields, "rent"),
            currency=text(fields, "currency", max_length=3),
            due_day=uint(fields, "due_day"),
            start=iso_date(fields, "start"),
            end=iso_date(fields, "end"),
            deposit=uint(fields, "deposit"),
        )
    except ValueError as err:
        raise MalformedRecord(f"the contract's terms: {err}") from None


def sign_contract(document: bytes, key: SigningKey) -> Signature:
    """The landlord's or the tenant's signature over a contract document."""
    terms = read_terms(document)
    return sign_document(document, key, parties=(terms.landlord_key, terms.tenant_key))


def signed_contract(document: bytes, *, landlord: Signature, tenant: Signature) -> bytes:
    """The contract with both signatures, ready to store."""
    return countersigned(document, landlord=landlord, tenant=tenant)


def verify_contract(data: bytes, *, agreed: LeaseTerms | None = None) -> SignedContract:
    """Check both signatures against the keys the terms name, and the terms against agreed."""
    document = read_countersigned(data, max_size=MAX_CONTRACT_BYTES)
    terms = read_terms(document.payload)
    verify_parties(document, landlord=terms.landlord_key, tenant=terms.tenant_key)
    if agreed is not None and terms != agreed:
        changed = [name for name in _FIELDS if getattr(terms, name) != getattr(agreed, name)]
        raise ContractMismatch(f"the signed contract differs from the agreed terms in {changed}")
    return SignedContract(terms, hashlib.sha256(document.payload).digest(), data)


def lease_grant(contract: SignedContract, *, issued_at: int) -> Grant:
    """The lease grant the contract produces (not signed yet)."""
    terms = contract.terms
    not_before, expires = terms.window
    return Grant(
        issuer=terms.landlord,
        subject=terms.tenant,
        audience=terms.lock,
        not_before=not_before,
        expires=expires,
        issued_at=issued_at,
        grant_id=contract.digest[:GRANT_ID_LENGTH],
        holder_key=terms.tenant_key,
        kind=GrantKind.LEASE,
    )


def issue_lease_grant(
    contract: SignedContract, landlord_key: SigningKey, *, issued_at: int
) -> bytes:
    """The landlord signs the lease grant derived from a verified contract."""
    if landlord_key.public_key != contract.terms.landlord_key:
        raise ContractMismatch("only the landlord who signed the contract issues its lease grant")
    return issue_grant(lease_grant(contract, issued_at=issued_at), landlord_key)


def check_lease_grant(grant: Grant, contract: SignedContract) -> None:
    """Refuse a lease grant that is not exactly what the contract produces (widened, moved...)."""
    expected = lease_grant(contract, issued_at=grant.issued_at)
    if grant != expected:
        changed = [
            name
            for name in ("issuer", "subject", "audience", "not_before", "expires", "grant_id",
                         "holder_key", "kind", "max_uses", "may_share", "share_mode",
                         "sealed_pin", "parent")
            if getattr(grant, name) != getattr(expected, name)
        ]  # fmt: skip
        raise ContractMismatch(f"the lease grant does not match its contract in {changed}")


def iso_date(fields: Mapping[str, object], name: str) -> date:
    """A date field as ISO 8601 text, YYYY-MM-DD exactly."""
    value = text(fields, name, max_length=10)
    try:
        day = date.fromisoformat(value)
    except ValueError:
        day = None
    if day is None or not _ISO_DATE.fullmatch(value):
        raise MalformedRecord(f"{name} must be a date written YYYY-MM-DD")
    return day


def _midnight(day: date) -> int:
    return int(datetime.combine(day, time(), UTC).timestamp())
