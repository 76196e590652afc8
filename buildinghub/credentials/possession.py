"""Proof of possession: a copied grant alone opens nothing.

The verifier gives a fresh nonce; the holder signs, with the key named in the grant's cnf,
the canonical CBOR array

    ["buildinghub-pop-v1", nonce, verifier_id, operation, grant_digest, counter]

which binds the proof to this challenge, this verifier, this operation, this exact grant and
this use. A nonce is good once and for a short time (ChallengeBook).
"""

import secrets
from collections import OrderedDict

import cbor2

from .clock import Clock
from .errors import BadSignature, ProofMismatch, StaleChallenge
from .keys import PublicKey, SigningKey

POSSESSION_DOMAIN = "buildinghub-pop-v1"
CHALLENGE_LENGTH = 16
DEFAULT_CHALLENGE_LIFETIME = 30
DEFAULT_CHALLENGE_CAPACITY = 32
_DIGEST_LENGTH = 32


def new_challenge() -> bytes:
    """A fresh random nonce."""
    return secrets.token_bytes(CHALLENGE_LENGTH)


def possession_message(
    nonce: bytes, verifier_id: str, operation: str, grant_digest: bytes, counter: int
) -> bytes:
    """The bytes a holder signs to prove possession (see the module docstring)."""
    if len(nonce) != CHALLENGE_LENGTH:
        raise ValueError(f"nonce must be {CHALLENGE_LENGTH} bytes, got {len(nonce)}")
    if not verifier_id or not operation:
        raise ValueError("verifier_id and operation must not be empty")
    if len(grant_digest) != _DIGEST_LENGTH:
        raise ValueError(f"grant_digest must be a 32-byte SHA-256, got {len(grant_digest)}")
    if counter < 0:
        raise ValueError(f"counter must be 0 or more, got {counter}")
    fields = [POSSESSION_DOMAIN, nonce, verifier_id, operation, grant_digest, counter]
    return cbor2.dumps(fields, canonical=True)


def prove(  # noqa: PLR0917 - positional in the order of the signed message
    key: SigningKey,
    nonce: bytes,
    verifier_id: str,
    operation: str,
    grant_digest: bytes,
    counter: int,
) -> bytes:
    """The holder's 64-byte proof for this challenge."""
    return key.sign(possession_message(nonce, verifier_id, operation, grant_digest, counter))


def verify_proof(  # noqa: PLR0917 - positional in the order of the signed message
    holder_key: PublicKey,
    proof: bytes,
    nonce: bytes,
    verifier_id: str,
    operation: str,
    grant_digest: bytes,
    counter: int,
) -> None:
    """Check that holder_key made proof for exactly this challenge; ProofMismatch if not."""
    message = possession_message(nonce, verifier_id, operation, grant_digest, counter)
    try:
        holder_key.verify(proof, message)
    except BadSignature:
        raise ProofMismatch(
            f"the proof of possession was not made by key {holder_key.kid.hex()} for this "
            f"challenge: the holder must sign the current nonce, operation and counter with "
            f"the key named in its grant"
        ) from None


class ChallengeBook:
    """The nonces a verifier has handed out: each usable once, until it expires.

    Bounded: when full, issuing drops the oldest nonce, so a flood of requests cannot grow it.
    """

    __slots__ = ("_capacity", "_clock", "_expiries", "_lifetime")

    def __init__(
        self,
        clock: Clock,
        *,
        lifetime: int = DEFAULT_CHALLENGE_LIFETIME,
        capacity: int = DEFAULT_CHALLENGE_CAPACITY,
    ) -> None:
        """Nonces last lifetime seconds by clock; at most capacity are outstanding."""
        if lifetime < 1 or capacity < 1:
            raise ValueError("lifetime and capacity must be at least 1")
        self._clock = clock
        self._lifetime = lifetime
        self._capacity = capacity
        self._expiries: OrderedDict[bytes, int] = OrderedDict()

    def issue(self) -> bytes:
        """A new nonce, recorded with its expiry."""
        now = self._clock.now()
        # Expiries are in issue order (the clock never steps back), so expired ones are first.
        while self._expiries and next(iter(self._expiries.values())) <= now:
            self._expiries.popitem(last=False)
        if len(self._expiries) >= self._capacity:
            self._expiries.popitem(last=False)
        nonce = new_challenge()
        self._expiries[nonce] = now + self._lifetime
        return nonce

    def consume(self, nonce: bytes) -> None:
        """Use nonce up; StaleChallenge if it is unknown, already used or expired."""
        expiry = self._expiries.pop(nonce, None)
        if expiry is None:
            raise StaleChallenge(
                "this challenge was never issued here or was already used: ask for a new one"
            )
        if self._clock.now() >= expiry:
            raise StaleChallenge("this challenge has expired: ask for a new one")
