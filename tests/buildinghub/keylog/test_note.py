"""Signed notes and checkpoints: the C2SP formats, parsed strictly, signed with P-256."""

import base64
import hashlib

import pytest

from buildinghub.credentials import SigningKey
from buildinghub.keylog.checkpoint import Checkpoint, open_checkpoint, parse_checkpoint
from buildinghub.keylog.errors import MalformedCheckpoint, MalformedNote, NoteNotSigned
from buildinghub.keylog.note import SignedNote, parse_note, verified_signers
from buildinghub.keylog.proof import EMPTY_ROOT
from buildinghub.keylog.signers import (
    LogNoteSigner,
    WitnessNoteSigner,
    spki_der,
)

ORIGIN = "ledger.building-7.example/log"
ROOT = bytes(range(32))


@pytest.fixture(scope="module")
def log_signer() -> LogNoteSigner:
    return LogNoteSigner(ORIGIN, SigningKey.generate())


def _signed(log_signer: LogNoteSigner, text: str) -> bytes:
    return SignedNote(text, (log_signer.sign(text),)).encode()


def test_checkpoint_text_has_origin_size_and_base64_root() -> None:
    text = Checkpoint(ORIGIN, 20852163, ROOT, ("extra line",)).to_text()

    assert text == f"{ORIGIN}\n20852163\n{base64.b64encode(ROOT).decode()}\nextra line\n"
    assert parse_checkpoint(text) == Checkpoint(ORIGIN, 20852163, ROOT, ("extra line",))


def test_signed_checkpoint_round_trips_and_verifies(log_signer: LogNoteSigner) -> None:
    text = Checkpoint(ORIGIN, 0, EMPTY_ROOT).to_text()
    data = _signed(log_signer, text)

    note, checkpoint = open_checkpoint(data, log_signer.verifier)

    assert data.decode().endswith("\n")
    assert data.decode().split("\n\n")[1].startswith(f"\u2014 {ORIGIN} ")
    assert note.text == text
    assert checkpoint.size == 0


def test_log_key_id_is_the_truncated_sha256_of_the_spki_der(log_signer: LogNoteSigner) -> None:
    der = spki_der(log_signer.verifier.key)

    assert der.startswith(bytes.fromhex("3059301306072a8648ce3d020106082a8648ce3d030107034200"))
    assert log_signer.verifier.key_id == hashlib.sha256(der).digest()[:4]


@pytest.mark.parametrize(
    ("note", "message"),
    [
        (b"\xff\xfe", "UTF-8"),
        ("text\r\n\n\u2014 a AAAAAAA=\n", "control character 0x0d"),
        ("text\n\u2014 a AAAAAAA=\n", "no blank line"),
        ("text\n\n", "no signature lines"),
        ("text\n\n\u2014 a AAAAAAA=", "end with a newline"),
        ("text\n\n- a AAAAAAA=\n", "em dash"),
        ("text\n\n\u2014 a  AAAAAAA=\n", "single spaces"),
        ("text\n\n\u2014 a+b AAAAAAA=\n", "without spaces or"),
        ("text\n\n\u2014 a AAAA*AA=\n", "not base64"),
        ("text\n\n\u2014 a AAAA\u00e9AA=\n", "not base64"),  # found by bench fuzz
        ("text\n\n\u2014 a AAAAAAB=\n", "not canonical base64"),
        ("text\n\n\u2014 a AAAAAA==\n", "key ID without a signature"),
        ("text\n\n" + "\u2014 a AAAAAAA=\n" * 33, "more than 32"),
    ],
)
def test_malformed_notes_are_refused_with_the_rule_they_break(
    note: bytes | str, message: str
) -> None:
    with pytest.raises(MalformedNote, match=message):
        parse_note(note)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("origin\n5\n", "got 2 lines"),
        ("origin\n05\nAAAA\n", "leading zeros"),
        ("origin\n-5\nAAAA\n", "decimal number"),
        ("origin\n5\nAAAA\n", "32 bytes"),
        ("origin\n5\n" + base64.b64encode(ROOT).decode().rstrip("=") + "\n", "not base64"),
        ("origin\n5\n" + "\u00e9" * 44 + "\n", "not base64"),
        ("\n5\n" + base64.b64encode(ROOT).decode() + "\n", "origin must not be empty"),
        ("o\n5\n" + base64.b64encode(ROOT).decode() + "\n\n", "extension line"),
        ("o\n9223372036854775808\n" + base64.b64encode(ROOT).decode() + "\n", "2\\*\\*63"),
    ],
)
def test_malformed_checkpoints_are_refused(text: str, message: str) -> None:
    with pytest.raises(MalformedCheckpoint, match=message):
        parse_checkpoint(text)


def test_checkpoint_signed_by_another_key_is_not_the_logs(log_signer: LogNoteSigner) -> None:
    text = Checkpoint(ORIGIN, 1, ROOT).to_text()
    impostor = LogNoteSigner(ORIGIN, SigningKey.generate())

    with pytest.raises(NoteNotSigned, match="no signature of the log key"):
        open_checkpoint(_signed(impostor, text), log_signer.verifier)


def test_changed_checkpoint_text_fails_the_log_signature(log_signer: LogNoteSigner) -> None:
    data = _signed(log_signer, Checkpoint(ORIGIN, 7, ROOT).to_text())
    tampered = data.replace(b"\n7\n", b"\n8\n")

    with pytest.raises(NoteNotSigned, match="does not verify"):
        open_checkpoint(tampered, log_signer.verifier)


def test_non_canonical_der_signature_is_refused(log_signer: LogNoteSigner) -> None:
    text = Checkpoint(ORIGIN, 7, ROOT).to_text()
    line = log_signer.sign(text)
    # Same r and s, with a long-form DER length: a second encoding of one signature.
    der = line.signature
    padded = bytes((0x30, 0x81, der[1])) + der[2:]

    assert not log_signer.verifier.verify(text, padded)
    assert log_signer.verifier.verify(text, der)


def test_checkpoint_for_another_origin_is_refused(log_signer: LogNoteSigner) -> None:
    data = _signed(log_signer, Checkpoint("other.example/log", 1, ROOT).to_text())

    with pytest.raises(MalformedCheckpoint, match=r"other\.example/log"):
        open_checkpoint(data, log_signer.verifier)


def test_unknown_signers_are_ignored_and_cosignatures_are_timestamped(
    log_signer: LogNoteSigner,
) -> None:
    text = Checkpoint(ORIGIN, 3, ROOT).to_text()
    witness = WitnessNoteSigner("witness-1.example", SigningKey.generate())
    stranger = WitnessNoteSigner("stranger.example", SigningKey.generate())
    note = SignedNote(
        text, (log_signer.sign(text), stranger.cosign(text, 5), witness.cosign(text, 1_767_225_600))
    )

    reparsed = parse_note(note.encode())
    signers = verified_signers(reparsed, [witness.verifier, log_signer.verifier])

    assert [s.name for s in signers] == [ORIGIN, "witness-1.example"]
    assert witness.verifier.timestamp(reparsed.signatures[2].signature) == 1_767_225_600


def test_a_known_cosigner_whose_signature_fails_rejects_the_note(
    log_signer: LogNoteSigner,
) -> None:
    text = Checkpoint(ORIGIN, 3, ROOT).to_text()
    witness = WitnessNoteSigner("witness-1.example", SigningKey.generate())
    line = witness.cosign(Checkpoint(ORIGIN, 4, ROOT).to_text(), 5)  # for another checkpoint
    note = SignedNote(text, (log_signer.sign(text), line))

    with pytest.raises(NoteNotSigned, match=r"witness-1\.example"):
        verified_signers(note, [witness.verifier])


def test_witness_key_ids_differ_by_name_and_from_the_log_rule() -> None:
    key = SigningKey.generate()

    a = WitnessNoteSigner("a.example", key).verifier.key_id
    b = WitnessNoteSigner("b.example", key).verifier.key_id

    assert a != b
    assert LogNoteSigner("a.example", key).verifier.key_id not in (a, b)
