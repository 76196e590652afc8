"""The ES256 signatures outside COSE, checked from their format descriptions with cryptography
directly: proofs of possession (credentials/possession.py) and meter readings
(telemetry/reading.py). An ES256 signature here is the 64-byte r || s of ECDSA P-256 with
SHA-256 (RFC 9053 §2.1).
"""

from __future__ import annotations

import hashlib
import os

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from buildinghub.credentials import SigningKey
from buildinghub.credentials.possession import prove, verify_proof
from buildinghub.telemetry.reading import Quantity, Reading, decode_packet, sign_reading

P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def verify_es256(key: SigningKey, signature: bytes, message: bytes) -> None:
    """Raise cryptography's InvalidSignature unless signature is key's ES256 over message."""
    assert len(signature) == 64
    r, s = int.from_bytes(signature[:32]), int.from_bytes(signature[32:])
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), key.public_key.to_bytes())
    public.verify(encode_dss_signature(r, s), message, ec.ECDSA(hashes.SHA256()))


def test_a_proof_of_possession_signs_the_documented_array() -> None:
    holder = SigningKey.generate()
    nonce, digest = os.urandom(16), hashlib.sha256(b"grant").digest()

    proof = prove(holder, nonce, "b7-flat12-door", "unlock", digest, 7)

    # ["buildinghub-pop-v1", nonce, verifier_id, operation, grant_digest, counter], canonical.
    message = cbor2.dumps(
        ["buildinghub-pop-v1", nonce, "b7-flat12-door", "unlock", digest, 7], canonical=True
    )
    verify_es256(holder, proof, message)


def test_a_proof_made_outside_our_code_is_accepted() -> None:
    private = ec.generate_private_key(ec.SECP256R1())
    holder = SigningKey(private)
    nonce, digest = os.urandom(16), hashlib.sha256(b"grant").digest()
    message = cbor2.dumps(
        ["buildinghub-pop-v1", nonce, "b7-flat12-door", "unlock", digest, 8], canonical=True
    )
    r, s = decode_dss_signature(private.sign(message, ec.ECDSA(hashes.SHA256())))
    s = min(s, P256_ORDER - s)  # the one (low-s) form our verifiers accept

    verify_proof(
        holder.public_key,
        r.to_bytes(32) + s.to_bytes(32),
        nonce,
        "b7-flat12-door",
        "unlock",
        digest,
        8,
    )


def test_a_meter_reading_is_cbor_body_and_es256_over_its_domain_tag_and_body() -> None:
    meter = SigningKey.generate()
    reading = Reading("meter-1a-e", 12, Quantity.ELECTRICITY, 150_000, 1_767_225_600, "1A")

    packet = sign_reading(reading, meter).encoded

    body, signature = cbor2.loads(packet)
    # [version, meter_id, sequence, quantity, value, created_at, dwelling]
    assert cbor2.loads(body) == [1, "meter-1a-e", 12, 1, 150_000, 1_767_225_600, "1A"]
    verify_es256(meter, signature, b"buildinghub/reading/v1\x00" + body)
    assert decode_packet(packet).reading == reading
