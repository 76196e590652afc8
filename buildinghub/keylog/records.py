"""Signed records the ledger publishes: listings (SPEC R2) and identity checks (R1).

Each is a credentials.signed_record: a COSE_Sign1 (ES256, the signer's kid in the protected
header) over a canonical CBOR map of its type and exactly its fields, so a listing can never be
read as an identity check or any other signed record. Verifying one means: parse strictly,
find the signer's key in the ledger by kid (active, of a role allowed to sign it), check the
signature and that the record names that signer. Any failure is NotAuthentic, with the reason.

Lock installation records (R3) are credentials.installation's; ``verify_installation_record``
adds the ledger checks.
"""

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from buildinghub.credentials.errors import CredentialError
from buildinghub.credentials.installation import InstallationRecord, verify_installation
from buildinghub.credentials.keys import KID_LENGTH, PublicKey, SigningKey
from buildinghub.credentials.signed_record import blob, read_record, sign_record, text, uint

from .entries import MAX_TEXT_LENGTH, Role
from .errors import KeylogError, NotAuthentic
from .identity import LOOKUP_HASH_LENGTH

MAX_RECORD_BYTES = 1024
_DIGEST_LENGTH = 32
_LISTING = "listing"
_IDENTITY_CHECK = "identity-check"
_LISTING_FIELDS = ("listing_id", "flat", "landlord", "details_digest", "listed_at")
_IDENTITY_FIELDS = ("tenant", "tenant_key", "method", "checked_at", "checked_by")


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
        _LISTING,
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
    fields = _open(data, ledger, frozenset({Role.LANDLORD}), _LISTING, _LISTING_FIELDS, "landlord")
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
        _IDENTITY_CHECK,
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
    fields = _open(data, ledger, STAFF_ROLES, _IDENTITY_CHECK, _IDENTITY_FIELDS, "checked_by")
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


def _sign(record_type: str, fields: Mapping[str, object], key: SigningKey) -> bytes:
    return sign_record(record_type, fields, key, max_size=MAX_RECORD_BYTES)


def _open(  # noqa: PLR0917 - private; the record's description, in order
    data: bytes,
    ledger: SignerLookup,
    roles: frozenset[Role],
    record_type: str,
    names: tuple[str, ...],
    signer_field: str,
) -> Mapping[str, object]:
    # Parse strictly, find the signer in the ledger, verify, and check the record names the
    # signer (fields[signer_field] is the signer key's subject).
    try:
        record = read_record(data, record_type=record_type, fields=names, max_size=MAX_RECORD_BYTES)
    except CredentialError as err:
        raise NotAuthentic(f"the {record_type} is not a signed record: {err}") from None
    key, subject = _ledger_signer(ledger, record.kid, roles, record_type)
    try:
        record.verify(key)
    except CredentialError:
        raise NotAuthentic(
            f"the signature of the {record_type} does not verify with the ledger's key "
            f"{record.kid.hex()}: it was changed or forged"
        ) from None
    if record.fields.get(signer_field) != subject:
        raise NotAuthentic(
            f"the {record_type} names {record.fields.get(signer_field)!r} as its {signer_field} "
            f"but is signed by the key of {subject!r}"
        )
    return record.fields


def _ledger_signer(
    ledger: SignerLookup, kid: bytes, roles: frozenset[Role], what: str
) -> tuple[PublicKey, str]:
    try:
        return ledger.signer(kid, roles)
    except KeylogError as err:
        raise NotAuthentic(f"the {what} is not signed by a key the ledger allows: {err}") from None


def _text(fields: Mapping[str, object], name: str) -> str:
    return _read(text, fields, name, max_length=MAX_TEXT_LENGTH)


def _bytes(fields: Mapping[str, object], name: str, length: int) -> bytes:
    return _read(blob, fields, name, length=length)


def _time(fields: Mapping[str, object], name: str) -> int:
    return _read(uint, fields, name)


def _read[T](reader: Callable[..., T], fields: Mapping[str, object], name: str, **limits: int) -> T:
    # The typed readers of signed_record, their errors as this module's NotAuthentic.
    try:
        return reader(fields, name, **limits)
    except CredentialError as err:
        raise NotAuthentic(str(err)) from None
