"""Signed records: a COSE_Sign1 (see cose) over one canonical CBOR map of named fields.

    {"type": <record type>, <field>: <value>, ...}

The map has exactly the fields its record type lists (plus "type"), every value is read with a
typed reader below, and the whole payload is deterministically encoded. A record is named by the
digest of what was signed (its Sig_structure: the signer's kid and the payload), never of its
bytes: ECDSA signs the same content many ways, so the bytes are not a record's identity and
stores deduplicate by this digest (SPEC S4). Consent records, erase commands, payment records and
credit requests are all signed records; each module lists its fields and reads them strictly.
"""

import hashlib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

import cbor2

from .cose import Sign1, decode_sign1, sig_structure, sign1, verify_sign1
from .errors import BadSignature, CredentialError, GrantTooLarge, MalformedGrant, MalformedKey
from .keys import PublicKey, SigningKey
from .strict_cbor import loads_one

MAX_TEXT_LENGTH = 64
_MAX_UINT = 2**63 - 1
_TYPE = "type"


class MalformedRecord(CredentialError):
    """The bytes are not a signed record of the expected type in the one encoding we accept."""

    reason = "malformed_record"


def encode_fields(record_type: str, fields: Mapping[str, object]) -> bytes:
    """The canonical CBOR map of a record: its fields and its type."""
    if _TYPE in fields:
        raise ValueError('"type" is the record type, not a field')
    return cbor2.dumps({_TYPE: record_type, **fields}, canonical=True)


def sign_record(
    record_type: str, fields: Mapping[str, object], key: SigningKey, *, max_size: int
) -> bytes:
    """Sign a record with key (its kid is the key's own); refuse one a reader would refuse."""
    encoded = sign1(encode_fields(record_type, fields), key, key.public_key.kid)
    if len(encoded) > max_size:
        raise MalformedRecord(
            f"the {record_type} record would be {len(encoded)} bytes, more than the "
            f"{max_size} its readers accept: shorten its text fields"
        )
    return encoded


@dataclass(frozen=True, slots=True)
class SignedRecord:
    """A parsed signed record whose signature has not been checked yet (see verify)."""

    record_type: str
    fields: Mapping[str, object] = field(repr=False)
    kid: bytes
    encoded: bytes = field(repr=False)
    message: Sign1 = field(repr=False)

    @property
    def digest(self) -> bytes:
        """SHA-256 of the signed content (signer's kid and payload), whatever the signature:
        what other records name it by, and what a store deduplicates it by."""
        return hashlib.sha256(sig_structure(self.message)).digest()

    def verify(self, key: PublicKey) -> None:
        """Check the record is signed by key; raise BadSignature otherwise."""
        if self.kid != key.kid:
            raise BadSignature(
                f"the {self.record_type} record is signed by key {self.kid.hex()}, "
                f"not by the expected key {key.kid.hex()}"
            )
        verify_sign1(self.message, key)


def read_record(
    data: bytes, *, record_type: str, fields: Collection[str], max_size: int
) -> SignedRecord:
    """Parse a signed record strictly: size, COSE_Sign1 structure, exactly the listed fields."""
    if len(data) > max_size:
        raise MalformedRecord(
            f"the {record_type} record is {len(data)} bytes, more than the {max_size} accepted"
        )
    try:
        message = decode_sign1(data, max_size=max_size)
    except (MalformedGrant, GrantTooLarge) as err:
        raise MalformedRecord(f"the {record_type} record: {err}") from None
    values = decode_fields(message.payload, record_type=record_type, fields=fields)
    return SignedRecord(record_type, values, message.kid, data, message)


def decode_fields(
    payload: bytes, *, record_type: str, fields: Collection[str], max_depth: int = 3
) -> dict[str, object]:
    """Read a record's map strictly: CBOR as grants use it, its type, exactly its fields."""
    try:
        item = loads_one(payload, f"the {record_type} record", max_depth=max_depth)
    except MalformedGrant as err:
        raise MalformedRecord(str(err)) from None
    if type(item) is not dict:
        raise MalformedRecord(f"the {record_type} record must be a CBOR map")
    if item.get(_TYPE) != record_type:
        raise MalformedRecord(
            f"expected a {record_type} record, got a record of type {item.get(_TYPE)!r}"
        )
    expected = {*fields, _TYPE}
    if item.keys() != expected:
        raise MalformedRecord(
            f"a {record_type} record has exactly the fields {sorted(fields)}; "
            f"missing {sorted(map(str, expected - item.keys()))}, "
            f"unknown {sorted(map(repr, item.keys() - expected))}"
        )
    if encode_fields(record_type, {k: v for k, v in item.items() if k != _TYPE}) != payload:
        raise MalformedRecord(f"the {record_type} record is not deterministically encoded")
    return item


def text(fields: Mapping[str, object], name: str, *, max_length: int = MAX_TEXT_LENGTH) -> str:
    """A printable text field of 1 to max_length characters (a name, a label: no control
    characters, which no name needs and some stores cannot keep)."""
    value = fields[name]
    if type(value) is not str or not 1 <= len(value) <= max_length:
        raise MalformedRecord(f"{name} must be text of 1 to {max_length} characters")
    if not value.isprintable():
        raise MalformedRecord(f"{name} must be printable text (no control characters)")
    return value


def uint(fields: Mapping[str, object], name: str) -> int:
    """A non-negative integer field (a CBOR bool is not one)."""
    value = fields[name]
    if type(value) is not int or not 0 <= value <= _MAX_UINT:
        raise MalformedRecord(f"{name} must be a non-negative integer")
    return value


def optional_uint(fields: Mapping[str, object], name: str) -> int | None:
    """A non-negative integer field, or null."""
    return None if fields[name] is None else uint(fields, name)


def blob(
    fields: Mapping[str, object],
    name: str,
    *,
    length: int | None = None,
    max_length: int = MAX_TEXT_LENGTH,
) -> bytes:
    """A byte string field of exactly length bytes, or of 1 to max_length bytes."""
    value = fields[name]
    if type(value) is not bytes:
        raise MalformedRecord(f"{name} must be a byte string")
    if length is not None and len(value) != length:
        raise MalformedRecord(f"{name} must be {length} bytes, got {len(value)}")
    if length is None and not 1 <= len(value) <= max_length:
        raise MalformedRecord(f"{name} must be 1 to {max_length} bytes, got {len(value)}")
    return value


def public_key(fields: Mapping[str, object], name: str) -> PublicKey:
    """A P-256 public key field, as its 65-byte uncompressed point."""
    try:
        return PublicKey.from_bytes(blob(fields, name, length=65))
    except MalformedKey as err:
        raise MalformedRecord(f"{name}: {err}") from None
