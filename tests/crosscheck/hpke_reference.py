"""HPKE (RFC 9180) for one suite, written for the tests from the RFC with cryptography's
primitives: DHKEM(P-256, HKDF-SHA256) (§4.1, §7.1), HKDF-SHA256 and AES-128-GCM (§5, §7.2,
§7.3), Base and Auth modes, single-shot (sequence number 0) as our envelopes use it.

It shares no code with buildinghub (which uses pyhpke): tests/crosscheck/test_hpke.py first
checks it against the RFC's published vectors, then uses it to open what we seal and to seal
what we must open.
"""

from __future__ import annotations

import hashlib
import hmac

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

MODE_BASE, MODE_AUTH = 0x00, 0x02
KEM_ID, KDF_ID, AEAD_ID = 0x0010, 0x0001, 0x0001
N_SECRET, N_K, N_N, N_H = 32, 16, 12, 32
KEM_SUITE = b"KEM" + KEM_ID.to_bytes(2)
HPKE_SUITE = b"HPKE" + KEM_ID.to_bytes(2) + KDF_ID.to_bytes(2) + AEAD_ID.to_bytes(2)


def _extract(salt: bytes, ikm: bytes) -> bytes:
    return hmac.new(salt or bytes(N_H), ikm, hashlib.sha256).digest()


def _expand(prk: bytes, info: bytes, length: int) -> bytes:
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes((counter,)), hashlib.sha256).digest()
        out += block
        counter += 1
    return out[:length]


def labeled_extract(suite: bytes, salt: bytes, label: bytes, ikm: bytes) -> bytes:
    return _extract(salt, b"HPKE-v1" + suite + label + ikm)


def labeled_expand(suite: bytes, prk: bytes, label: bytes, info: bytes, length: int) -> bytes:
    return _expand(prk, length.to_bytes(2) + b"HPKE-v1" + suite + label + info, length)


def point(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)


def private_key(scalar: bytes) -> ec.EllipticCurvePrivateKey:
    return ec.derive_private_key(int.from_bytes(scalar), ec.SECP256R1())


def public_key(data: bytes) -> ec.EllipticCurvePublicKey:
    return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), data)


def _shared_secret(dh: bytes, kem_context: bytes) -> bytes:
    eae_prk = labeled_extract(KEM_SUITE, b"", b"eae_prk", dh)
    return labeled_expand(KEM_SUITE, eae_prk, b"shared_secret", kem_context, N_SECRET)


def encap(
    recipient: bytes,
    ephemeral: ec.EllipticCurvePrivateKey,
    sender: ec.EllipticCurvePrivateKey | None = None,
) -> tuple[bytes, bytes]:
    """(shared_secret, enc): Encap (§4.1), or AuthEncap when sender is given."""
    pk_r = public_key(recipient)
    enc = point(ephemeral.public_key())
    dh = ephemeral.exchange(ec.ECDH(), pk_r)
    kem_context = enc + recipient
    if sender is not None:
        dh += sender.exchange(ec.ECDH(), pk_r)
        kem_context += point(sender.public_key())
    return _shared_secret(dh, kem_context), enc


def decap(enc: bytes, recipient: ec.EllipticCurvePrivateKey, sender: bytes | None = None) -> bytes:
    """shared_secret: Decap (§4.1), or AuthDecap when the sender's public key is given."""
    dh = recipient.exchange(ec.ECDH(), public_key(enc))
    kem_context = enc + point(recipient.public_key())
    if sender is not None:
        dh += recipient.exchange(ec.ECDH(), public_key(sender))
        kem_context += sender
    return _shared_secret(dh, kem_context)


def key_schedule(mode: int, shared_secret: bytes, info: bytes) -> tuple[bytes, bytes]:
    """(key, base_nonce) for a mode without a PSK (§5.1)."""
    psk_id_hash = labeled_extract(HPKE_SUITE, b"", b"psk_id_hash", b"")
    info_hash = labeled_extract(HPKE_SUITE, b"", b"info_hash", info)
    context = bytes((mode,)) + psk_id_hash + info_hash
    secret = labeled_extract(HPKE_SUITE, shared_secret, b"secret", b"")
    key = labeled_expand(HPKE_SUITE, secret, b"key", context, N_K)
    base_nonce = labeled_expand(HPKE_SUITE, secret, b"base_nonce", context, N_N)
    return key, base_nonce


def nonce(base_nonce: bytes, sequence_number: int) -> bytes:
    return bytes(a ^ b for a, b in zip(base_nonce, sequence_number.to_bytes(N_N), strict=True))


def seal(
    recipient: bytes,
    plaintext: bytes,
    *,
    info: bytes,
    aad: bytes = b"",
    sender: ec.EllipticCurvePrivateKey | None = None,
) -> bytes:
    """enc || ciphertext, the single-shot form our envelopes use."""
    shared, enc = encap(recipient, ec.generate_private_key(ec.SECP256R1()), sender)
    key, base_nonce = key_schedule(MODE_BASE if sender is None else MODE_AUTH, shared, info)
    return enc + AESGCM(key).encrypt(nonce(base_nonce, 0), plaintext, aad)


def open_sealed(
    sealed: bytes,
    recipient: ec.EllipticCurvePrivateKey,
    *,
    info: bytes,
    aad: bytes = b"",
    sender: bytes | None = None,
) -> bytes:
    """Open enc || ciphertext; raises cryptography's InvalidTag when it does not open."""
    enc, ciphertext = sealed[:65], sealed[65:]
    shared = decap(enc, recipient, sender)
    key, base_nonce = key_schedule(MODE_BASE if sender is None else MODE_AUTH, shared, info)
    return AESGCM(key).decrypt(nonce(base_nonce, 0), ciphertext, aad)
