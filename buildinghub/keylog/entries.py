"""Ledger entries: the typed, canonical records the key log holds (SPEC K1, K2, K6, R1-R3).

Each entry is one canonical CBOR map (RFC 8949 §4.2.1) with a ``type`` and exactly its fields;
decoding is strict (buildinghub.credentials.strict_cbor) and re-encoding must give back the
same bytes, so an entry has one encoding and its leaf hash names it. Only public keys, key
ids, salted hashes and signed records go in, never an identity number or an ID image.

    type          fields
    register      role, key (65-byte SEC1 point), owner (32-byte salted hash), subject,
                  building, at
    rotate        old (16-byte kid), key (the new point), building, at, proof (old key's
                  signature)
    revoke        kid, building, at, reason
    listing       record (a signed listing, R2; see records.py)
    installation  record (a signed lock installation record, R3; credentials.installation)
    identity      record (a signed identity check, R1; see records.py)

``subject`` is the public name the key acts under: a landlord's issuer name on grants, a lock
or bay id, a hub id, a witness or station name; for a tenant, the hex of their identity lookup
hash. ``building`` scopes the key (SPEC S2): within a building a role's subject has at most one
active key, an enrolled hub registers and revokes only its own building's keys, and a key is
trusted for a lock only under the building of that lock's installation. A rotation or revocation
names the building of the key it changes. A tenant's building is the one whose station checked
their identity.

Logs written before entries named their building (no release wrote one) do not decode: the
field sets differ, and the cloud connector refuses to start on one, saying so.
"""

from dataclasses import dataclass, field
from enum import StrEnum

import cbor2

from buildinghub.credentials.errors import CredentialError
from buildinghub.credentials.keys import KID_LENGTH, SIGNATURE_LENGTH, PublicKey, SigningKey
from buildinghub.credentials.strict_cbor import loads_one

from .errors import MalformedEntry
from .identity import LOOKUP_HASH_LENGTH

MAX_ENTRY_BYTES = 2048
MAX_TEXT_LENGTH = 64
ROTATION_DOMAIN = "buildinghub-key-rotation-v1"
_MAX_TIME = 2**63 - 1


class Role(StrEnum):
    """Whose key it is."""

    TENANT = "tenant"
    LANDLORD = "landlord"
    LOCK = "lock"
    HUB = "hub"
    WITNESS = "witness"
    # An enrolling station that seals fingerprint templates (biometrics.sealing); subject = its
    # name on the bundles it signs.
    STATION = "station"


@dataclass(frozen=True, slots=True)
class KeyRegistration:
    """A new key: whose (owner hash), for which role, under which public name, in which
    building, from when."""

    role: Role
    key: PublicKey
    owner: bytes
    subject: str
    at: int
    building: str = field(kw_only=True)


@dataclass(frozen=True, slots=True)
class KeyRotation:
    """The key ``old`` (of ``building``) is replaced by ``key``; ``proof`` is old's signature
    of the change."""

    old: bytes
    key: PublicKey
    at: int
    proof: bytes
    building: str = field(kw_only=True)


@dataclass(frozen=True, slots=True)
class KeyRevocation:
    """The key ``kid`` (of ``building``) must not be trusted from ``at`` on."""

    kid: bytes
    at: int
    reason: str
    building: str = field(kw_only=True)


class RecordKind(StrEnum):
    """The signed records the ledger publishes."""

    LISTING = "listing"
    INSTALLATION = "installation"
    IDENTITY = "identity"


@dataclass(frozen=True, slots=True)
class SignedRecord:
    """A signed record (COSE_Sign1 bytes), published as is; records.py verifies it."""

    kind: RecordKind
    record: bytes


type Entry = KeyRegistration | KeyRotation | KeyRevocation | SignedRecord


def rotation_message(old: bytes, new_key: PublicKey, at: int) -> bytes:
    """What the old key signs to hand over to the new one."""
    return cbor2.dumps([ROTATION_DOMAIN, old, new_key.to_bytes(), at], canonical=True)


def rotate_key(old: SigningKey, new_key: PublicKey, at: int, *, building: str) -> KeyRotation:
    """The rotation entry from old (a key of building) to new_key, signed by old."""
    old_kid = old.public_key.kid
    proof = old.sign(rotation_message(old_kid, new_key, at))
    return KeyRotation(old_kid, new_key, at, proof, building=building)


def encode_entry(entry: Entry) -> bytes:
    """The one canonical encoding of an entry."""
    fields: dict[str, object]
    match entry:
        case KeyRegistration():
            _check_text(entry.subject, "subject")
            _check_bytes(entry.owner, LOOKUP_HASH_LENGTH, "owner")
            fields = {
                "type": "register",
                "role": entry.role.value,
                "key": entry.key.to_bytes(),
                "owner": entry.owner,
                "subject": entry.subject,
                "building": _check_text(entry.building, "building"),
                "at": _check_time(entry.at),
            }
        case KeyRotation():
            _check_bytes(entry.old, KID_LENGTH, "old")
            _check_bytes(entry.proof, SIGNATURE_LENGTH, "proof")
            fields = {
                "type": "rotate",
                "old": entry.old,
                "key": entry.key.to_bytes(),
                "building": _check_text(entry.building, "building"),
                "at": _check_time(entry.at),
                "proof": entry.proof,
            }
        case KeyRevocation():
            _check_bytes(entry.kid, KID_LENGTH, "kid")
            _check_text(entry.reason, "reason")
            fields = {
                "type": "revoke",
                "kid": entry.kid,
                "building": _check_text(entry.building, "building"),
                "at": _check_time(entry.at),
                "reason": entry.reason,
            }
        case SignedRecord():
            if not entry.record:
                raise MalformedEntry("a signed record must not be empty")
            fields = {"type": entry.kind.value, "record": entry.record}
    encoded = cbor2.dumps(fields, canonical=True)
    if len(encoded) > MAX_ENTRY_BYTES:
        raise MalformedEntry(f"the entry is {len(encoded)} bytes, more than {MAX_ENTRY_BYTES}")
    return encoded


_FIELDS = {
    "register": {"type", "role", "key", "owner", "subject", "building", "at"},
    "rotate": {"type", "old", "key", "building", "at", "proof"},
    "revoke": {"type", "kid", "building", "at", "reason"},
    **{kind.value: {"type", "record"} for kind in RecordKind},
}


def decode_entry(data: bytes) -> Entry:
    """Read an entry strictly: one canonical CBOR map with exactly its type's fields."""
    if len(data) > MAX_ENTRY_BYTES:
        raise MalformedEntry(f"the entry is {len(data)} bytes, more than {MAX_ENTRY_BYTES}")
    try:
        fields = loads_one(data, "the ledger entry")
    except CredentialError as err:
        raise MalformedEntry(str(err)) from None
    if not isinstance(fields, dict):
        raise MalformedEntry("a ledger entry is a CBOR map")
    kind = fields.get("type")
    if not isinstance(kind, str) or kind not in _FIELDS:
        raise MalformedEntry(f"unknown entry type {kind!r}: expected one of {sorted(_FIELDS)}")
    if set(fields) != _FIELDS[kind]:
        raise MalformedEntry(f"a {kind} entry has exactly the fields {sorted(_FIELDS[kind])}")
    entry = _build(kind, fields)
    if encode_entry(entry) != data:
        raise MalformedEntry("the entry is not in its canonical encoding (RFC 8949 §4.2.1)")
    return entry


def _build(kind: str, fields: dict[object, object]) -> Entry:
    try:
        match kind:
            case "register":
                role = _text(fields, "role")
                if role not in Role.__members__.values():
                    raise MalformedEntry(
                        f"unknown role {role!r}: expected one of {[r.value for r in Role]}"
                    )
                return KeyRegistration(
                    Role(role),
                    PublicKey.from_bytes(_bytes(fields, "key")),
                    _bytes(fields, "owner"),
                    _text(fields, "subject"),
                    _int(fields, "at"),
                    building=_text(fields, "building"),
                )
            case "rotate":
                return KeyRotation(
                    _bytes(fields, "old"),
                    PublicKey.from_bytes(_bytes(fields, "key")),
                    _int(fields, "at"),
                    _bytes(fields, "proof"),
                    building=_text(fields, "building"),
                )
            case "revoke":
                return KeyRevocation(
                    _bytes(fields, "kid"),
                    _int(fields, "at"),
                    _text(fields, "reason"),
                    building=_text(fields, "building"),
                )
            case _:
                return SignedRecord(RecordKind(kind), _bytes(fields, "record"))
    except CredentialError as err:  # a key that is not a P-256 point
        raise MalformedEntry(str(err)) from None


def _text(fields: dict[object, object], name: str) -> str:
    value = fields[name]
    if type(value) is not str:
        raise MalformedEntry(f"{name} must be text")
    return value


def _bytes(fields: dict[object, object], name: str) -> bytes:
    value = fields[name]
    if type(value) is not bytes:
        raise MalformedEntry(f"{name} must be a byte string")
    return value


def _int(fields: dict[object, object], name: str) -> int:
    value = fields[name]
    if type(value) is not int:
        raise MalformedEntry(f"{name} must be an integer")
    return value


def _check_text(value: str, name: str) -> str:
    if not 0 < len(value) <= MAX_TEXT_LENGTH or not value.isprintable():
        raise MalformedEntry(f"{name} must be printable text of 1 to {MAX_TEXT_LENGTH} characters")
    return value


def _check_bytes(value: bytes, length: int, name: str) -> None:
    if len(value) != length:
        raise MalformedEntry(f"{name} must be {length} bytes, got {len(value)}")


def _check_time(at: int) -> int:
    if not 0 <= at <= _MAX_TIME:
        raise MalformedEntry(f"at must be unix seconds from 0 to 2**63 - 1, got {at}")
    return at
