"""Changing signed or sealed bytes the way an attacker or a bad medium would."""

import cbor2

from buildinghub.credentials.keys import CURVE_ORDER


def flip(data: bytes, bit: int) -> bytes:
    """data with one bit changed."""
    changed = bytearray(data)
    changed[bit // 8] ^= 1 << (bit % 8)
    return bytes(changed)


def other_s(signature: bytes) -> bytes:
    """The other ECDSA P-256 signature of the same message: r || n - s (ECDSA malleability)."""
    s = int.from_bytes(signature[32:])
    return signature[:32] + (CURVE_ORDER - s).to_bytes(32)


def with_other_s(sign1: bytes) -> bytes:
    """A COSE_Sign1 re-encoded with its signature's s replaced by n - s: the same signed
    content under other bytes, which an old verifier accepted as valid."""
    message = cbor2.loads(sign1)
    protected, unprotected, payload, signature = message.value
    twin = cbor2.CBORTag(message.tag, [protected, unprotected, payload, other_s(signature)])
    return cbor2.dumps(twin, canonical=True)
