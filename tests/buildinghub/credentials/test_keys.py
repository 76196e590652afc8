"""ES256 keys: signatures, encodings, and refusing keys that are not P-256 points."""

import base64
import dataclasses
import hashlib

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from hypothesis import example, given
from hypothesis import strategies as st

from buildinghub.credentials import BadSignature, MalformedKey, PublicKey, SigningKey
from buildinghub.credentials.keys import CURVE_ORDER, HALF_ORDER, _der_signature

# COSE WG example key "11" and a signature it made (cose-wg/Examples,
# sign1-tests/sign-pass-03.json): a published ES256 vector in raw r||s form.
_VECTOR_X = "usWxHK2PmfnHKwXPS54m0kTcGJ90UiglWiGahtagnv8"
_VECTOR_Y = "IBOL-C3BttVivg-lSreASjpkttcsz-1rb7btKLv8EX4"
_VECTOR_TO_BE_SIGNED = bytes.fromhex(
    "846A5369676E61747572653143A101264054546869732069732074686520636F6E74656E742E"
)
_VECTOR_SIGNATURE = bytes.fromhex(
    "EAE868ECC176883766C5DC5BA5B8DCA25DAB3C2E56A551CE5705B793914348E1"
    "9F43D6C6BA654472DA301B645B293C9BA939295B97C4BDB847782BFF384C5794"
)


def _b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _vector_key() -> PublicKey:
    return PublicKey.from_bytes(b"\x04" + _b64url(_VECTOR_X) + _b64url(_VECTOR_Y))


def _low_s_twin(signature: bytes) -> bytes:
    s = int.from_bytes(signature[32:])
    return signature[:32] + (CURVE_ORDER - s).to_bytes(32)


def test_published_cose_example_signature_verifies_in_its_canonical_low_s_form() -> None:
    # The published signature has s above n/2; (r, n - s) is the same signature, canonical.
    _vector_key().verify(_low_s_twin(_VECTOR_SIGNATURE), _VECTOR_TO_BE_SIGNED)


def test_published_cose_example_signature_with_a_high_s_is_refused_as_not_canonical() -> None:
    assert int.from_bytes(_VECTOR_SIGNATURE[32:]) > HALF_ORDER

    with pytest.raises(BadSignature, match="canonical low-s"):
        _vector_key().verify(_VECTOR_SIGNATURE, _VECTOR_TO_BE_SIGNED)


@given(message=st.binary(max_size=64))
def test_our_signatures_are_always_low_s_and_their_high_s_twin_is_refused(
    holder_key: SigningKey, message: bytes
) -> None:
    signature = holder_key.sign(message)

    assert 0 < int.from_bytes(signature[32:]) <= HALF_ORDER
    with pytest.raises(BadSignature, match="canonical low-s"):
        holder_key.public_key.verify(_low_s_twin(signature), message)


def test_published_signature_over_another_message_is_refused() -> None:
    with pytest.raises(BadSignature):
        _vector_key().verify(_low_s_twin(_VECTOR_SIGNATURE), _VECTOR_TO_BE_SIGNED + b"!")


def test_signature_verifies_with_the_signers_public_key(holder_key: SigningKey) -> None:
    signature = holder_key.sign(b"open door 12")

    assert len(signature) == 64
    holder_key.public_key.verify(signature, b"open door 12")


def test_signature_by_another_key_is_refused(holder_key: SigningKey) -> None:
    signature = SigningKey.generate().sign(b"open door 12")

    with pytest.raises(BadSignature, match="does not verify"):
        holder_key.public_key.verify(signature, b"open door 12")


def test_der_encoded_signature_is_refused_with_a_hint() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    public_key = SigningKey(key).public_key
    der = key.sign(b"m", ec.ECDSA(hashes.SHA256()))

    with pytest.raises(BadSignature, match="DER"):
        public_key.verify(der, b"m")


_SCALARS = st.integers(min_value=0, max_value=2**256 - 1) | st.sampled_from(
    [0, 1, 0x7F, 0x80, 0xFF, 2**248 - 1, 2**248, 2**255 - 1, 2**255, 2**256 - 1]
)


@given(r=_SCALARS, s=_SCALARS)
@example(r=0, s=0)
@example(r=2**255, s=2**255)
def test_raw_signature_becomes_the_der_cryptography_writes(r: int, s: int) -> None:
    raw = r.to_bytes(32) + s.to_bytes(32)

    assert _der_signature(raw) == encode_dss_signature(r, s)


def test_public_key_from_coordinates_is_the_key_from_its_point(holder_key: SigningKey) -> None:
    point = holder_key.public_key.to_bytes()

    assert PublicKey.from_coordinates(point[1:33], point[33:]) == holder_key.public_key


def test_a_point_read_again_is_the_same_key_checked_once(holder_key: SigningKey) -> None:
    point = holder_key.public_key.to_bytes()
    first = PublicKey.from_coordinates(point[1:33], point[33:])
    first.verify(holder_key.sign(b"m"), b"m")  # builds the cryptography key once

    again = PublicKey.from_bytes(point)

    assert again is first
    assert again._verifier is not None


def test_a_refused_point_is_refused_every_time(holder_key: SigningKey) -> None:
    point = holder_key.public_key.to_bytes()

    for _ in range(2):
        with pytest.raises(MalformedKey, match="not a point on P-256"):
            PublicKey.from_coordinates(point[1:33], bytes(32))


def test_coordinates_off_the_curve_are_refused(holder_key: SigningKey) -> None:
    point = holder_key.public_key.to_bytes()

    with pytest.raises(MalformedKey, match="not a point on P-256"):
        PublicKey.from_coordinates(point[1:33], bytes(32))


def test_coordinates_of_the_wrong_length_are_refused(holder_key: SigningKey) -> None:
    point = holder_key.public_key.to_bytes()

    with pytest.raises(MalformedKey, match="32 bytes each"):
        PublicKey.from_coordinates(point[1:32], point[32:])


def test_public_key_round_trips_through_sec1_bytes(holder_key: SigningKey) -> None:
    point = holder_key.public_key.to_bytes()

    assert len(point) == 65
    assert PublicKey.from_bytes(point) == holder_key.public_key


def test_public_key_round_trips_through_cose_key(holder_key: SigningKey) -> None:
    cose_key = holder_key.public_key.to_cose_key()

    assert cose_key[1] == 2  # kty EC2
    assert cose_key[-1] == 1  # crv P-256
    assert PublicKey.from_cose_key(cose_key) == holder_key.public_key


def test_kid_is_the_first_16_bytes_of_sha256_of_the_point(holder_key: SigningKey) -> None:
    public_key = holder_key.public_key

    assert public_key.kid == hashlib.sha256(public_key.to_bytes()).digest()[:16]


def test_equal_points_are_equal_keys_with_equal_hashes(holder_key: SigningKey) -> None:
    copy = PublicKey.from_bytes(holder_key.public_key.to_bytes())

    assert copy == holder_key.public_key
    assert hash(copy) == hash(holder_key.public_key)
    assert copy != SigningKey.generate().public_key


def test_public_key_is_immutable(holder_key: SigningKey) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        holder_key.public_key.point = b"\x04" + bytes(64)  # type: ignore[misc]


def test_point_off_the_curve_is_refused(holder_key: SigningKey) -> None:
    point = bytearray(holder_key.public_key.to_bytes())
    point[-1] ^= 1

    with pytest.raises(MalformedKey, match="not a point on P-256"):
        PublicKey.from_bytes(bytes(point))


def test_coordinate_not_below_the_field_prime_is_refused() -> None:
    p = 2**256 - 2**224 + 2**192 + 2**96 - 1

    with pytest.raises(MalformedKey, match="not a point on P-256"):
        PublicKey.from_bytes(b"\x04" + p.to_bytes(32) + bytes(32))


@pytest.mark.parametrize(
    "encoding",
    [b"", b"\x04" + bytes(63), b"\x04" + bytes(65), b"\x02" + bytes(32), b"\x05" + bytes(64)],
    ids=["empty", "short", "long", "compressed", "bad-prefix"],
)
def test_point_of_the_wrong_form_is_refused(encoding: bytes) -> None:
    with pytest.raises(MalformedKey, match="65-byte uncompressed"):
        PublicKey.from_bytes(encoding)


@pytest.mark.parametrize(
    ("label", "value", "message"),
    [
        (1, 3, "kty must be 2"),
        (1, True, "kty must be 2"),
        (-1, 2, "crv must be 1"),
        (-2, bytes(31), "32 bytes each"),
        (-3, "y", "byte strings"),
        (2, b"kid", "exactly the labels"),
    ],
    ids=["kty-rsa", "kty-bool", "crv-p384", "x-short", "y-text", "extra-kid"],
)
def test_cose_key_other_than_ec2_p256_is_refused(
    holder_key: SigningKey, label: int, value: object, message: str
) -> None:
    cose_key: dict[object, object] = {**holder_key.public_key.to_cose_key(), label: value}

    with pytest.raises(MalformedKey, match=message):
        PublicKey.from_cose_key(cose_key)


def test_signing_key_round_trips_through_pem(holder_key: SigningKey) -> None:
    loaded = SigningKey.from_pem(holder_key.to_pem())

    assert loaded.public_key == holder_key.public_key
    holder_key.public_key.verify(loaded.sign(b"m"), b"m")


def test_pem_of_another_curve_is_refused() -> None:
    pem = ec.generate_private_key(ec.SECP384R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )

    with pytest.raises(MalformedKey, match="P-256"):
        SigningKey.from_pem(pem)


def test_password_protected_pem_is_refused(holder_key: SigningKey) -> None:
    key = serialization.load_pem_private_key(holder_key.to_pem(), password=None)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"secret"),
    )

    with pytest.raises(MalformedKey, match="no password"):
        SigningKey.from_pem(pem)


def test_garbage_pem_is_refused() -> None:
    with pytest.raises(MalformedKey):
        SigningKey.from_pem(b"-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n")


def test_repr_names_the_kid_and_never_the_key_material(holder_key: SigningKey) -> None:
    private_value = serialization.load_pem_private_key(
        holder_key.to_pem(), password=None
    ).private_numbers()  # type: ignore[union-attr]
    text = repr(holder_key) + repr(holder_key.public_key)

    assert holder_key.public_key.kid.hex() in text
    assert f"{private_value.private_value:x}" not in text
    assert holder_key.public_key.to_bytes()[1:].hex() not in text
