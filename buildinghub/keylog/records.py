"""Signed records the ledger publishes: listings (SPEC R2) and identity checks (R1).

Each is a credentials.signed_record: a COSE_Sign1 (ES256, the signer's kid in the protected
header) over a canonical CBOR map of its type and exactly its fields, so a listing can never be
read as an identity check or any other signed record. Verifying one means: parse strictly,
find the signer's key in the ledger by kid (active, of a role allowed to sign it), check the
signature and that the record names that signer. Any failure is NotAuthentic, with the reason.
The ``open_*`` forms also return the signer's ledger record: its building scopes the record
(SPEC S2). Identity checks are signed only by enrolling stations the building's hub registered.

Lock installation records (R3) are credentials.installation's; ``open_installation`` adds the
ledger checks: landlord and lock keys registered, in one building.
"""

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from buildinghub.credentials.errors import CredentialError
from buildinghub.credentials.installation import InstallationRecord, verify_installation
from buildinghub.credentials.keys import KID_LENGTH, SigningKey
from buildinghub.credentials.signed_record import blob, read_record, sign_record, text, uint

from .entries import MAX_TEXT_LENGTH, Role
from .errors import KeylogError, NotAuthentic, WrongBuilding
from .identity import LOOKUP_HASH_LENGTH
from .key_record import KeyRecord

MAX_RECORD_BYTES = 1024
_DIGEST_LENGTH = 32
_LISTING = "listing"
_IDENTITY_CHECK = "identity-check"
_LISTING_FIELDS = ("listing_id", "flat", "landlord", "details_digest", "listed_at")
_IDENTITY_FIELDS = ("tenant", "tenant_key", "method", "checked_at", "checked_by")


class SignerLookup(Protocol):
    """Where a verifier finds a signer's key: the ledger's key state."""

    def active_key(self, kid: bytes, roles: frozenset[Role]) -> KeyRecord:
        """The record of the active key with this kid and one of roles; raise if none."""
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
    return open_listing(data, ledger)[0]


def open_listing(data: bytes, ledger: SignerLookup) -> tuple[ListingRecord, KeyRecord]:
    """verify_listing, and the landlord key that signed it (its building is the listing's)."""
    fields, signer = _open(
        data, ledger, frozenset({Role.LANDLORD}), _LISTING, _LISTING_FIELDS, "landlord"
    )
    listing = ListingRecord(
        listing_id=_text(fields, "listing_id"),
        flat=_text(fields, "flat"),
        landlord=_text(fields, "landlord"),
        details_digest=_bytes(fields, "details_digest", _DIGEST_LENGTH),
        listed_at=_time(fields, "listed_at"),
    )
    return listing, signer


def sign_identity_check(record: IdentityCheckRecord, station_key: SigningKey) -> bytes:
    """The enrolling station where staff checked the document signs the check."""
    return _sign(
        _IDENTITY_CHECK,
        {
            "tenant": record.tenant,
            "tenant_key": record.tenant_key,
            "method": record.method.value,
            "checked_at": record.checked_at,
            "checked_by": record.checked_by,
        },
        station_key,
    )


# Who checks identities: an enrolling station the building's enrolled hub registered (S2).
IDENTITY_CHECKERS = frozenset({Role.STATION})


def verify_identity_check(data: bytes, ledger: SignerLookup) -> IdentityCheckRecord:
    """The identity check in data if a station active in the ledger signed it; else
    NotAuthentic."""
    return open_identity_check(data, ledger)[0]


def open_identity_check(data: bytes, ledger: SignerLookup) -> tuple[IdentityCheckRecord, KeyRecord]:
    """verify_identity_check, and the station that signed it (its building is the check's)."""
    fields, station = _open(
        data, ledger, IDENTITY_CHECKERS, _IDENTITY_CHECK, _IDENTITY_FIELDS, "checked_by"
    )
    method = _text(fields, "method")
    if method not in CheckMethod.__members__.values():
        raise NotAuthentic(f"unknown identity check method {method!r}")
    check = IdentityCheckRecord(
        tenant=_bytes(fields, "tenant", LOOKUP_HASH_LENGTH),
        tenant_key=_bytes(fields, "tenant_key", KID_LENGTH),
        method=CheckMethod(method),
        checked_at=_time(fields, "checked_at"),
        checked_by=_text(fields, "checked_by"),
    )
    return check, station


def verify_installation_record(data: bytes, ledger: SignerLookup) -> InstallationRecord:
    """An installation record signed by a landlord key active in the ledger, for a lock key
    registered there in the same building (SPEC R3, S2); else NotAuthentic or WrongBuilding."""
    return open_installation(data, ledger)[0]


def open_installation(data: bytes, ledger: SignerLookup) -> tuple[InstallationRecord, str]:
    """verify_installation_record, and the building of the installation."""
    try:
        record = verify_installation(data)
    except CredentialError as err:
        raise NotAuthentic(f"the installation record does not verify: {err}") from None
    landlord = _ledger_signer(
        ledger, record.landlord_key.kid, frozenset({Role.LANDLORD}), "installation record"
    )
    if landlord.key != record.landlord_key or landlord.subject != record.landlord:
        raise NotAuthentic(
            f"the installation record names landlord {record.landlord!r}, the ledger has its "
            f"key as {landlord.subject!r}"
        )
    lock = _ledger_signer(ledger, record.lock_key.kid, frozenset({Role.LOCK}), "installed lock")
    if lock.key != record.lock_key or lock.subject != record.lock_id:
        raise NotAuthentic(
            f"the record installs lock {record.lock_id!r}, the ledger has that key as "
            f"{lock.subject!r}"
        )
    if landlord.building != lock.building:
        raise WrongBuilding(
            f"the landlord key is of {landlord.building!r} and the lock of {lock.building!r}: "
            f"a landlord installs locks of their own building only"
        )
    return record, lock.building


def _sign(record_type: str, fields: Mapping[str, object], key: SigningKey) -> bytes:
    return sign_record(record_type, fields, key, max_size=MAX_RECORD_BYTES)


def _open(  # noqa: PLR0917 - private; the record's description, in order
    data: bytes,
    ledger: SignerLookup,
    roles: frozenset[Role],
    record_type: str,
    names: tuple[str, ...],
    signer_field: str,
) -> tuple[Mapping[str, object], KeyRecord]:
    # Parse strictly, find the signer in the ledger, verify, and check the record names the
    # signer (fields[signer_field] is the signer key's subject).
    try:
        record = read_record(data, record_type=record_type, fields=names, max_size=MAX_RECORD_BYTES)
    except CredentialError as err:
        raise NotAuthentic(f"the {record_type} is not a signed record: {err}") from None
    signer = _ledger_signer(ledger, record.kid, roles, record_type)
    try:
        record.verify(signer.key)
    except CredentialError:
        raise NotAuthentic(
            f"the signature of the {record_type} does not verify with the ledger's key "
            f"{record.kid.hex()}: it was changed or forged"
        ) from None
    if record.fields.get(signer_field) != signer.subject:
        raise NotAuthentic(
            f"the {record_type} names {record.fields.get(signer_field)!r} as its {signer_field} "
            f"but is signed by the key of {signer.subject!r}"
        )
    return record.fields, signer


def _ledger_signer(
    ledger: SignerLookup, kid: bytes, roles: frozenset[Role], what: str
) -> KeyRecord:
    try:
        return ledger.active_key(kid, roles)
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
