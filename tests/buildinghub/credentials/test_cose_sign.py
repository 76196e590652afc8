"""COSE_Sign with several signers: each signature verifies on its own, over the same payload."""

import cbor2
import pytest

from buildinghub.credentials.cose import sign1
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


def _variant(encoded: bytes, change: object) -> bytes:
    body = list(cbor2.loads(encoded).value)
    body[3] = [list(entry) for entry in body[3]]
    change(body)  # type: ignore[operator]
    return cbor2.dumps(cbor2.CBORTag(98, body), canonical=True)


def _set_protected(body: list[object], header: dict[int, object]) -> None:
    body[3][0][0] = cbor2.dumps(header, canonical=True)  # type: ignore[index]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda body: body.pop(), "array of 4"),
        (lambda body: body.__setitem__(0, b"\xa0"), "body protected header must be empty"),
        (lambda body: body.__setitem__(1, {1: -7}), "unprotected header must be an empty map"),
        (lambda body: body.__setitem__(2, "text"), "payload must be a byte string"),
        (lambda body: body[3][0].pop(), "array of 3"),
        (lambda body: body[3][0].__setitem__(1, {4: b"k"}), "nesting depth"),
        (lambda body: body[3][0].__setitem__(2, bytes(63)), "64-byte ES256"),
        (lambda body: body[3][0].__setitem__(0, "text"), "protected header must be a byte"),
        (lambda body: _set_protected(body, {1: -7, 4: b"k", 3: 0}), "exactly alg"),
        (lambda body: _set_protected(body, {1: -35, 4: b"k"}), "only ES256"),
        (lambda body: _set_protected(body, {1: -7, 4: bytes(33)}), "kid is 1 to 32"),
        (lambda body: body[3][0].__setitem__(0, b"\xa2\x04\x41k\x01\x26"), "deterministically"),
    ],
    ids=[
        "short",
        "body-protected",
        "unprotected",
        "text-payload",
        "short-signature",
        "signature-unprotected",
        "signature-length",
        "text-protected",
        "extra-label",
        "es384",
        "long-kid",
        "unsorted-header",
    ],
)
def test_a_cose_sign_out_of_shape_is_refused_with_what_is_wrong(
    encoded: bytes, change: object, message: str
) -> None:
    with pytest.raises(MalformedRecord, match=message):
        decode_multi_signed(_variant(encoded, change), max_size=1024, signers=2)


def test_a_cose_sign1_is_not_a_cose_sign(keys: tuple[SigningKey, SigningKey]) -> None:
    single = sign1(PAYLOAD, keys[0], keys[0].public_key.kid)

    with pytest.raises(MalformedRecord, match="tag 98"):
        decode_multi_signed(single, max_size=1024, signers=1)
