"""COSE_Sign (RFC 9052 §4.1): one payload signed by several parties, ES256 each.

    98([h'', {}, payload: bstr, [[protected: bstr .cbor {1: -7, 4: kid}, {}, signature], ...]])

Each signer signs Sig_structure ["Signature", h'' (body protected), its own protected header,
h'' (no external AAD), payload], so every party signs the same payload independently, in any
order, and a signature cannot be moved to another payload or another signer's header. Used for
documents both parties of a tenancy sign (contracts, move-out inspections). Strict as grants:
one encoding only, exactly the signers a format expects.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

import cbor2

from .cose import ALG_ES256, MAX_KID_LENGTH
from .errors import BadSignature, MalformedGrant
from .keys import SIGNATURE_LENGTH, PublicKey, SigningKey
from .signed_record import MalformedRecord
from .strict_cbor import loads_one

COSE_SIGN_TAG = 98
_ALG, _KID = 1, 4
_BODY_PROTECTED = b""
# tag -> COSE_Sign array -> signatures array -> COSE_Signature array
_DEPTH = 4


@dataclass(frozen=True, slots=True)
class Signature:
    """One signer's COSE_Signature: its protected header (alg, kid) and its signature."""

    kid: bytes
    protected: bytes = field(repr=False)
    signature: bytes = field(repr=False)


@dataclass(frozen=True, slots=True)
class MultiSigned:
    """A parsed COSE_Sign whose signatures have not been checked yet (see verify_signer)."""

    payload: bytes = field(repr=False)
    signatures: tuple[Signature, ...]


def sign_payload(payload: bytes, key: SigningKey) -> Signature:
    """One party's signature over payload, naming the party's kid."""
    protected = _protected_header(key.public_key.kid)
    return Signature(key.public_key.kid, protected, key.sign(_sig_structure(protected, payload)))


def encode_multi_signed(payload: bytes, signatures: Sequence[Signature]) -> bytes:
    """The COSE_Sign of payload with signatures in the given order."""
    return cbor2.dumps(
        cbor2.CBORTag(
            COSE_SIGN_TAG,
            [
                _BODY_PROTECTED,
                {},
                payload,
                [[signature.protected, {}, signature.signature] for signature in signatures],
            ],
        ),
        canonical=True,
    )


def decode_multi_signed(data: bytes, *, max_size: int, signers: int) -> MultiSigned:
    """Parse a COSE_Sign with exactly `signers` signatures, without trusting it."""
    if len(data) > max_size:
        raise MalformedRecord(
            f"the signed document is {len(data)} bytes, more than the {max_size} accepted"
        )
    try:
        item = loads_one(data, "the COSE_Sign", max_depth=_DEPTH)
    except MalformedGrant as err:
        raise MalformedRecord(str(err)) from None
    if type(item) is not cbor2.CBORTag or item.tag != COSE_SIGN_TAG:
        raise MalformedRecord("not a COSE_Sign: the data must start with CBOR tag 98")
    content = item.value
    # Inside a tag, cbor2 decodes arrays as tuples and maps as frozendicts.
    if not isinstance(content, list | tuple) or len(content) != 4:
        raise MalformedRecord(
            "a COSE_Sign is an array of 4: protected, unprotected, payload, signatures"
        )
    body_protected, unprotected, payload, entries = content
    if type(body_protected) is not bytes or body_protected != _BODY_PROTECTED:
        raise MalformedRecord("the COSE_Sign body protected header must be empty")
    if unprotected != {}:  # nothing but an empty map equals {}
        raise MalformedRecord("the COSE_Sign unprotected header must be an empty map")
    if type(payload) is not bytes:
        raise MalformedRecord("the COSE_Sign payload must be a byte string")
    if not isinstance(entries, list | tuple) or len(entries) != signers:
        raise MalformedRecord(f"the document must carry exactly {signers} signatures")
    signatures = tuple(_signature(entry) for entry in entries)
    if encode_multi_signed(payload, signatures) != data:
        raise MalformedRecord("the COSE_Sign is not deterministically encoded")
    return MultiSigned(payload, signatures)


def verify_signer(document: MultiSigned, index: int, key: PublicKey) -> None:
    """Check that signature `index` is key's, over the document's payload; BadSignature if not."""
    signature = document.signatures[index]
    if signature.kid != key.kid:
        raise BadSignature(
            f"signature {index + 1} is by key {signature.kid.hex()}, "
            f"not by the expected key {key.kid.hex()}"
        )
    key.verify(signature.signature, _sig_structure(signature.protected, document.payload))


def _signature(entry: object) -> Signature:
    if not isinstance(entry, list | tuple) or len(entry) != 3:
        raise MalformedRecord(
            "a COSE_Signature is an array of 3: protected, unprotected, signature"
        )
    protected, unprotected, signature = entry
    if type(protected) is not bytes:
        raise MalformedRecord("a COSE_Signature protected header must be a byte string")
    if unprotected != {}:
        raise MalformedRecord("a COSE_Signature unprotected header must be an empty map")
    if type(signature) is not bytes or len(signature) != SIGNATURE_LENGTH:
        raise MalformedRecord("a COSE_Signature signature must be a 64-byte ES256 signature")
    try:
        header = loads_one(protected, "a COSE_Signature protected header")
    except MalformedGrant as err:
        raise MalformedRecord(str(err)) from None
    if type(header) is not dict or header.keys() != {_ALG, _KID}:
        raise MalformedRecord("a COSE_Signature protected header holds exactly alg (1) and kid (4)")
    if header[_ALG] != ALG_ES256 or type(header[_ALG]) is not int:
        raise MalformedRecord("only ES256 (-7) signatures are accepted")
    kid = header[_KID]
    if type(kid) is not bytes or not 1 <= len(kid) <= MAX_KID_LENGTH:
        raise MalformedRecord(f"a COSE_Signature kid is 1 to {MAX_KID_LENGTH} bytes")
    if _protected_header(kid) != protected:
        raise MalformedRecord("a COSE_Signature protected header is not deterministically encoded")
    return Signature(kid, protected, signature)


def _protected_header(kid: bytes) -> bytes:
    return cbor2.dumps({_ALG: ALG_ES256, _KID: kid}, canonical=True)


def _sig_structure(sign_protected: bytes, payload: bytes) -> bytes:
    return cbor2.dumps(["Signature", _BODY_PROTECTED, sign_protected, b"", payload], canonical=True)
