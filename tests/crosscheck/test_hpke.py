"""HPKE: RFC 9180's published vectors for our suite, and a second implementation of it.

Our envelopes and sealed PINs use DHKEM(P-256, HKDF-SHA256), HKDF-SHA256, AES-128-GCM through
pyhpke. The test-only implementation in hpke_reference.py must first reproduce RFC 9180's
vectors for exactly that suite (vectors/rfc9180_a3_1_base.json); then it opens what our code
seals, Base and Auth mode, and seals what our code must open. Our own opener also opens the
RFC's ciphertext directly.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from buildinghub.credentials.envelope import open_envelope, seal
from buildinghub.credentials.sealing import SealingKey, seal_pin

from . import hpke_reference as hpke

VECTOR: dict[str, Any] = json.loads(
    (Path(__file__).parent / "vectors" / "rfc9180_a3_1_base.json").read_text()
)
INFO = b"buildinghub-crosscheck-v1"


def h(name: str) -> bytes:
    return bytes.fromhex(VECTOR[name])


def test_the_reference_reproduces_rfc_9180s_vectors_for_our_suite() -> None:
    assert (VECTOR["mode"], VECTOR["kem_id"], VECTOR["kdf_id"], VECTOR["aead_id"]) == (
        hpke.MODE_BASE,
        hpke.KEM_ID,
        hpke.KDF_ID,
        hpke.AEAD_ID,
    )
    ephemeral, recipient = hpke.private_key(h("skEm")), hpke.private_key(h("skRm"))
    assert hpke.point(ephemeral.public_key()) == h("pkEm")
    assert hpke.point(recipient.public_key()) == h("pkRm")

    shared, enc = hpke.encap(h("pkRm"), ephemeral)
    key, base_nonce = hpke.key_schedule(hpke.MODE_BASE, shared, h("info"))

    assert (shared, enc) == (h("shared_secret"), h("enc"))
    assert hpke.decap(enc, recipient) == h("shared_secret")
    assert (key, base_nonce) == (h("key"), h("base_nonce"))
    for encryption in VECTOR["encryptions"]:
        nonce = hpke.nonce(base_nonce, encryption["sequence_number"])
        pt, aad, ct = (bytes.fromhex(encryption[k]) for k in ("pt", "aad", "ct"))
        assert nonce.hex() == encryption["nonce"]
        assert AESGCM(key).encrypt(nonce, pt, aad) == ct


def test_our_opener_opens_the_rfcs_ciphertext() -> None:
    first = VECTOR["encryptions"][0]
    recipient = SealingKey(hpke.private_key(h("skRm")))

    opened = open_envelope(
        h("enc") + bytes.fromhex(first["ct"]),
        recipient,
        info=h("info"),
        aad=bytes.fromhex(first["aad"]),
        max_plaintext=64,
    )

    assert opened == bytes.fromhex(first["pt"])


@pytest.fixture
def recipient() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture
def sender() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def test_what_we_seal_in_base_mode_opens_with_the_reference_only_in_its_context(
    recipient: ec.EllipticCurvePrivateKey,
) -> None:
    ours = SealingKey(recipient)
    sealed = seal(b"the rent was paid", ours.public_key, info=INFO, aad=b"header")

    assert hpke.open_sealed(sealed, recipient, info=INFO, aad=b"header") == b"the rent was paid"
    with pytest.raises(InvalidTag):
        hpke.open_sealed(sealed, recipient, info=b"another context", aad=b"header")


def test_what_we_seal_in_auth_mode_opens_with_the_reference_for_that_sender_only(
    recipient: ec.EllipticCurvePrivateKey, sender: ec.EllipticCurvePrivateKey
) -> None:
    sealed = seal(
        b"template", SealingKey(recipient).public_key, info=INFO, sender=SealingKey(sender)
    )

    opened = hpke.open_sealed(sealed, recipient, info=INFO, sender=hpke.point(sender.public_key()))
    assert opened == b"template"
    with pytest.raises(InvalidTag):
        hpke.open_sealed(sealed, recipient, info=INFO)  # as if Base mode
    stranger = hpke.point(ec.generate_private_key(ec.SECP256R1()).public_key())
    with pytest.raises(InvalidTag):
        hpke.open_sealed(sealed, recipient, info=INFO, sender=stranger)


def test_what_the_reference_seals_opens_with_ours_in_both_modes(
    recipient: ec.EllipticCurvePrivateKey, sender: ec.EllipticCurvePrivateKey
) -> None:
    ours = SealingKey(recipient)
    to = hpke.point(recipient.public_key())
    base = hpke.seal(to, b"base", info=INFO, aad=b"a")
    auth = hpke.seal(to, b"auth", info=INFO, sender=sender)

    assert open_envelope(base, ours, info=INFO, aad=b"a", max_plaintext=16) == b"base"
    assert (
        open_envelope(auth, ours, info=INFO, sender=SealingKey(sender).public_key, max_plaintext=16)
        == b"auth"
    )


def test_a_sealed_pin_is_hpke_base_mode_bound_to_its_lock_and_grant(
    recipient: ec.EllipticCurvePrivateKey,
) -> None:
    lock = SealingKey(recipient)
    grant_id = os.urandom(16)
    # The info credentials/sealing.py binds: a version label, the lock, the grant.
    info = b"buildinghub-pin-v1\x00" + b"b7-flat12-door" + b"\x00" + grant_id

    sealed = seal_pin("482913", lock.public_key, audience="b7-flat12-door", grant_id=grant_id)
    by_reference = hpke.seal(hpke.point(recipient.public_key()), b"135790", info=info)

    assert hpke.open_sealed(sealed, recipient, info=info) == b"482913"
    assert lock.open_pin(by_reference, audience="b7-flat12-door", grant_id=grant_id) == "135790"
