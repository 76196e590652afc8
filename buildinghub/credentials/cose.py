"""COSE_Sign1 with ES256 (RFC 9052 §4.2, RFC 9053 §2.1), in the one encoding grants use.

    18([protected: bstr .cbor {1: -7, 4: kid}, unprotected: {}, payload: bstr, signature: 64 bytes])

The signature covers Sig_structure ["Signature1", protected, h'', payload] (no external AAD).
Everything is deterministically encoded (RFC 8949 §4.2.1), so a signed message has exactly one
encoding and its SHA-256 names it. Parsing and verifying are separate steps so a caller can
read the kid, find the key, then verify. COSE_Sign1 carries grants here, so a refused message is
a MalformedGrant (or GrantTooLarge).
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

import cbor2

from .errors import GrantTooLarge, MalformedGrant
from .keys import SIGNATURE_LENGTH, PublicKey, SigningKey
from .strict_cbor import loads_first, loads_one

COSE_SIGN1_TAG = 18
ALG_ES256 = -7
MAX_KID_LENGTH = 32
_ALG, _KID = 1, 4


@dataclass(frozen=True, slots=True)
class Sign1:
    """A parsed COSE_Sign1 whose signature has not been checked yet (see verify_sign1)."""

    encoded: bytes = field(repr=False)
    protected: bytes = field(repr=False)
    kid: bytes
    payload: bytes = field(repr=False)
    signature: bytes = field(repr=False)


def sign1(payload: bytes, key: SigningKey, kid: bytes) -> bytes:
    """Sign payload with key and return the encoded COSE_Sign1 naming kid."""
    if not 1 <= len(kid) <= MAX_KID_LENGTH:
        raise ValueError(f"kid must be 1 to {MAX_KID_LENGTH} bytes, got {len(kid)}")
    protected = _protected_header(kid)
    signature = key.sign(_sig_structure(protected, payload))
    message = cbor2.CBORTag(COSE_SIGN1_TAG, [protected, {}, payload, signature])
    return cbor2.dumps(message, canonical=True)


def decode_sign1(data: bytes, *, max_size: int) -> Sign1:
    """Parse a COSE_Sign1 without trusting it: size first, then structure, one error each."""
    if len(data) > max_size:
        raise GrantTooLarge(
            f"the message is {len(data)} bytes, more than the {max_size} a verifier accepts: "
            f"the issuer must shorten identifiers or the sealed PIN"
        )
    item = loads_first(data, "the COSE_Sign1")
    if type(item) is not cbor2.CBORTag or item.tag != COSE_SIGN1_TAG:
        raise MalformedGrant("not a COSE_Sign1: the data must start with CBOR tag 18")
    content = item.value
    if not isinstance(content, list | tuple) or len(content) != 4:
        raise MalformedGrant(
            "a COSE_Sign1 is an array of 4: protected, unprotected, payload, signature"
        )
    protected, unprotected, payload, signature = content
    if type(protected) is not bytes:
        raise MalformedGrant("the COSE_Sign1 protected header must be a byte string")
    if unprotected != {}:  # nothing but an empty map equals {}
        raise MalformedGrant("the COSE_Sign1 unprotected header must be an empty map")
    if type(payload) is not bytes:
        raise MalformedGrant("the COSE_Sign1 payload must be a byte string (no detached payload)")
    if type(signature) is not bytes or len(signature) != SIGNATURE_LENGTH:
        raise MalformedGrant("the COSE_Sign1 signature must be a 64-byte ES256 signature")
    kid = _read_protected_header(protected)
    if len(data) != _minimal_length(len(protected), len(payload)):
        # Shorter is impossible; longer is bytes after the end or a padded length. Say which.
        loads_one(data, "the COSE_Sign1")
        raise MalformedGrant("the COSE_Sign1 is not deterministically encoded (a length is padded)")
    return Sign1(data, protected, kid, payload, signature)


def verify_sign1(message: Sign1, key: PublicKey) -> None:
    """Check message's signature with key; raise BadSignature if it does not verify."""
    key.verify(message.signature, sig_structure(message))


def sig_structure(message: Sign1) -> bytes:
    """The bytes message's signature covers: its Sig_structure (RFC 9052 §4.4)."""
    return _sig_structure(message.protected, message.payload)


def _read_protected_header(protected: bytes) -> bytes:
    # The one accepted encoding is _protected_header(kid): compare with it, with the kid's head
    # taking one byte (kid under 24 bytes) or two. Decode only to explain a refusal.
    for head_length in (1, 2):
        kid = protected[len(_PROTECTED_PREFIX) + head_length :]
        if 1 <= len(kid) <= MAX_KID_LENGTH and protected == _protected_header(kid):
            return kid
    raise _protected_header_error(protected)


def _protected_header_error(protected: bytes) -> MalformedGrant:
    header = loads_one(protected, "the COSE_Sign1 protected header")
    if not isinstance(header, Mapping):
        return MalformedGrant("the COSE_Sign1 protected header must be a map")
    alg = header.get(_ALG)
    if type(alg) is not int or alg != ALG_ES256:
        return MalformedGrant(f"algorithm {alg!r} is refused: grants are signed with ES256 (-7)")
    kid = header.get(_KID)
    if not isinstance(kid, bytes) or not 1 <= len(kid) <= MAX_KID_LENGTH:
        return MalformedGrant(f"the protected header needs a kid of 1 to {MAX_KID_LENGTH} bytes")
    if len(header) != 2:
        return MalformedGrant("the protected header may hold only alg (1) and kid (4)")
    return MalformedGrant("the COSE_Sign1 protected header is not deterministically encoded")


# Built by hand: the hot path of every verification, and cbor2 is slow at tiny encodings.
# tests/buildinghub/credentials/test_cose.py checks them against cbor2.
_PROTECTED_PREFIX = b"\xa2\x01\x26\x04"  # map(2), 1: -7, 4: (kid follows)
_SIG_STRUCTURE_PREFIX = b"\x84\x6aSignature1"  # array(4), text(10) "Signature1"
_EMPTY_BSTR = b"\x40"


def _protected_header(kid: bytes) -> bytes:
    return _PROTECTED_PREFIX + _bstr_head(len(kid)) + kid


def _sig_structure(protected: bytes, payload: bytes) -> bytes:
    return b"".join(
        (
            _SIG_STRUCTURE_PREFIX,
            _bstr_head(len(protected)),
            protected,
            _EMPTY_BSTR,
            _bstr_head(len(payload)),
            payload,
        )
    )


def _minimal_length(protected_length: int, payload_length: int) -> int:
    # tag 18 and array(4) heads, protected, empty map, payload, signature: shortest heads.
    return (
        2
        + _head_length(protected_length)
        + protected_length
        + 1
        + _head_length(payload_length)
        + payload_length
        + _head_length(SIGNATURE_LENGTH)
        + SIGNATURE_LENGTH
    )


def _head_length(argument: int) -> int:
    # RFC 8949 §3: the argument is in the initial byte, or in 1, 2, 4 or 8 bytes after it.
    if argument < 24:
        return 1
    if argument < 0x100:
        return 2
    if argument < 0x10000:
        return 3
    return 5 if argument < 0x100000000 else 9


def _bstr_head(length: int) -> bytes:
    # RFC 8949 §3, major type 2, shortest form; no message here comes near 4 GiB.
    if length < 24:
        return bytes((0x40 | length,))
    if length < 0x100:
        return bytes((0x58, length))
    if length < 0x10000:
        return b"\x59" + length.to_bytes(2)
    return b"\x5a" + length.to_bytes(4)
