"""Sealed PINs: only the lock they were sealed to, for the grant they were sealed in, reads them."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given, settings
from hypothesis import strategies as st
from pyhpke import AEADId, CipherSuite, KDFId, KEMId

from buildinghub.credentials import MalformedGrant
from buildinghub.credentials.sealing import (
    PIN_MAX_DIGITS,
    PIN_MIN_DIGITS,
    SEALED_PIN_MAX,
    PinRefused,
    SealingKey,
    check_pin,
    pin_digest,
    seal_pin,
)

PIN = "40917263"
LOCK = "door-01"
GRANT_ID = bytes(range(16))


@pytest.fixture(scope="module")
def lock_key() -> SealingKey:
    return SealingKey.generate()


@pytest.fixture(scope="module")
def sealed(lock_key: SealingKey) -> bytes:
    return seal_pin(PIN, lock_key.public_key, audience=LOCK, grant_id=GRANT_ID)


def test_the_lock_opens_a_pin_sealed_to_it_for_this_grant(
    lock_key: SealingKey, sealed: bytes
) -> None:
    assert lock_key.open_pin(sealed, audience=LOCK, grant_id=GRANT_ID) == PIN


def test_another_locks_key_does_not_open_it(sealed: bytes) -> None:
    with pytest.raises(MalformedGrant, match="does not open"):
        SealingKey.generate().open_pin(sealed, audience=LOCK, grant_id=GRANT_ID)


def test_a_pin_moved_to_another_lock_id_does_not_open(lock_key: SealingKey, sealed: bytes) -> None:
    with pytest.raises(MalformedGrant, match="does not open"):
        lock_key.open_pin(sealed, audience="door-02", grant_id=GRANT_ID)


def test_a_pin_moved_to_another_grant_does_not_open(lock_key: SealingKey, sealed: bytes) -> None:
    with pytest.raises(MalformedGrant, match="does not open"):
        lock_key.open_pin(sealed, audience=LOCK, grant_id=bytes(16))


def test_sealing_the_same_pin_twice_gives_unrelated_bytes(lock_key: SealingKey) -> None:
    first = seal_pin(PIN, lock_key.public_key, audience=LOCK, grant_id=GRANT_ID)
    second = seal_pin(PIN, lock_key.public_key, audience=LOCK, grant_id=GRANT_ID)

    assert first != second
    assert PIN.encode() not in first


def test_the_longest_pin_seals_within_the_size_a_grant_allows(lock_key: SealingKey) -> None:
    longest = "9" * PIN_MAX_DIGITS

    sealed = seal_pin(longest, lock_key.public_key, audience=LOCK, grant_id=GRANT_ID)

    assert len(sealed) == SEALED_PIN_MAX
    assert lock_key.open_pin(sealed, audience=LOCK, grant_id=GRANT_ID) == longest


@pytest.mark.parametrize("size", [0, 81, SEALED_PIN_MAX + 1])
def test_a_sealed_pin_of_impossible_size_is_refused(lock_key: SealingKey, size: int) -> None:
    with pytest.raises(MalformedGrant, match="wrong size"):
        lock_key.open_pin(bytes(size), audience=LOCK, grant_id=GRANT_ID)


@settings(deadline=None, max_examples=100)
@given(data=st.data())
def test_a_tampered_sealed_pin_is_refused_without_showing_the_pin(
    lock_key: SealingKey, sealed: bytes, data: st.DataObject
) -> None:
    index = data.draw(st.integers(0, len(sealed) - 1), label="byte")
    mask = data.draw(st.integers(1, 255), label="mask")
    tampered = bytearray(sealed)
    tampered[index] ^= mask

    with pytest.raises(MalformedGrant) as refused:
        lock_key.open_pin(bytes(tampered), audience=LOCK, grant_id=GRANT_ID)

    assert PIN not in str(refused.value)
    assert refused.value.__cause__ is None


@pytest.mark.parametrize(
    "pin",
    ["0000", "1" * PIN_MAX_DIGITS, "0123456789"],
    ids=["shortest", "longest", "leading-zero"],
)
def test_a_pin_of_4_to_12_digits_is_accepted(pin: str) -> None:
    check_pin(pin)


@pytest.mark.parametrize(
    "pin",
    [
        "1" * (PIN_MIN_DIGITS - 1),
        "1" * (PIN_MAX_DIGITS + 1),
        "12a4",
        "12 34",
        "-1234",
        "",
        "\u0661\u0662\u0663\u0664",
        "\uff11\uff12\uff13\uff14",
    ],
    ids=["short", "long", "letter", "space", "sign", "empty", "arabic-digits", "wide-digits"],
)
def test_a_pin_a_keypad_cannot_take_is_refused_without_repeating_it(pin: str) -> None:
    with pytest.raises(PinRefused) as refused:
        check_pin(pin)

    assert str(refused.value) == "a PIN must be 4 to 12 digits"


def test_sealing_refuses_a_pin_a_keypad_cannot_take(lock_key: SealingKey) -> None:
    with pytest.raises(PinRefused):
        seal_pin("12a4", lock_key.public_key, audience=LOCK, grant_id=GRANT_ID)


def test_a_sealing_key_written_to_pem_still_opens_its_pins(
    lock_key: SealingKey, sealed: bytes
) -> None:
    restored = SealingKey.from_pem(lock_key.to_pem())

    assert restored.public_key == lock_key.public_key
    assert restored.open_pin(sealed, audience=LOCK, grant_id=GRANT_ID) == PIN


def test_a_sealing_key_never_shows_itself(lock_key: SealingKey) -> None:
    assert repr(lock_key) == "SealingKey(<private>)"


def test_a_key_that_is_not_p256_is_not_a_sealing_key() -> None:
    p384 = ec.generate_private_key(ec.SECP384R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )

    with pytest.raises(ValueError, match="P-256"):
        SealingKey.from_pem(p384)


def test_a_sealed_value_that_is_not_a_pin_is_refused(lock_key: SealingKey) -> None:
    # Sealed with the suite and binding the module documents, but holding letters.
    suite = CipherSuite.new(KEMId.DHKEM_P256_HKDF_SHA256, KDFId.HKDF_SHA256, AEADId.AES128_GCM)
    recipient = suite.kem.deserialize_public_key(lock_key.public_key.to_bytes())
    info = b"buildinghub-pin-v1\x00" + LOCK.encode() + b"\x00" + GRANT_ID
    enc, context = suite.create_sender_context(recipient, info=info)
    sealed = bytes(enc) + bytes(context.seal(b"open"))

    with pytest.raises(MalformedGrant, match="not a valid PIN"):
        lock_key.open_pin(sealed, audience=LOCK, grant_id=GRANT_ID)


def test_a_pin_digest_depends_on_the_locks_secret_salt() -> None:
    first, second = bytes(32), bytes(31) + b"\x01"

    assert pin_digest(first, PIN) == pin_digest(first, PIN)
    assert pin_digest(first, PIN) != pin_digest(second, PIN)
    assert pin_digest(first, PIN) != pin_digest(first, "40917264")
