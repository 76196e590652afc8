"""Signed records the ledger publishes: listings (SPEC R2) and identity checks (R1).

Each is a COSE_Sign1 (ES256, the signer's kid in the protected header; credentials.cose) over
a canonical CBOR map with exactly the record's fields. Verifying one means: parse strictly,
find the signer's key in the ledger by kid (active, of a role allowed to sign it), check the
signature and that the record names that signer. Any failure is NotAuthentic, with the reason.

Lock installation records (R3) are credentials.installation's; ``verify_installation_record``
adds the ledger checks.
"""

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

import cbor2

from buildinghub.credentials.cose import decode_sign1, sign1, verify_sign1
from buildinghub.credentials.errors import CredentialError
from buildinghub.credentials.installation import InstallationRecord, verify_installation
from buildinghub.credentials.keys import KID_LENGTH, PublicKey, SigningKey
from buildinghub.credentials.strict_cbor import loads_one

from .entries import MAX_TEXT_LENGTH, Role
from .errors import KeylogError, NotAuthentic
from .identity import LOOKUP_HASH_LENGTH

MAX_RECORD_BYTES = 1024
_DIGEST_LENGTH = 32
_LISTING_FIELDS = frozenset({"listing_id", "flat", "landlord", "details_digest", "listed_at"})
_IDENTITY_FIELDS = frozenset({"tenant", "tenant_key", "method", "checked_at", "checked_by"})


class SignerLookup(Protocol):
    """Where a verifier finds a signer's key: the ledger's key state."""

    def signer(self, kid: bytes, roles: frozenset[Role]) -> tuple[PublicKey, str]:
        """The active key with this kid and one of roles, and its subject; raise if none."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class ListingRecord:
    """A landlord's listing of a flat or bay: who offers what, and a digest of the details."""

    listing_id: str
    flat: str
    landlord: str
    details_digest: bytes
    listed_at: int


class CheckMethod(StrEnum):
    """Which document the staff member checked (no image of it is kept)."""

    PASSPORT = "passport"
    NATIONAL_ID = "national_id"
    RESIDENCE_PERMIT = "residence_permit"
    DRIVING_LICENCE = "driving_licence"


@dataclass(frozen=True, slots=True, kw_only=True)
class IdentityCheckRecord:
    """Staff checked a tenant's ID document: who (tenant hash, key), how, when, by whom."""

    tenant: bytes
    tenant_key: bytes
    method: CheckMethod
    checked_at: int
    checked_by: str


def listing_digest(details: bytes) -> bytes:
    """The digest a listing record carries of the listing's published details."""
    return hashlib.sha256(details).digest()


def sign_listing(record: ListingRecord, landlord_key: SigningKey) -> bytes:
    """The landlord signs a listing."""
    return _sign(
        {
            "listing_id": record.listing_id,
            "flat": record.flat,
            "landlord": record.landlord,
            "details_digest": record.details_digest,
            "listed_at": record.listed_at,
        },
        landlord_key,
    )


def verify_listing(data: bytes, ledger: SignerLookup) -> ListingRecord:
    """The listing in data if a landlord key active in the ledger signed it; else NotAuthentic."""
    fields = _open(data, ledger, frozenset({Role.LANDLORD}), "listing", _LISTING_FIELDS, "landlord")
    return ListingRecord(
        listing_id=_text(fields, "listing_id"),
        flat=_text(fields, "flat"),
        landlord=_text(fields, "landlord"),
        details_digest=_bytes(fields, "details_digest", _DIGEST_LENGTH),
        listed_at=_time(fields, "listed_at"),
    )


def sign_identity_check(record: IdentityCheckRecord, staff_key: SigningKey) -> bytes:
    """The staff member (landlord or property manager's hub key) signs the check."""
    return _sign(
        {
            "tenant": record.tenant,
            "tenant_key": record.tenant_key,
            "method": record.method.value,
            "checked_at": record.checked_at,
            "checked_by": record.checked_by,
        },
        staff_key,
    )


STAFF_ROLES = frozenset({Role.LANDLORD, Role.HUB})


def verify_identity_check(data: bytes, ledger: SignerLookup) -> IdentityCheckRecord:
    """The identity check in data if staff active in the ledger signed it; else NotAuthentic."""
    fields = _open(data, ledger, STAFF_ROLES, "identity check", _IDENTITY_FIELDS, "checked_by")
    method = _text(fields, "method")
    if method not in CheckMethod.__members__.values():
        raise NotAuthentic(f"unknown identity check method {method!r}")
    return IdentityCheckRecord(
        tenant=_bytes(fields, "tenant", LOOKUP_HASH_LENGTH),
        tenant_key=_bytes(fields, "tenant_key", KID_LENGTH),
        method=CheckMethod(method),
        checked_at=_time(fields, "checked_at"),
        checked_by=_text(fields, "checked_by"),
    )


def verify_installation_record(data: bytes, ledger: SignerLookup) -> InstallationRecord:
    """An installation record signed by a landlord key active in the ledger, for a lock key
    registered there (SPEC R3); else NotAuthentic."""
    try:
        record = verify_installation(data)
    except CredentialError as err:
        raise NotAuthentic(f"the installation record does not verify: {err}") from None
    landlord_key, landlord = _ledger_signer(
        ledger, record.landlord_key.kid, frozenset({Role.LANDLORD}), "installation record"
    )
    if landlord_key != record.landlord_key or landlord != record.landlord:
        raise NotAuthentic(
            f"the installation record names landlord {record.landlord!r}, the ledger has its "
            f"key as {landlord!r}"
        )
    lock_key, lock_id = _ledger_signer(
        ledger, record.lock_key.kid, frozenset({Role.LOCK}), "installed lock"
    )
    if lock_key != record.lock_key or lock_id != record.lock_id:
        raise NotAuthentic(
            f"the record installs lock {record.lock_id!r}, the ledger has that key as {lock_id!r}"
        )
    return record


def _sign(fields: Mapping[str, object], key: SigningKey) -> bytes:
    return sign1(cbor2.dumps(dict(fields), canonical=True), key, key.public_key.kid)


def _open(  # noqa: PLR0917 - private; the record's description, in order
    data: bytes,
    ledger: SignerLookup,
    roles: frozenset[Role],
    what: str,
    names: frozenset[str],
    signer_field: str,
) -> dict[object, object]:
    # Parse strictly, find the signer in the ledger, verify, and check the record names the
    # signer (fields[signer_field] is the signer key's subject).
    try:
        message = decode_sign1(data, max_size=MAX_RECORD_BYTES)
        fields = loads_one(message.payload, f"the {what}")
    except CredentialError as err:
        raise NotAuthentic(f"the {what} is not a signed record: {err}") from None
    if not isinstance(fields, dict):
        raise NotAuthentic(f"the {what} must be a CBOR map")
    if set(fields) != names:
        raise NotAuthentic(f"the {what} has exactly the fields {sorted(names)}")
    if cbor2.dumps(fields, canonical=True) != message.payload:
        raise NotAuthentic(f"the {what} is not canonically encoded")
    key, subject = _ledger_signer(ledger, message.kid, roles, what)
    try:
        verify_sign1(message, key)
    except CredentialError:
        raise NotAuthentic(
            f"the signature of the {what} does not verify with the ledger's key "
            f"{message.kid.hex()}: it was changed or forged"
        ) from None
    if fields.get(signer_field) != subject:
        raise NotAuthentic(
            f"the {what} names {fields.get(signer_field)!r} as its {signer_field} but is signed "
            f"by the key of {subject!r}"
        )
    return fields


def _ledger_signer(
    ledger: SignerLookup, kid: bytes, roles: frozenset[Role], what: str
) -> tuple[PublicKey, str]:
    try:
        return ledger.signer(kid, roles)
    except KeylogError as err:
        raise NotAuthentic(f"the {what} is not signed by a key the ledger allows: {err}") from None


def _text(fields: dict[object, object], name: str) -> str:
    value = fields.get(name)
    if type(value) is not str or not 0 < len(value) <= MAX_TEXT_LENGTH:
        raise NotAuthentic(f"{name} must be text of 1 to {MAX_TEXT_LENGTH} characters")
    return value


def _bytes(fields: dict[object, object], name: str, length: int) -> bytes:
    value = fields.get(name)
    if type(value) is not bytes or len(value) != length:
        raise NotAuthentic(f"{name} must be {length} bytes")
    return value


def _time(fields: dict[object, object], name: str) -> int:
    value = fields.get(name)
    if type(value) is not int or value < 0:
        raise NotAuthentic(f"{name} must be a non-negative integer")
    return value
