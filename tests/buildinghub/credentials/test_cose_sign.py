"""COSE_Sign with several signers: each signature verifies on its own, over the same payload."""

import cbor2
import pytest

from buildinghub.credentials.cose_sign import (
    decode_multi_signed,
    encode_multi_signed,
    sign_payload,
    verify_signer,
)
from buildinghub.credentials.errors import BadSignature
from buildinghub.credentials.keys import SigningKey
from buildinghub.credentials.signed_record import MalformedRecord

PAYLOAD = b"the document both parties agreed"


@pytest.fixture(scope="module")
def keys() -> tuple[SigningKey, SigningKey]:
    return SigningKey.generate(), SigningKey.generate()


@pytest.fixture(scope="module")
def encoded(keys: tuple[SigningKey, SigningKey]) -> bytes:
    return encode_multi_signed(PAYLOAD, [sign_payload(PAYLOAD, key) for key in keys])


def test_each_signer_verifies_over_the_shared_payload(
    encoded: bytes, keys: tuple[SigningKey, SigningKey]
) -> None:
    document = decode_multi_signed(encoded, max_size=1024, signers=2)

    assert document.payload == PAYLOAD
    for index, key in enumerate(keys):
        verify_signer(document, index, key.public_key)


def test_it_is_the_rfc_9052_cose_sign_structure(
    encoded: bytes, keys: tuple[SigningKey, SigningKey]
) -> None:
    item = cbor2.loads(encoded)
    first = keys[0]
    protected = cbor2.dumps({1: -7, 4: first.public_key.kid}, canonical=True)

    assert item.tag == 98
    body_protected, unprotected, payload, signatures = item.value
    assert (body_protected, unprotected, payload) == (b"", {}, PAYLOAD)
    assert tuple(signatures[0][:2]) == (protected, {})
    # Sig_structure of RFC 9052 §4.4 for a COSE_Signature.
    to_be_signed = cbor2.dumps(["Signature", b"", protected, b"", PAYLOAD])
    first.public_key.verify(signatures[0][2], to_be_signed)


def test_a_signature_checked_against_another_key_is_refused(
    encoded: bytes, keys: tuple[SigningKey, SigningKey]
) -> None:
    document = decode_multi_signed(encoded, max_size=1024, signers=2)

    with pytest.raises(BadSignature, match="signature 1"):
        verify_signer(document, 0, keys[1].public_key)


@pytest.mark.parametrize("signers", [1, 3])
def test_a_document_with_another_number_of_signatures_is_refused(
    encoded: bytes, signers: int
) -> None:
    with pytest.raises(MalformedRecord, match=f"exactly {signers} signatures"):
        decode_multi_signed(encoded, max_size=1024, signers=signers)


def test_a_non_canonical_encoding_is_refused(encoded: bytes) -> None:
    item = cbor2.loads(encoded)
    padded = cbor2.dumps(cbor2.CBORTag(98, [b"", {}, PAYLOAD, item.value[3]]), canonical=False)
    # Re-encode the payload with a padded (two-byte) length.
    longer = padded.replace(b"\x58\x20" + PAYLOAD, b"\x59\x00\x20" + PAYLOAD)

    with pytest.raises(MalformedRecord):
        decode_multi_signed(longer, max_size=1024, signers=2)


def test_a_document_too_large_is_refused_before_parsing(encoded: bytes) -> None:
    with pytest.raises(MalformedRecord, match="more than the 100"):
        decode_multi_signed(encoded, max_size=100, signers=2)
