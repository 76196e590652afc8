"""A landlord's standing delegation to the hub: issue each booking's grant for one lock (R16).

The landlord signs it once. It names the lock (and its flat), the hub's key, the kind of
grant the hub may issue, how long one stay may be and how far ahead of a stay the hub may
issue it, and its own validity. The hub then issues each booking's grant itself, signed
with the key the delegation names and naming the delegation as its parent; every grant
may only narrow the delegation, as a share narrows its parent (delegation.py). A lock that
verifies grants checks the chain itself: the landlord's signature on the delegation, the
hub's on the grant, and the narrowing (:func:`verify_delegated_grant`).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field

import cbor2

from .errors import BrokenChain, CredentialError, MalformedGrant, ShareWidens, WrongAudience
from .grant import Grant, GrantKind, SignedGrant, decode_grant, issue_grant
from .keys import PublicKey, SigningKey
from .sealing import seal_pin
from .signed_record import SignedRecord, blob, public_key, read_record, sign_record, text, uint
from .strict_cbor import loads_one
from .verifier import TrustStore, read_signed_grant

RECORD_TYPE = "booking_delegation"
MAX_DELEGATION_BYTES = 768
DELEGATION_KINDS = frozenset({GrantKind.VIEWING, GrantKind.LEASE})
BOOKING_ISSUER = "building-hub"
"""The issuer name of grants the hub issues under a delegation (the chain, not the name,
is what a verifier trusts)."""
PIN_DIGITS = 6
_FIELDS = (
    "delegation_id",
    "lock",
    "flat",
    "landlord",
    "hub_key",
    "kind",
    "max_stay_s",
    "horizon_s",
    "not_before",
    "expires",
)


class DelegationExceeded(CredentialError):
    """A booking asks for more than the delegation gives (too long, too far ahead, ...)."""

    reason = "delegation_exceeded"


class BookingAhead(DelegationExceeded):
    """A booking starts further ahead than the delegation lets the hub issue it: not
    refused for good, the hub issues it once it is within reach."""


@dataclass(frozen=True, slots=True, kw_only=True)
class BookingDelegation:
    """What the landlord lets the hub issue, for one lock."""

    delegation_id: bytes
    lock: str
    flat: str
    landlord: str
    hub_key: PublicKey
    kind: GrantKind
    max_stay_s: int
    horizon_s: int
    not_before: int
    expires: int

    def check_booking(self, start: int, end: int, *, now: int) -> None:
        """Raise DelegationExceeded unless a stay of [start, end) is within the delegation."""
        if end <= start:
            raise DelegationExceeded("the booking ends before it starts")
        if end - start > self.max_stay_s:
            raise DelegationExceeded(
                f"the stay is {end - start} s long; the delegation allows at most "
                f"{self.max_stay_s} s"
            )
        if start < self.not_before or end > self.expires:
            raise DelegationExceeded(
                f"the stay {start}..{end} is not inside the delegation's "
                f"{self.not_before}..{self.expires}"
            )
        if start > now + self.horizon_s:
            raise BookingAhead(
                f"the stay starts more than {self.horizon_s} s ahead; the hub issues it later"
            )


def sign_delegation(delegation: BookingDelegation, landlord_key: SigningKey) -> bytes:
    """The landlord signs a delegation (a signed record)."""
    if delegation.kind not in DELEGATION_KINDS:
        raise ValueError(f"a delegation issues viewings or leases, not {delegation.kind}")
    return sign_record(
        RECORD_TYPE,
        {
            "delegation_id": delegation.delegation_id,
            "lock": delegation.lock,
            "flat": delegation.flat,
            "landlord": delegation.landlord,
            "hub_key": delegation.hub_key.to_bytes(),
            "kind": delegation.kind.value,
            "max_stay_s": delegation.max_stay_s,
            "horizon_s": delegation.horizon_s,
            "not_before": delegation.not_before,
            "expires": delegation.expires,
        },
        landlord_key,
        max_size=MAX_DELEGATION_BYTES,
    )


def read_delegation(data: bytes) -> tuple[BookingDelegation, SignedRecord]:
    """Parse a delegation strictly (its signature is not checked yet: see verify_delegation)."""
    record = read_record(
        data, record_type=RECORD_TYPE, fields=_FIELDS, max_size=MAX_DELEGATION_BYTES
    )
    fields = record.fields
    kind = text(fields, "kind")
    if kind not in {k.value for k in DELEGATION_KINDS}:
        raise DelegationExceeded(f"a delegation issues viewings or leases, not {kind!r}")
    return (
        BookingDelegation(
            delegation_id=blob(fields, "delegation_id", length=16),
            lock=text(fields, "lock"),
            flat=text(fields, "flat"),
            landlord=text(fields, "landlord"),
            hub_key=public_key(fields, "hub_key"),
            kind=GrantKind(kind),
            max_stay_s=uint(fields, "max_stay_s"),
            horizon_s=uint(fields, "horizon_s"),
            not_before=uint(fields, "not_before"),
            expires=uint(fields, "expires"),
        ),
        record,
    )


def verify_delegation(
    data: bytes, *, lock: str, landlord: str, trust: TrustStore
) -> tuple[BookingDelegation, SignedRecord]:
    """A delegation for ``lock`` signed by its landlord's key as ``trust`` knows it now.

    Scope before signature: the delegation must be for this lock and name this lock's
    landlord; then its signer must be that landlord in the trust store (a key revoked in
    the key ledger is no longer there).
    """
    delegation, record = read_delegation(data)
    if delegation.lock != lock:
        raise WrongAudience(f"the delegation is for lock {delegation.lock!r}, not {lock!r}")
    if delegation.landlord != landlord:
        raise WrongAudience(
            f"the delegation names {delegation.landlord!r}, but {landlord!r} is the landlord "
            f"of lock {lock!r}"
        )
    issuer = trust.issuer_key(record.kid)
    if issuer is None or issuer.name != landlord:
        raise BrokenChain(
            f"the delegation is signed by key {record.kid.hex()}, which is not the current "
            f"key of {landlord!r}"
        )
    record.verify(issuer.key)
    return delegation, record


def encode_delegated_grant(delegation: bytes, grant: bytes) -> bytes:
    """What travels to a lock: the delegation and the grant under it, as one CBOR array."""
    return cbor2.dumps([delegation, grant])


def read_delegated_grant(payload: bytes) -> tuple[bytes, bytes]:
    """The delegation and the grant of :func:`encode_delegated_grant`, strictly."""
    item = loads_one(payload, "a delegated grant")
    if type(item) is not list or len(item) != 2 or not all(type(part) is bytes for part in item):
        raise MalformedGrant("a delegated grant is a CBOR array [delegation, grant]")
    return item[0], item[1]


def verify_delegated_grant(
    delegation: BookingDelegation, record: SignedRecord, data: bytes, *, now: int
) -> SignedGrant:
    """A grant the hub issued under ``delegation``: signed by its key, naming it as parent,
    for its lock and kind, and a stay the delegation allows."""
    signed, to_be_signed, signature = read_signed_grant(data)
    grant = signed.grant
    if grant.parent != record.digest:
        raise BrokenChain("the grant names another delegation as its parent")
    if signed.kid != delegation.hub_key.kid:
        raise BrokenChain("the grant is not signed with the key the delegation names")
    delegation.hub_key.verify(signature, to_be_signed)
    if grant.audience != delegation.lock:
        raise WrongAudience(f"the grant is for {grant.audience!r}, not {delegation.lock!r}")
    if grant.kind is not delegation.kind:
        raise ShareWidens(f"the delegation issues {delegation.kind} grants, not {grant.kind}")
    if grant.max_uses is not None or grant.may_share:
        raise ShareWidens("a booking's grant may not be shared nor use-limited")
    delegation.check_booking(grant.not_before, grant.expires, now=now)
    return signed


@dataclass(frozen=True, slots=True)
class BookingGrant:
    """A grant the hub issued for one booking, and the guest's fresh PIN (never stored)."""

    signed: SignedGrant
    pin: str = field(repr=False)


def issue_booking_grant(
    delegation: BookingDelegation,
    record: SignedRecord,
    *,
    booking: str,
    start: int,
    end: int,
    hub_key: SigningKey,
    pin_sealing_key: PublicKey,
    now: int,
) -> BookingGrant:
    """Issue a booking's grant under ``delegation``, with a fresh PIN sealed to the lock.

    Refused (DelegationExceeded, nothing issued) when the stay is outside what the
    delegation gives; refused (BrokenChain) when ``hub_key`` is not the key it names. The
    grant names the delegation as its parent, so a lock verifies the whole chain
    (:func:`verify_delegated_grant`); its subject names the booking by a digest of its
    calendar UID, never the guest.
    """
    if hub_key.public_key != delegation.hub_key:
        raise BrokenChain("the delegation names another hub's key")
    delegation.check_booking(start, end, now=now)
    grant_id = secrets.token_bytes(16)
    pin = f"{secrets.randbelow(10**PIN_DIGITS):0{PIN_DIGITS}d}"
    grant = Grant(
        issuer=BOOKING_ISSUER,
        subject=f"booking:{hashlib.sha256(booking.encode()).hexdigest()[:16]}",
        audience=delegation.lock,
        not_before=start,
        expires=end,
        issued_at=min(start, now),
        grant_id=grant_id,
        holder_key=delegation.hub_key,
        kind=delegation.kind,
        sealed_pin=seal_pin(pin, pin_sealing_key, audience=delegation.lock, grant_id=grant_id),
        parent=record.digest,
    )
    return BookingGrant(decode_grant(issue_grant(grant, hub_key)), pin)
