"""Proof of possession: only the holder's key, for this exact challenge, opens."""

import hashlib

import cbor2
import pytest

from buildinghub.credentials import (
    ChallengeBook,
    ProofMismatch,
    SigningKey,
    StaleChallenge,
    new_challenge,
    possession_message,
    prove,
    verify_proof,
)

from .conftest import SettableClock

NONCE = bytes(range(16))
LOCK = "b7-floor3-flat12-door"
DIGEST = hashlib.sha256(b"the encoded grant").digest()


def test_proof_by_the_holder_for_this_challenge_is_accepted(holder_key: SigningKey) -> None:
    proof = prove(holder_key, NONCE, LOCK, "unlock", DIGEST, 7)

    verify_proof(holder_key.public_key, proof, NONCE, LOCK, "unlock", DIGEST, 7)


@pytest.mark.parametrize(
    ("nonce", "verifier_id", "operation", "digest", "counter"),
    [
        (bytes(16), LOCK, "unlock", DIGEST, 7),
        (NONCE, "b7-floor3-flat13-door", "unlock", DIGEST, 7),
        (NONCE, LOCK, "lock", DIGEST, 7),
        (NONCE, LOCK, "unlock", hashlib.sha256(b"another grant").digest(), 7),
        (NONCE, LOCK, "unlock", DIGEST, 8),
    ],
    ids=["other-nonce", "other-verifier", "other-operation", "other-grant", "other-counter"],
)
def test_proof_for_another_challenge_is_refused(
    holder_key: SigningKey,
    nonce: bytes,
    verifier_id: str,
    operation: str,
    digest: bytes,
    counter: int,
) -> None:
    proof = prove(holder_key, NONCE, LOCK, "unlock", DIGEST, 7)

    with pytest.raises(ProofMismatch, match="not made by key"):
        verify_proof(holder_key.public_key, proof, nonce, verifier_id, operation, digest, counter)


def test_proof_by_another_key_is_refused(holder_key: SigningKey) -> None:
    proof = prove(SigningKey.generate(), NONCE, LOCK, "unlock", DIGEST, 7)

    with pytest.raises(ProofMismatch):
        verify_proof(holder_key.public_key, proof, NONCE, LOCK, "unlock", DIGEST, 7)


@pytest.mark.parametrize("length", [0, 63, 65, 72])
def test_proof_of_the_wrong_length_is_refused(holder_key: SigningKey, length: int) -> None:
    proof = prove(holder_key, NONCE, LOCK, "unlock", DIGEST, 7)

    with pytest.raises(ProofMismatch):
        verify_proof(holder_key.public_key, (proof * 2)[:length], NONCE, LOCK, "unlock", DIGEST, 7)


def test_signed_message_is_the_documented_canonical_cbor_array() -> None:
    message = possession_message(NONCE, LOCK, "unlock", DIGEST, 7)

    assert message == cbor2.dumps(["buildinghub-pop-v1", NONCE, LOCK, "unlock", DIGEST, 7])


@pytest.mark.parametrize(
    ("nonce", "digest", "counter"),
    [(bytes(15), DIGEST, 0), (NONCE, DIGEST[:31], 0), (NONCE, DIGEST, -1)],
    ids=["short-nonce", "short-digest", "negative-counter"],
)
def test_message_of_malformed_parts_cannot_be_made(
    nonce: bytes, digest: bytes, counter: int
) -> None:
    with pytest.raises(ValueError, match="must be"):
        possession_message(nonce, LOCK, "unlock", digest, counter)


def test_challenges_are_fresh_16_byte_nonces() -> None:
    first, second = new_challenge(), new_challenge()

    assert len(first) == 16
    assert first != second


def test_issued_challenge_can_be_used_once() -> None:
    book = ChallengeBook(SettableClock(1_000))
    nonce = book.issue()

    book.consume(nonce)
    with pytest.raises(StaleChallenge, match="already used"):
        book.consume(nonce)


def test_challenge_never_issued_is_refused() -> None:
    book = ChallengeBook(SettableClock(1_000))

    with pytest.raises(StaleChallenge, match="never issued"):
        book.consume(NONCE)


def test_challenge_is_good_until_its_lifetime_ends() -> None:
    clock = SettableClock(1_000)
    book = ChallengeBook(clock, lifetime=30)
    nonce = book.issue()
    clock.time = 1_029

    book.consume(nonce)


def test_challenge_expires_after_its_lifetime() -> None:
    clock = SettableClock(1_000)
    book = ChallengeBook(clock, lifetime=30)
    nonce = book.issue()
    clock.time = 1_030

    with pytest.raises(StaleChallenge, match="expired"):
        book.consume(nonce)


def test_full_book_drops_its_oldest_challenge() -> None:
    book = ChallengeBook(SettableClock(1_000), capacity=2)
    oldest, middle, newest = book.issue(), book.issue(), book.issue()

    with pytest.raises(StaleChallenge):
        book.consume(oldest)
    book.consume(middle)
    book.consume(newest)


def test_expired_challenges_are_forgotten_when_new_ones_are_issued() -> None:
    clock = SettableClock(1_000)
    book = ChallengeBook(clock, lifetime=30, capacity=2)
    expired = book.issue()
    clock.time = 1_030
    fresh = book.issue()

    with pytest.raises(StaleChallenge, match="never issued"):
        book.consume(expired)
    book.consume(fresh)
