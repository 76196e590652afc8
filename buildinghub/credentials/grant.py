"""Grants: signed, holder-bound permissions to open one lock or bay for a window of time.

A grant is a COSE_Sign1 (see cose) over a CWT claims map (RFC 8392), with the holder's key in
cnf (RFC 8747). Our own claims use keys in CWT's private-use range (below -65536), so they can
never collide with a registered claim.

    key     claim       CBOR type           meaning
    1       iss         text, 1-64 chars    issuer name, as the verifier's trust store knows it
    2       sub         text, 1-64 chars    the holder's identity
    3       aud         text, 1-64 chars    the one lock or bay that verifies the grant
    4       exp         uint                end of validity, unix seconds, exclusive
    5       nbf         uint                start of validity, unix seconds, before exp
    6       iat         uint                when it was issued, unix seconds
    7       cti         bstr, 16 bytes      grant id: revocation and use counting
    8       cnf         {1: COSE_Key}       the holder's P-256 key, for proof of possession
    -70001  kind        text                viewing | lease | ekey | share | remote
    -70002  max_uses    uint >= 1, optional how many uses the audience allows; absent: no limit
    -70003  may_share   bool                whether the holder may delegate
    -70004  share_mode  text, optional      co_use | transfer
    -70005  sealed_pin  bstr, optional      a PIN sealed to the lock, opaque to this library
    -70006  parent      bstr, 32, optional  SHA-256 of the parent grant's encoding (delegation)

Every claim is checked for its type; a claim not in this table is refused.
"""

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Self

import cbor2

from .cose import Sign1, decode_sign1, sign1
from .errors import GrantTooLarge, MalformedGrant, MalformedKey
from .keys import PublicKey, SigningKey
from .strict_cbor import loads_one

MAX_GRANT_BYTES = 1024
GRANT_ID_LENGTH = 16
MAX_NAME_LENGTH = 64
_DIGEST_LENGTH = 32
_MAX_TIME = 2**63 - 1
_MAX_USES = 2**32 - 1

_ISS, _SUB, _AUD, _EXP, _NBF, _IAT, _CTI, _CNF = 1, 2, 3, 4, 5, 6, 7, 8
_KIND, _MAX_USES_CLAIM, _MAY_SHARE, _SHARE_MODE, _SEALED_PIN, _PARENT = range(-70001, -70007, -1)
_CNF_COSE_KEY = 1

_CLAIM_NAMES = {
    _ISS: "iss",
    _SUB: "sub",
    _AUD: "aud",
    _EXP: "exp",
    _NBF: "nbf",
    _IAT: "iat",
    _CTI: "cti",
    _CNF: "cnf",
    _KIND: "kind",
    _MAX_USES_CLAIM: "max_uses",
    _MAY_SHARE: "may_share",
    _SHARE_MODE: "share_mode",
    _SEALED_PIN: "sealed_pin",
    _PARENT: "parent",
}
_CLAIM_KEYS = frozenset(_CLAIM_NAMES)
_REQUIRED_CLAIMS = _CLAIM_KEYS - {_MAX_USES_CLAIM, _SHARE_MODE, _SEALED_PIN, _PARENT}


class GrantKind(StrEnum):
    """What the grant is for."""

    VIEWING = "viewing"
    LEASE = "lease"
    EKEY = "ekey"
    SHARE = "share"
    REMOTE = "remote"


class ShareMode(StrEnum):
    """How a shared grant relates to its parent."""

    CO_USE = "co_use"
    TRANSFER = "transfer"


@dataclass(frozen=True, slots=True, kw_only=True)
class Grant:
    """The claims of a grant. Constructing one checks every value (MalformedGrant)."""

    issuer: str
    subject: str
    audience: str
    not_before: int
    expires: int
    issued_at: int
    grant_id: bytes
    holder_key: PublicKey
    kind: GrantKind
    max_uses: int | None = None
    may_share: bool = False
    share_mode: ShareMode | None = None
    sealed_pin: bytes | None = field(default=None, repr=False)
    parent: bytes | None = None

    def __post_init__(self) -> None:
        # Written out field by field: this runs for every grant a lock verifies.
        if not 1 <= len(self.issuer) <= MAX_NAME_LENGTH:
            raise _name_error("issuer")
        if not 1 <= len(self.subject) <= MAX_NAME_LENGTH:
            raise _name_error("subject")
        if not 1 <= len(self.audience) <= MAX_NAME_LENGTH:
            raise _name_error("audience")
        if not 0 <= self.not_before <= _MAX_TIME:
            raise _time_error("not_before", self.not_before)
        if not 0 <= self.expires <= _MAX_TIME:
            raise _time_error("expires", self.expires)
        if not 0 <= self.issued_at <= _MAX_TIME:
            raise _time_error("issued_at", self.issued_at)
        if self.not_before >= self.expires:
            raise MalformedGrant(
                f"the window is empty: not_before {self.not_before} is not before "
                f"expires {self.expires}"
            )
        if len(self.grant_id) != GRANT_ID_LENGTH:
            raise MalformedGrant(f"grant_id must be {GRANT_ID_LENGTH} bytes")
        if self.max_uses is not None and not 1 <= self.max_uses <= _MAX_USES:
            raise MalformedGrant(f"max_uses must be 1 to {_MAX_USES}, or None for no limit")
        if self.sealed_pin is not None and not self.sealed_pin:
            raise MalformedGrant("sealed_pin must not be empty: use None for no PIN")
        if self.parent is not None and len(self.parent) != _DIGEST_LENGTH:
            raise MalformedGrant("parent must be the 32-byte SHA-256 of the parent grant")

    def to_claims(self) -> dict[int, object]:
        """The CWT claims map, optional claims left out when unset."""
        claims: dict[int, object] = {
            _ISS: self.issuer,
            _SUB: self.subject,
            _AUD: self.audience,
            _EXP: self.expires,
            _NBF: self.not_before,
            _IAT: self.issued_at,
            _CTI: self.grant_id,
            _CNF: {_CNF_COSE_KEY: self.holder_key.to_cose_key()},
            _KIND: self.kind.value,
            _MAY_SHARE: self.may_share,
        }
        if self.max_uses is not None:
            claims[_MAX_USES_CLAIM] = self.max_uses
        if self.share_mode is not None:
            claims[_SHARE_MODE] = self.share_mode.value
        if self.sealed_pin is not None:
            claims[_SEALED_PIN] = self.sealed_pin
        if self.parent is not None:
            claims[_PARENT] = self.parent
        return claims

    @classmethod
    def from_claims(cls, claims: Mapping[object, object]) -> Self:
        """Read a CWT claims map strictly: every claim typed, none unknown, none missing."""
        keys = claims.keys()
        if not keys <= _CLAIM_KEYS:
            unknown = sorted(map(repr, keys - _CLAIM_KEYS))
            raise MalformedGrant(
                f"unknown claims {unknown}: this verifier accepts only the claims in "
                f"buildinghub.credentials.grant"
            )
        if not keys >= _REQUIRED_CLAIMS:
            missing = sorted(_CLAIM_NAMES[key] for key in _REQUIRED_CLAIMS - keys)
            raise MalformedGrant(f"missing claims {missing}")
        share_mode = _optional(claims, _SHARE_MODE, str)
        return cls(
            issuer=_required(claims, _ISS, str),
            subject=_required(claims, _SUB, str),
            audience=_required(claims, _AUD, str),
            not_before=_required(claims, _NBF, int),
            expires=_required(claims, _EXP, int),
            issued_at=_required(claims, _IAT, int),
            grant_id=_required(claims, _CTI, bytes),
            holder_key=_holder_key(claims[_CNF]),
            kind=_enum(GrantKind, _required(claims, _KIND, str), "kind"),
            max_uses=_optional(claims, _MAX_USES_CLAIM, int),
            may_share=_required(claims, _MAY_SHARE, bool),
            share_mode=None if share_mode is None else _enum(ShareMode, share_mode, "share_mode"),
            sealed_pin=_optional(claims, _SEALED_PIN, bytes),
            parent=_optional(claims, _PARENT, bytes),
        )


@dataclass(frozen=True, slots=True)
class SignedGrant:
    """A decoded grant with the exact bytes that were signed. Not verified by itself."""

    grant: Grant
    encoded: bytes = field(repr=False)
    kid: bytes

    @classmethod
    def from_sign1(cls, message: Sign1) -> Self:
        """Read the grant carried by a parsed COSE_Sign1 (whose signature is not checked)."""
        claims = loads_one(message.payload, "the grant's claims")
        if type(claims) is not dict:
            raise MalformedGrant("the grant's payload must be a CBOR map of claims")
        return cls(Grant.from_claims(claims), message.encoded, message.kid)

    @property
    def digest(self) -> bytes:
        """SHA-256 of the encoded grant: what proofs of possession and child grants name."""
        return hashlib.sha256(self.encoded).digest()


def issue_grant(grant: Grant, key: SigningKey) -> bytes:
    """Sign grant with the issuer's key; the kid is the key's own."""
    payload = cbor2.dumps(grant.to_claims(), canonical=True)
    encoded = sign1(payload, key, key.public_key.kid)
    if len(encoded) > MAX_GRANT_BYTES:
        raise GrantTooLarge(
            f"the grant would be {len(encoded)} bytes, more than the {MAX_GRANT_BYTES} a "
            f"verifier accepts: shorten identifiers or the sealed PIN"
        )
    return encoded


def decode_grant(data: bytes) -> SignedGrant:
    """Parse a grant WITHOUT trusting it: nothing here checks the signature or the window."""
    return SignedGrant.from_sign1(decode_sign1(data, max_size=MAX_GRANT_BYTES))


def _required[T](claims: Mapping[object, object], key: int, kind: type[T]) -> T:
    value = claims[key]
    # `type(...) is` rather than isinstance: a CBOR bool is not an integer claim.
    if isinstance(value, kind) and type(value) is kind:
        return value
    raise MalformedGrant(
        f"claim {_CLAIM_NAMES[key]} must be {kind.__name__}, got {type(value).__name__}"
    )


def _optional[T](claims: Mapping[object, object], key: int, kind: type[T]) -> T | None:
    return _required(claims, key, kind) if key in claims else None


def _enum[E: StrEnum](enum: type[E], value: str, name: str) -> E:
    try:
        return enum(value)
    except ValueError:
        choices = " | ".join(member.value for member in enum)
        raise MalformedGrant(f"claim {name} must be one of {choices}, got {value!r}") from None


def _name_error(name: str) -> MalformedGrant:
    return MalformedGrant(f"{name} must be 1 to {MAX_NAME_LENGTH} characters")


def _time_error(name: str, value: int) -> MalformedGrant:
    return MalformedGrant(f"{name} must be a unix time in seconds, got {value}")


def _holder_key(cnf: object) -> PublicKey:
    # Maps decoded by strict_cbor are dicts; `type(...) is` keeps this check cheap.
    if type(cnf) is not dict or len(cnf) != 1 or type(cnf.get(_CNF_COSE_KEY)) is not dict:
        raise MalformedGrant("claim cnf must be {1: COSE_Key} (RFC 8747)")
    cose_key = cnf[_CNF_COSE_KEY]
    try:
        return PublicKey.from_cose_key(cose_key)
    except MalformedKey as err:
        raise MalformedGrant(f"claim cnf: {err}") from None
