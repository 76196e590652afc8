"""Properties: no change to a grant's or a proof's bytes ever verifies."""

import contextlib
import hashlib

import cbor2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from buildinghub.credentials import (
    CredentialError,
    Grant,
    GrantVerifier,
    ProofMismatch,
    SigningKey,
    StaticTrustStore,
    prove,
    sign1,
    verify_proof,
)

from .conftest import NOW, SettableClock

NONCE = bytes(range(16))
LOCK = "b7-floor3-flat12-door"
DIGEST = hashlib.sha256(b"the encoded grant").digest()
EXAMPLES = settings(max_examples=300, deadline=None)


@pytest.fixture(scope="module")
def steady_verifier(trust: StaticTrustStore) -> GrantVerifier:
    return GrantVerifier(LOCK, trust, SettableClock(NOW))


@pytest.fixture(scope="module")
def proof(holder_key: SigningKey) -> bytes:
    return prove(holder_key, NONCE, LOCK, "unlock", DIGEST, 1)


def _flip(data: bytes, bit: int) -> bytes:
    changed = bytearray(data)
    changed[bit // 8] ^= 1 << (bit % 8)
    return bytes(changed)


def test_the_unchanged_grant_verifies(steady_verifier: GrantVerifier, encoded_lease: bytes) -> None:
    steady_verifier.verify(encoded_lease)


@EXAMPLES
@given(data=st.data())
def test_flipping_any_bit_of_a_grant_is_refused(
    steady_verifier: GrantVerifier, encoded_lease: bytes, data: st.DataObject
) -> None:
    bit = data.draw(st.integers(min_value=0, max_value=len(encoded_lease) * 8 - 1), label="bit")

    with pytest.raises(CredentialError):
        steady_verifier.verify(_flip(encoded_lease, bit))


@EXAMPLES
@given(data=st.data())
def test_truncating_a_grant_is_refused(
    steady_verifier: GrantVerifier, encoded_lease: bytes, data: st.DataObject
) -> None:
    keep = data.draw(st.integers(min_value=0, max_value=len(encoded_lease) - 1), label="keep")

    with pytest.raises(CredentialError):
        steady_verifier.verify(encoded_lease[:keep])


@EXAMPLES
@given(tail=st.binary(min_size=1, max_size=700))
def test_extending_a_grant_is_refused(
    steady_verifier: GrantVerifier, encoded_lease: bytes, tail: bytes
) -> None:
    with pytest.raises(CredentialError):
        steady_verifier.verify(encoded_lease + tail)


@EXAMPLES
@given(data=st.data())
def test_replacing_any_byte_of_a_grant_verifies_only_if_it_is_unchanged(
    steady_verifier: GrantVerifier, encoded_lease: bytes, data: st.DataObject
) -> None:
    changed = bytearray(encoded_lease)
    index = data.draw(st.integers(min_value=0, max_value=len(changed) - 1), label="index")
    changed[index] = data.draw(st.integers(min_value=0, max_value=255), label="value")

    if changed == encoded_lease:
        steady_verifier.verify(bytes(changed))
    else:
        with pytest.raises(CredentialError):
            steady_verifier.verify(bytes(changed))


@EXAMPLES
@given(data=st.binary(max_size=1100))
def test_arbitrary_bytes_raise_only_credential_errors(
    steady_verifier: GrantVerifier, data: bytes
) -> None:
    with pytest.raises(CredentialError):
        steady_verifier.verify(data)


_CBOR_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**64), max_value=2**64 - 1)
    | st.floats(allow_nan=False)
    | st.text(max_size=80)
    | st.binary(max_size=80),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.integers(-3, 3), inner, max_size=4)
    ),
    max_leaves=8,
)


@EXAMPLES
@given(
    key=st.sampled_from(
        [1, 2, 3, 4, 5, 6, 7, 8, -70001, -70002, -70003, -70004, -70005, -70006, 9]
    ),
    value=_CBOR_VALUES,
)
def test_any_claim_value_signed_by_the_issuer_is_accepted_or_refused_cleanly(
    steady_verifier: GrantVerifier,
    lease: Grant,
    issuer_key: SigningKey,
    key: int,
    value: object,
) -> None:
    claims = {**lease.to_claims(), key: value}
    encoded = sign1(cbor2.dumps(claims, canonical=True), issuer_key, issuer_key.public_key.kid)

    with contextlib.suppress(CredentialError):
        steady_verifier.verify(encoded)


@EXAMPLES
@given(bit=st.integers(min_value=0, max_value=64 * 8 - 1))
def test_flipping_any_bit_of_a_proof_is_refused(
    holder_key: SigningKey, proof: bytes, bit: int
) -> None:
    with pytest.raises(ProofMismatch):
        verify_proof(holder_key.public_key, _flip(proof, bit), NONCE, LOCK, "unlock", DIGEST, 1)


@EXAMPLES
@given(keep=st.integers(min_value=0, max_value=63))
def test_truncating_a_proof_is_refused(holder_key: SigningKey, proof: bytes, keep: int) -> None:
    with pytest.raises(ProofMismatch):
        verify_proof(holder_key.public_key, proof[:keep], NONCE, LOCK, "unlock", DIGEST, 1)


@EXAMPLES
@given(tail=st.binary(min_size=1, max_size=16))
def test_extending_a_proof_is_refused(holder_key: SigningKey, proof: bytes, tail: bytes) -> None:
    with pytest.raises(ProofMismatch):
        verify_proof(holder_key.public_key, proof + tail, NONCE, LOCK, "unlock", DIGEST, 1)
