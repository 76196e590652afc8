"""COSE_Sign1 (RFC 9052): the one encoding we write, and everything else refused."""

import cbor2
import pytest

from buildinghub.credentials import (
    BadSignature,
    GrantTooLarge,
    MalformedGrant,
    SigningKey,
    decode_sign1,
    sign1,
    verify_sign1,
)

MAX = 1024
PAYLOAD = b"\xa1\x01\x63abc"  # any bytes: COSE does not look inside


def _cbor_sig1(
    key: SigningKey,
    protected: dict[int, object],
    payload: bytes = PAYLOAD,
    *,
    tag: int = 18,
    unprotected: dict[int, object] | None = None,
) -> bytes:
    """A COSE_Sign1 built with cbor2 alone, correctly signed, with any header."""
    protected_bytes = cbor2.dumps(protected)
    signature = key.sign(cbor2.dumps(["Signature1", protected_bytes, b"", payload]))
    content = [protected_bytes, unprotected or {}, payload, signature]
    return cbor2.dumps(cbor2.CBORTag(tag, content))


def test_encoding_is_rfc9052_sign1_in_deterministic_cbor(issuer_key: SigningKey) -> None:
    kid = issuer_key.public_key.kid
    encoded = sign1(PAYLOAD, issuer_key, kid)

    item = cbor2.loads(encoded)
    protected, unprotected, payload, signature = item.value
    assert item.tag == 18
    assert cbor2.loads(protected) == {1: -7, 4: kid}
    assert unprotected == {}
    assert payload == PAYLOAD
    assert len(signature) == 64
    assert cbor2.dumps(item, canonical=True) == encoded


def test_signature_covers_the_rfc9052_sig_structure(issuer_key: SigningKey) -> None:
    encoded = sign1(PAYLOAD, issuer_key, b"k1")
    protected, _, payload, signature = cbor2.loads(encoded).value

    issuer_key.public_key.verify(signature, cbor2.dumps(["Signature1", protected, b"", payload]))


def test_decoding_gives_back_kid_and_payload(issuer_key: SigningKey) -> None:
    message = decode_sign1(sign1(PAYLOAD, issuer_key, b"key-7"), max_size=MAX)

    assert message.kid == b"key-7"
    assert message.payload == PAYLOAD


@pytest.mark.parametrize("kid_length", [1, 16, 23, 24, 32])
@pytest.mark.parametrize("payload_length", [0, 23, 24, 255, 256, 900])
def test_every_kid_and_payload_length_round_trips(
    issuer_key: SigningKey, kid_length: int, payload_length: int
) -> None:
    payload = bytes(range(256)) * 4
    encoded = sign1(payload[:payload_length], issuer_key, b"k" * kid_length)

    message = decode_sign1(encoded, max_size=MAX * 2)
    verify_sign1(message, issuer_key.public_key)
    issuer_key.public_key.verify(
        message.signature, cbor2.dumps(["Signature1", message.protected, b"", message.payload])
    )
    assert message.kid == b"k" * kid_length
    assert message.protected == cbor2.dumps({1: -7, 4: message.kid}, canonical=True)
    assert encoded == cbor2.dumps(cbor2.loads(encoded), canonical=True)


def test_message_verifies_with_its_signers_key(issuer_key: SigningKey) -> None:
    message = decode_sign1(sign1(PAYLOAD, issuer_key, b"k"), max_size=MAX)

    verify_sign1(message, issuer_key.public_key)


def test_message_signed_by_another_key_is_refused(issuer_key: SigningKey) -> None:
    forged = sign1(PAYLOAD, SigningKey.generate(), issuer_key.public_key.kid)

    with pytest.raises(BadSignature):
        verify_sign1(decode_sign1(forged, max_size=MAX), issuer_key.public_key)


def test_payload_changed_after_signing_is_refused(issuer_key: SigningKey) -> None:
    protected, unprotected, _, signature = cbor2.loads(sign1(PAYLOAD, issuer_key, b"k")).value
    changed = cbor2.dumps(cbor2.CBORTag(18, [protected, dict(unprotected), b"\xa0", signature]))

    with pytest.raises(BadSignature):
        verify_sign1(decode_sign1(changed, max_size=MAX), issuer_key.public_key)


def test_published_cose_example_with_kid_unprotected_is_refused() -> None:
    # cose-wg/Examples sign1-tests/sign-pass-02.json: valid COSE, but not our one encoding.
    example = bytes.fromhex(
        "D28443A10126A10442313154546869732069732074686520636F6E74656E742E5840"
        "EAE868ECC176883766C5DC5BA5B8DCA25DAB3C2E56A551CE5705B793914348E1"
        "55388B10C4F1B59A6733EAB416870A945111A4B2FBDBEF33A77234B1DEFF2F9B"
    )

    with pytest.raises(MalformedGrant, match="unprotected header must be an empty map"):
        decode_sign1(example, max_size=MAX)


def test_oversized_input_is_refused_before_parsing() -> None:
    with pytest.raises(GrantTooLarge, match="1025 bytes"):
        decode_sign1(b"\xff" * 1025, max_size=MAX)


@pytest.mark.parametrize("tag", [17, 98, 61])
def test_other_cbor_tag_is_refused(issuer_key: SigningKey, tag: int) -> None:
    other = _cbor_sig1(issuer_key, {1: -7, 4: b"k"}, tag=tag)

    with pytest.raises(MalformedGrant, match="tag 18"):
        decode_sign1(other, max_size=MAX)


def test_untagged_sign1_is_refused(issuer_key: SigningKey) -> None:
    untagged = cbor2.dumps(cbor2.loads(sign1(PAYLOAD, issuer_key, b"k")).value)

    with pytest.raises(MalformedGrant, match="tag 18"):
        decode_sign1(untagged, max_size=MAX)


def test_array_of_three_is_refused(issuer_key: SigningKey) -> None:
    content = cbor2.loads(sign1(PAYLOAD, issuer_key, b"k")).value
    three = cbor2.dumps(cbor2.CBORTag(18, list(content[:3])))

    with pytest.raises(MalformedGrant, match="array of 4"):
        decode_sign1(three, max_size=MAX)


def test_detached_payload_is_refused(issuer_key: SigningKey) -> None:
    protected, _, _, signature = cbor2.loads(sign1(PAYLOAD, issuer_key, b"k")).value
    detached = cbor2.dumps(cbor2.CBORTag(18, [protected, {}, None, signature]))

    with pytest.raises(MalformedGrant, match="payload must be a byte string"):
        decode_sign1(detached, max_size=MAX)


def test_protected_header_as_a_map_not_bytes_is_refused(issuer_key: SigningKey) -> None:
    _, _, payload, signature = cbor2.loads(sign1(PAYLOAD, issuer_key, b"k")).value
    bare = cbor2.dumps(cbor2.CBORTag(18, [{1: -7, 4: b"k"}, {}, payload, signature]))

    with pytest.raises(MalformedGrant, match="protected header must be a byte string"):
        decode_sign1(bare, max_size=MAX)


def test_short_signature_is_refused(issuer_key: SigningKey) -> None:
    protected, _, payload, signature = cbor2.loads(sign1(PAYLOAD, issuer_key, b"k")).value
    short = cbor2.dumps(cbor2.CBORTag(18, [protected, {}, payload, signature[:63]]))

    with pytest.raises(MalformedGrant, match="64-byte"):
        decode_sign1(short, max_size=MAX)


@pytest.mark.parametrize("alg", [-35, -8, -257, "ES256"], ids=["ES384", "EdDSA", "RS256", "text"])
def test_algorithm_other_than_es256_is_refused(issuer_key: SigningKey, alg: object) -> None:
    other = _cbor_sig1(issuer_key, {1: alg, 4: b"k"})

    with pytest.raises(MalformedGrant, match=r"ES256 \(-7\)"):
        decode_sign1(other, max_size=MAX)


def test_missing_kid_is_refused(issuer_key: SigningKey) -> None:
    with pytest.raises(MalformedGrant, match="needs a kid"):
        decode_sign1(_cbor_sig1(issuer_key, {1: -7}), max_size=MAX)


def test_oversized_kid_is_refused(issuer_key: SigningKey) -> None:
    with pytest.raises(MalformedGrant, match="needs a kid"):
        decode_sign1(_cbor_sig1(issuer_key, {1: -7, 4: bytes(33)}), max_size=MAX)


def test_extra_protected_header_is_refused(issuer_key: SigningKey) -> None:
    extra = _cbor_sig1(issuer_key, {1: -7, 4: b"k", 3: "application/cwt"})

    with pytest.raises(MalformedGrant, match="only alg"):
        decode_sign1(extra, max_size=MAX)


def test_protected_header_in_another_key_order_is_refused(issuer_key: SigningKey) -> None:
    reordered = _cbor_sig1(issuer_key, {4: b"k", 1: -7})

    with pytest.raises(MalformedGrant, match="protected header is not deterministically encoded"):
        decode_sign1(reordered, max_size=MAX)


def test_trailing_bytes_are_refused(issuer_key: SigningKey) -> None:
    encoded = sign1(PAYLOAD, issuer_key, b"k")

    with pytest.raises(MalformedGrant, match="1 bytes after its end"):
        decode_sign1(encoded + b"\x00", max_size=MAX)


def test_truncated_message_is_refused(issuer_key: SigningKey) -> None:
    encoded = sign1(PAYLOAD, issuer_key, b"k")

    with pytest.raises(MalformedGrant, match="not CBOR"):
        decode_sign1(encoded[:-1], max_size=MAX)


def test_padded_length_is_refused(issuer_key: SigningKey) -> None:
    encoded = sign1(PAYLOAD, issuer_key, b"k")
    padded = b"\xd8\x12" + encoded[1:]  # tag 18 written with a one-byte argument

    with pytest.raises(MalformedGrant, match="not deterministically encoded"):
        decode_sign1(padded, max_size=MAX)


def test_indefinite_length_array_is_refused(issuer_key: SigningKey) -> None:
    encoded = sign1(PAYLOAD, issuer_key, b"k")
    indefinite = b"\xd2\x9f" + encoded[2:] + b"\xff"

    with pytest.raises(MalformedGrant, match="not CBOR"):
        decode_sign1(indefinite, max_size=MAX)
