"""Lock installation records (SPEC R3): lock <-> flat <-> landlord, signed by the landlord.

The installer writes the record to a factory-new lock at its physical port;
from then on the lock trusts grants signed by the landlord key it names. The
hub reads the same record from the lock and trusts that landlord for that
lock only. Until the key ledger anchors landlord keys, the record is
self-certifying (signed by the key it names): whoever installs a lock first
decides its landlord, exactly as with a physical installation.
"""

from __future__ import annotations

from dataclasses import dataclass

import cbor2

from .cose import decode_sign1, sign1, verify_sign1
from .errors import MalformedGrant
from .keys import PublicKey, SigningKey
from .strict_cbor import loads_one

MAX_RECORD_BYTES = 1024
_FIELDS = (
    "lock_id",
    "flat",
    "landlord",
    "landlord_key",
    "lock_key",
    "lock_sealing_key",
    "installed_at",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class InstallationRecord:
    """Which lock guards which flat, for which landlord, with which keys."""

    lock_id: str
    flat: str
    landlord: str
    landlord_key: PublicKey
    lock_key: PublicKey
    lock_sealing_key: PublicKey
    installed_at: int


def sign_installation(record: InstallationRecord, landlord_key: SigningKey) -> bytes:
    """The landlord signs the record (COSE_Sign1, ES256)."""
    if landlord_key.public_key != record.landlord_key:
        raise ValueError("the record must name the key that signs it")
    payload = cbor2.dumps(
        {
            "lock_id": record.lock_id,
            "flat": record.flat,
            "landlord": record.landlord,
            "landlord_key": record.landlord_key.to_bytes(),
            "lock_key": record.lock_key.to_bytes(),
            "lock_sealing_key": record.lock_sealing_key.to_bytes(),
            "installed_at": record.installed_at,
        },
        canonical=True,
    )
    return sign1(payload, landlord_key, landlord_key.public_key.kid)


def verify_installation(data: bytes) -> InstallationRecord:
    """Parse a record strictly and check it is signed by the landlord key it names."""
    message = decode_sign1(data, max_size=MAX_RECORD_BYTES)
    claims = loads_one(message.payload, "the installation record")
    if not isinstance(claims, dict) or set(claims) != set(_FIELDS):
        raise MalformedGrant(f"an installation record has exactly the fields {_FIELDS}")
    texts = [claims[name] for name in ("lock_id", "flat", "landlord")]
    if not all(isinstance(text, str) and 0 < len(text) <= 64 for text in texts):
        raise MalformedGrant("lock_id, flat and landlord must be text of 1 to 64 characters")
    installed_at = claims["installed_at"]
    if not isinstance(installed_at, int) or isinstance(installed_at, bool) or installed_at < 0:
        raise MalformedGrant("installed_at must be a non-negative integer")
    keys = [claims[name] for name in ("landlord_key", "lock_key", "lock_sealing_key")]
    if not all(isinstance(key, bytes) for key in keys):
        raise MalformedGrant("the keys of an installation record must be byte strings")
    landlord_key, lock_key, sealing_key = (PublicKey.from_bytes(key) for key in keys)
    if message.kid != landlord_key.kid:
        raise MalformedGrant("the installation record is not signed by the landlord it names")
    verify_sign1(message, landlord_key)
    return InstallationRecord(
        lock_id=claims["lock_id"],
        flat=claims["flat"],
        landlord=claims["landlord"],
        landlord_key=landlord_key,
        lock_key=lock_key,
        lock_sealing_key=sealing_key,
        installed_at=installed_at,
    )
