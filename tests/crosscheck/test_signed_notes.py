"""Signed notes, checkpoints and cosignatures, checked against C2SP's format by code written
here from the specs (c2sp.org/signed-note, tlog-checkpoint, tlog-cosignature) and
buildinghub/keylog/signers.py's description of our two ECDSA signature types, using
cryptography directly; and our note parser against the published signed-note example.
"""

from __future__ import annotations

import base64
import hashlib
import json
import struct
from pathlib import Path
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from buildinghub.credentials import SigningKey
from buildinghub.keylog.checkpoint import Checkpoint, open_checkpoint
from buildinghub.keylog.errors import NoteNotSigned
from buildinghub.keylog.note import SignedNote, parse_note, verified_signers
from buildinghub.keylog.signers import LogNoteSigner, WitnessNoteSigner

EXAMPLE: dict[str, Any] = json.loads(
    (Path(__file__).parent / "vectors" / "signed_note_example.json").read_text()
)
ORIGIN = "ledger.building-7.example/keys"


class Ed25519NoteKey:
    """A signed-note verifier key (name+hex key ID+base64(type || key)) for type 0x01."""

    def __init__(self, vkey: str) -> None:
        self.name, key_id, blob = vkey.split("+")
        raw = base64.b64decode(blob)
        assert raw[0] == 0x01
        self.key_id = bytes.fromhex(key_id)
        # The key ID the spec recommends: SHA-256(name || 0x0A || type || public key)[:4].
        assert hashlib.sha256(self.name.encode() + b"\n" + raw).digest()[:4] == self.key_id
        self._key = Ed25519PublicKey.from_public_bytes(raw[1:])

    def verify(self, text: str, signature: bytes) -> bool:
        try:
            self._key.verify(signature, text.encode())
        except InvalidSignature:
            return False
        return True


def test_our_parser_reads_the_published_example_and_its_signature_verifies() -> None:
    key = Ed25519NoteKey(EXAMPLE["verifier_key"])

    note = parse_note(EXAMPLE["note"].encode())

    assert note.text == EXAMPLE["text"]
    assert [(s.name, s.key_id.hex()) for s in note.signatures] == [("PeterNeumann", "c74f20a3")]
    assert verified_signers(note, [key]) == [key]
    assert note.encode() == EXAMPLE["note"].encode()


def test_a_changed_text_under_the_published_signature_is_refused() -> None:
    key = Ed25519NoteKey(EXAMPLE["verifier_key"])
    forged = EXAMPLE["note"].replace("answer", "question")

    with pytest.raises(NoteNotSigned):
        verified_signers(parse_note(forged), [key])


def split_note(note: bytes) -> tuple[str, list[tuple[str, bytes, bytes]]]:
    """signed-note, from the spec: text up to the last blank line, then signature lines
    '— <name> <base64(key ID || signature)>'."""
    decoded = note.decode()
    split = decoded.rindex("\n\n")
    text, lines = decoded[: split + 1], decoded[split + 2 :].splitlines()
    signatures = []
    for line in lines:
        dash, name, blob = line.split(" ")
        assert dash == "\u2014"
        raw = base64.b64decode(blob, validate=True)
        signatures.append((name, raw[:4], raw[4:]))
    return text, signatures


def public(key: SigningKey) -> ec.EllipticCurvePublicKey:
    return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), key.public_key.to_bytes())


def test_a_checkpoint_is_a_tlog_checkpoint_signed_with_signature_type_0x02() -> None:
    log_key = SigningKey.generate()
    signer = LogNoteSigner(ORIGIN, log_key)
    root = hashlib.sha256(b"the tree").digest()
    text = Checkpoint(ORIGIN, 42, root).to_text()
    note = SignedNote(text, (signer.sign(text),)).encode()

    body, signatures = split_note(note)

    # tlog-checkpoint: origin, decimal size, base64 root hash, each on its own line.
    assert body == f"{ORIGIN}\n42\n{base64.b64encode(root).decode()}\n"
    [(name, key_id, signature)] = signatures
    spki = public(log_key).public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    # Type 0x02 (ECDSA, as transparency-dev/witness): key ID = SHA-256(DER SPKI)[:4], the
    # signature an ASN.1 DER ECDSA-Sig-Value over the text with SHA-256.
    assert (name, key_id) == (ORIGIN, hashlib.sha256(spki).digest()[:4])
    public(log_key).verify(signature, body.encode(), ec.ECDSA(hashes.SHA256()))
    assert open_checkpoint(note, signer.verifier)[1] == Checkpoint(ORIGIN, 42, root)


def test_a_witness_cosignature_is_tlog_cosignature_v1_with_our_es256_escape_type() -> None:
    witness_key = SigningKey.generate()
    text = Checkpoint(ORIGIN, 42, bytes(32)).to_text()
    line = WitnessNoteSigner("witness.example", witness_key).cosign(text, 1_767_225_600)

    [(name, key_id, signature)] = split_note(SignedNote(text, (line,)).encode())[1]

    point = witness_key.public_key.to_bytes()
    expected_id = hashlib.sha256(
        b"witness.example\n\xff" + b"buildinghub-cosignature-es256/v1" + point
    ).digest()[:4]
    assert (name, key_id) == ("witness.example", expected_id)
    (timestamp,) = struct.unpack(">Q", signature[:8])
    assert timestamp == 1_767_225_600
    r, s = int.from_bytes(signature[8:40]), int.from_bytes(signature[40:72])
    message = f"cosignature/v1\ntime {timestamp}\n{text}".encode()
    public(witness_key).verify(encode_dss_signature(r, s), message, ec.ECDSA(hashes.SHA256()))
