"""Reading a grant in the one encoding issue_grant writes, in one pass: GrantVerifier's hot path.

issue_grant signs the claims (see grant) into a COSE_Sign1 (see cose), all in deterministic
CBOR: shortest heads, map keys in cbor2's canonical order. Byte by byte:

    d2 84                                   tag 18, array of 4
    55 a2 01 26 04 50 <kid: 16 bytes>       protected header {1: -7 (ES256), 4: kid}
    a0                                      unprotected header {}
    <bstr> a? ...                           payload: the map of 10 to 14 claims
        01 <text iss> 02 <text sub> 03 <text aud>
        04 1a <exp> 05 1a <nbf> 06 1a <iat>                 uint32: from 1970 to 2106
        07 50 <cti: 16 bytes>
        08 a1 01 a4 01 02 20 01 21 58 20 <x> 22 58 20 <y>   cnf {1: {1: 2, -1: 1, -2: x, -3: y}}
        3a 00 01 11 70 <text kind>
       [3a 00 01 11 71 <uint max_uses>]
        3a 00 01 11 72 f4 | f5                              may_share
       [3a 00 01 11 73 <text share_mode>]
       [3a 00 01 11 74 <bstr sealed_pin>]
       [3a 00 01 11 75 <bstr parent>]
    58 40 <signature: 64 bytes>

read_canonical_grant reads exactly that, and gives None for anything else and for any value
that Grant or PublicKey refuses. The caller then decodes the bytes strictly (decode_sign1 and
SignedGrant.from_sign1), which accept every grant this accepts, decoded to equal values, and
name what is wrong with the rest: this is a faster way to the same answer, never another one.
tests/buildinghub/credentials/test_canonical_grant.py checks that on every shape of grant and
on changes to their bytes.
"""

import struct
from dataclasses import fields

from .errors import MalformedGrant, MalformedKey
from .grant import MAX_GRANT_BYTES, Grant, GrantKind, ShareMode, SignedGrant
from .keys import KID_LENGTH, SIGNATURE_LENGTH, PublicKey

# Tag 18, array of 4, then protected: bstr of 21 holding {1: -7, 4: bstr of 16 (the kid)}.
_SIGN1_TO_KID = b"\xd2\x84\x55\xa2\x01\x26\x04\x50"
_KID_END = len(_SIGN1_TO_KID) + KID_LENGTH  # also where protected ends
_PROTECTED_START = 2
_UNPROTECTED = 0xA0  # empty map
_SIGNATURE_HEAD = b"\x58\x40"  # bstr of 64
# Sig_structure ["Signature1", protected, h'', payload] (RFC 9052 §4.4): its array and text
# heads, then protected and payload as they are in the message, with an empty bstr between.
_SIG_STRUCTURE_PREFIX = b"\x84\x6aSignature1"
_EMPTY_BSTR = b"\x40"

_CLAIMS_MAP = 0xA0  # map; its head holds the number of claims
_ALL_CLAIMS = 14  # every claim in grant's table
_ISS, _SUB, _AUD = 0x01, 0x02, 0x03
_EXP_TO_CNF = struct.Struct(">2sI2sI2sI2s16s11s32s3s32s")
_EXP_TO_CNF_HEADS = (
    b"\x04\x1a",  # exp: uint32
    b"\x05\x1a",  # nbf: uint32
    b"\x06\x1a",  # iat: uint32
    b"\x07\x50",  # cti: bstr of 16
    b"\x08\xa1\x01\xa4\x01\x02\x20\x01\x21\x58\x20",  # cnf: {1: {1: 2, -1: 1, -2: bstr of 32
    b"\x22\x58\x20",  # -3: bstr of 32
)
_UINT32_MIN = 0x10000  # a smaller time has a shorter head
_KIND = b"\x3a\x00\x01\x11\x70"  # -70001
_MAX_USES = b"\x3a\x00\x01\x11\x71"
_MAY_SHARE = b"\x3a\x00\x01\x11\x72"
_SHARE_MODE = b"\x3a\x00\x01\x11\x73"
_SEALED_PIN = b"\x3a\x00\x01\x11\x74"
_PARENT = b"\x3a\x00\x01\x11\x75"
_KEY_SIZE = len(_KIND)
_MAY_SHARE_CLAIMS = {_MAY_SHARE + b"\xf4": False, _MAY_SHARE + b"\xf5": True}
_KINDS = {kind.value: kind for kind in GrantKind}
_SHARE_MODES = {mode.value: mode for mode in ShareMode}


class _NotCanonical(Exception):
    """The bytes are not in the encoding issue_grant writes."""


def read_canonical_grant(data: bytes) -> tuple[SignedGrant, bytes, bytes] | None:
    """The grant in data, the Sig_structure its signature covers and the signature, if data is
    in the encoding issue_grant writes and its values are valid; None otherwise.

    Nothing here checks the signature, the issuer or the window.
    """
    if type(data) is not bytes:  # a bytearray or memoryview: keep what decode_sign1 does
        return None
    try:
        payload_start, payload_end = _read_sign1(data)
        grant = _read_claims(data, payload_start, payload_end)
    except (
        _NotCanonical,
        IndexError,  # the data ends inside a head
        struct.error,  # or inside exp to cnf
        UnicodeDecodeError,
        MalformedGrant,
        MalformedKey,
    ):
        return None
    signed = object.__new__(SignedGrant)
    _set_signed_grant(signed, grant)
    _set_encoded(signed, data)
    _set_kid(signed, data[len(_SIGN1_TO_KID) : _KID_END])
    to_be_signed = b"".join(
        (
            _SIG_STRUCTURE_PREFIX,
            data[_PROTECTED_START:_KID_END],  # protected, with its head
            _EMPTY_BSTR,
            data[_KID_END + 1 : payload_end],  # payload, with its head
        )
    )
    return signed, to_be_signed, data[payload_end + len(_SIGNATURE_HEAD) :]


def _read_sign1(data: bytes) -> tuple[int, int]:
    # Where the payload's content starts and ends.
    if len(data) > MAX_GRANT_BYTES or not data.startswith(_SIGN1_TO_KID):
        raise _NotCanonical
    if data[_KID_END] != _UNPROTECTED:
        raise _NotCanonical
    payload_start, payload_end = _bstr(data, _KID_END + 1)
    if data[payload_end : payload_end + len(_SIGNATURE_HEAD)] != _SIGNATURE_HEAD:
        raise _NotCanonical
    if len(data) != payload_end + len(_SIGNATURE_HEAD) + SIGNATURE_LENGTH:
        raise _NotCanonical
    return payload_start, payload_end


def _read_claims(data: bytes, at: int, end: int) -> Grant:
    # The claims in data[at:end], each at its place or not at all, so none is unknown or
    # repeated; with the count in the map's head and the end checked, none is missing and
    # every length read stays inside the payload.
    claims = data[at] - _CLAIMS_MAP
    if data[at + 1] != _ISS:
        raise _NotCanonical
    issuer, at = _text(data, at + 2)
    if data[at] != _SUB:
        raise _NotCanonical
    subject, at = _text(data, at + 1)
    if data[at] != _AUD:
        raise _NotCanonical
    audience, at = _text(data, at + 1)
    exp, expires, nbf, not_before, iat, issued_at, cti, grant_id, cnf, x, y_label, y = (
        _EXP_TO_CNF.unpack_from(data, at)
    )
    if (exp, nbf, iat, cti, cnf, y_label) != _EXP_TO_CNF_HEADS:
        raise _NotCanonical
    if min(expires, not_before, issued_at) < _UINT32_MIN:
        raise _NotCanonical
    at += _EXP_TO_CNF.size
    if not data.startswith(_KIND, at):
        raise _NotCanonical
    kind_name, at = _text(data, at + _KEY_SIZE)
    kind = _KINDS.get(kind_name)
    if kind is None:
        raise _NotCanonical
    max_uses = None
    if data.startswith(_MAX_USES, at):
        max_uses, at = _uint(data, at + _KEY_SIZE)
    may_share = _MAY_SHARE_CLAIMS.get(data[at : at + _KEY_SIZE + 1])
    if may_share is None:
        raise _NotCanonical
    at += _KEY_SIZE + 1
    share_mode = None
    if data.startswith(_SHARE_MODE, at):
        share_mode_name, at = _text(data, at + _KEY_SIZE)
        share_mode = _SHARE_MODES.get(share_mode_name)
        if share_mode is None:
            raise _NotCanonical
    sealed_pin = None
    if data.startswith(_SEALED_PIN, at):
        start, at = _bstr(data, at + _KEY_SIZE)
        sealed_pin = data[start:at]
    parent = None
    if data.startswith(_PARENT, at):
        start, at = _bstr(data, at + _KEY_SIZE)
        parent = data[start:at]
    if at != end or claims != _ALL_CLAIMS - (max_uses, share_mode, sealed_pin, parent).count(None):
        raise _NotCanonical
    return _new_grant(
        issuer,
        subject,
        audience,
        not_before,
        expires,
        issued_at,
        grant_id,
        PublicKey.from_coordinates(x, y),
        kind,
        max_uses,
        may_share,
        share_mode,
        sealed_pin,
        parent,
    )


def _bstr(data: bytes, at: int) -> tuple[int, int]:
    # Where the content of the byte string at data[at] starts and ends (shortest head only).
    head = data[at]
    if 0x40 <= head < 0x58:
        return at + 1, at + 1 + head - 0x40
    if head == 0x58 and data[at + 1] >= 24:
        return at + 2, at + 2 + data[at + 1]
    if head == 0x59 and (length := int.from_bytes(data[at + 1 : at + 3])) >= 0x100:
        return at + 3, at + 3 + length
    raise _NotCanonical


def _text(data: bytes, at: int) -> tuple[str, int]:
    # The text string at data[at] (shortest head, up to 255 bytes) and where it ends.
    head = data[at]
    if 0x60 <= head < 0x78:
        end = at + 1 + head - 0x60
        return data[at + 1 : end].decode(), end
    if head == 0x78 and data[at + 1] >= 24:
        end = at + 2 + data[at + 1]
        return data[at + 2 : end].decode(), end
    raise _NotCanonical


def _uint(data: bytes, at: int) -> tuple[int, int]:
    # The unsigned integer at data[at] (shortest head) and where it ends.
    head = data[at]
    if head < 0x18:
        return head, at + 1
    if 0x18 <= head <= 0x1B:
        size = 1 << (head - 0x18)  # 1, 2, 4 or 8 bytes, each only past what the smaller hold
        end = at + 1 + size
        value = int.from_bytes(data[at + 1 : end])
        if value >= (24 if size == 1 else 1 << (4 * size)):
            return value, end
    raise _NotCanonical


# Grant(...) and SignedGrant(...) set each frozen field with object.__setattr__, which costs
# more than reading it; the slots' own descriptors set them for less. _new_grant then runs
# __post_init__, which checks the values exactly as Grant(...) does.
_set_signed_grant, _set_encoded, _set_kid = (
    SignedGrant.__dict__[field.name].__set__ for field in fields(SignedGrant)
)
(
    _set_issuer,
    _set_subject,
    _set_audience,
    _set_not_before,
    _set_expires,
    _set_issued_at,
    _set_grant_id,
    _set_holder_key,
    _set_kind,
    _set_max_uses,
    _set_may_share,
    _set_share_mode,
    _set_sealed_pin,
    _set_parent,
) = (Grant.__dict__[field.name].__set__ for field in fields(Grant))


def _new_grant(  # noqa: PLR0917 - Grant's fields, in its order
    issuer: str,
    subject: str,
    audience: str,
    not_before: int,
    expires: int,
    issued_at: int,
    grant_id: bytes,
    holder_key: PublicKey,
    kind: GrantKind,
    max_uses: int | None,
    may_share: bool,
    share_mode: ShareMode | None,
    sealed_pin: bytes | None,
    parent: bytes | None,
) -> Grant:
    grant = object.__new__(Grant)
    _set_issuer(grant, issuer)
    _set_subject(grant, subject)
    _set_audience(grant, audience)
    _set_not_before(grant, not_before)
    _set_expires(grant, expires)
    _set_issued_at(grant, issued_at)
    _set_grant_id(grant, grant_id)
    _set_holder_key(grant, holder_key)
    _set_kind(grant, kind)
    _set_max_uses(grant, max_uses)
    _set_may_share(grant, may_share)
    _set_share_mode(grant, share_mode)
    _set_sealed_pin(grant, sealed_pin)
    _set_parent(grant, parent)
    grant.__post_init__()
    return grant
