"""Deciding whether a grant is good here and now: the checks a lock or bay runs."""

import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Protocol

from .canonical_grant import read_canonical_grant
from .clock import Clock
from .cose import decode_sign1, sig_structure
from .errors import GrantExpired, GrantRevoked, NotYetValid, UnknownIssuer, WrongAudience
from .grant import MAX_GRANT_BYTES, Grant, SignedGrant
from .keys import PublicKey

DEFAULT_START_SKEW = 30


@dataclass(frozen=True, slots=True)
class TrustedIssuer:
    """An issuer a verifier accepts grants from: the name its grants carry in iss, and its key."""

    name: str
    key: PublicKey


class TrustStore(Protocol):
    """Where a verifier looks up the issuer of a key id."""

    def issuer_key(self, kid: bytes) -> TrustedIssuer | None:
        """The trusted issuer whose key has this kid, or None."""
        ...


class StaticTrustStore:
    """A fixed set of trusted issuers, looked up by their key's kid."""

    __slots__ = ("_by_kid",)

    def __init__(self, issuers: Iterable[TrustedIssuer]) -> None:
        """Trust these issuers; one key may belong to one issuer only."""
        by_kid: dict[bytes, TrustedIssuer] = {}
        for issuer in issuers:
            known = by_kid.setdefault(issuer.key.kid, issuer)
            if known != issuer:
                raise ValueError(f"the key of {issuer.name!r} is already trusted as {known.name!r}")
        self._by_kid: Mapping[bytes, TrustedIssuer] = MappingProxyType(by_kid)

    def issuer_key(self, kid: bytes) -> TrustedIssuer | None:
        """The trusted issuer whose key has this kid, or None."""
        return self._by_kid.get(kid)


# How many recently read grants stay decoded: a lock or bay sees the same few grants and
# share chains at every unlock.
KNOWN_GRANTS = 1024


def read_signed_grant(data: bytes) -> tuple[SignedGrant, bytes, bytes]:
    """The grant in data, the Sig_structure its signature covers, and the signature.

    Nothing is trusted yet: the caller checks the signature with the key it expects, every
    time. A grant read lately is not decoded again: decoding is a function of the bytes alone
    and its result is immutable, so the cache changes how fast, never what, a check decides.
    A refused grant raises and is not cached.
    """
    if type(data) is bytes:
        return _read_known_grant(data)
    return _read_grant(data)  # a bytearray or memoryview: not hashable, decoded every time


@functools.lru_cache(maxsize=KNOWN_GRANTS)
def _read_known_grant(data: bytes) -> tuple[SignedGrant, bytes, bytes]:
    return _read_grant(data)


def _read_grant(data: bytes) -> tuple[SignedGrant, bytes, bytes]:
    read = read_canonical_grant(data)
    if read is None:
        # Not in the encoding issue_grant writes, or refused: decoding strictly says why.
        message = decode_sign1(data, max_size=MAX_GRANT_BYTES)
        read = SignedGrant.from_sign1(message), sig_structure(message), message.signature
    return read


def _never_revoked(grant_id: bytes) -> bool:
    return False


class GrantVerifier:
    """Verifies grants addressed to one lock or bay.

    Checks, in order, each with its own error: size, structure, known issuer key (kid),
    signature, iss naming that issuer, audience, revocation, window. The window is lenient by
    start_skew seconds at its start (a holder's clock may run ahead) and strict at its end.
    """

    __slots__ = ("_clock", "_revoked", "_start_skew", "_trust", "verifier_id")

    def __init__(
        self,
        verifier_id: str,
        trust: TrustStore,
        clock: Clock,
        *,
        revoked: Callable[[bytes], bool] = _never_revoked,
        start_skew: int = DEFAULT_START_SKEW,
    ) -> None:
        """Verify grants whose aud is verifier_id, revoked(grant_id) telling revoked ones."""
        if not verifier_id:
            raise ValueError("verifier_id must not be empty")
        if start_skew < 0:
            raise ValueError(f"start_skew must be 0 or more seconds, got {start_skew}")
        self.verifier_id = verifier_id
        self._trust = trust
        self._clock = clock
        self._revoked = revoked
        self._start_skew = start_skew

    @property
    def trust(self) -> TrustStore:
        """Where this verifier looks up issuers' keys."""
        return self._trust

    def verify(self, data: bytes, *, upcoming: bool = False) -> SignedGrant:
        """Return the grant in data if it is good here and now; raise why not otherwise.

        With ``upcoming`` a grant whose window has not started yet is accepted too:
        that is how a lock or hub stores tomorrow's viewing today. Its window is
        checked again at every use with :meth:`verify_window`.
        """
        signed, to_be_signed, signature = read_signed_grant(data)
        grant = signed.grant
        issuer = self._trust.issuer_key(signed.kid)
        if issuer is None:
            raise UnknownIssuer(
                f"no trusted issuer has key id {signed.kid.hex()}: add the issuer's public "
                f"key to this verifier's trust store, or check who issued the grant"
            )
        issuer.key.verify(signature, to_be_signed)
        if grant.issuer != issuer.name:
            raise UnknownIssuer(
                f"the grant names issuer {grant.issuer!r} but is signed with the key of "
                f"{issuer.name!r}: an issuer may only issue under its own name"
            )
        if grant.audience != self.verifier_id:
            raise WrongAudience(
                f"the grant is for {grant.audience!r}, this is {self.verifier_id!r}: "
                f"present it at the lock or bay it names"
            )
        self.verify_not_revoked(grant)
        if upcoming:
            self.verify_not_expired(grant)
        else:
            self.verify_window(grant)
        return signed

    def verify_not_revoked(self, grant: Grant) -> None:
        """GrantRevoked if the grant's id is on this verifier's revocation list."""
        if self._revoked(grant.grant_id):
            raise GrantRevoked(f"grant {grant.grant_id.hex()} was revoked by its issuer")

    def verify_window(self, grant: Grant, now: int | None = None) -> None:
        """Check that now (default: this verifier's clock) is inside the grant's window."""
        if now is None:
            now = self._clock.now()
        if now + self._start_skew < grant.not_before:
            raise NotYetValid(
                f"the grant starts at {grant.not_before}, {grant.not_before - now} s after "
                f"this verifier's time {now}: wait, or check this clock"
            )
        self._check_not_expired(grant, now)

    def verify_not_expired(self, grant: Grant) -> None:
        """GrantExpired if the grant's window has ended by this verifier's clock."""
        self._check_not_expired(grant, self._clock.now())

    @staticmethod
    def _check_not_expired(grant: Grant, now: int) -> None:
        if now >= grant.expires:
            raise GrantExpired(
                f"the grant ended at {grant.expires}, {now - grant.expires} s before this "
                f"verifier's time {now}: ask the issuer for a new one"
            )
