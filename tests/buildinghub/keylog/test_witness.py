"""Witnesses cosign only checkpoints that extend what they saw, and remember it across crashes."""

import os
from pathlib import Path

import pytest

from buildinghub.credentials import SigningKey
from buildinghub.keylog.entries import KeyRegistration, Role, encode_entry
from buildinghub.keylog.errors import ForkDetected, LogFrozen, NoteNotSigned, StaleCheckpoint
from buildinghub.keylog.log import KeyLog
from buildinghub.keylog.note import verified_signers
from buildinghub.keylog.signers import LogNoteSigner, WitnessNoteSigner
from buildinghub.keylog.witness import Witness

from .conftest import BUILDING, Ledger, SettableClock


def _fork_of(ledger: Ledger, common: int) -> KeyLog:
    """A second log under the same key, sharing the first ``common`` entries."""
    fork = KeyLog(ledger.log_signer)
    for data in ledger.log.entries(0, common):
        fork.append_encoded(data)
    return fork


def test_witnesses_cosign_a_growing_log(ledger: Ledger) -> None:
    ledger.register("landlord", Role.LANDLORD)
    first = ledger.cosigned()
    ledger.register("lock", Role.LOCK)
    second = ledger.cosigned()

    keys = [witness.key for witness in ledger.witnesses]
    assert len(verified_signers(first, keys)) == 3
    assert len(verified_signers(second, keys)) == 3
    assert all(witness.checkpoint is not None for witness in ledger.witnesses)
    assert {witness.checkpoint.size for witness in ledger.witnesses if witness.checkpoint} == {2}


def test_every_witness_catches_a_fork_of_the_same_size(ledger: Ledger) -> None:
    ledger.register("landlord", Role.LANDLORD)
    ledger.register("lock", Role.LOCK)
    honest = ledger.cosigned()
    fork = _fork_of(ledger, 1)
    fork.append_encoded(_registration(0))
    split = fork.checkpoint()

    for witness in ledger.witnesses:
        with pytest.raises(ForkDetected, match="forked"):
            witness.cosign(split.encode(), [])

        assert witness.frozen
        (evidence,) = witness.evidence
        assert evidence.trusted.startswith(honest.text)
        assert evidence.conflicting == split.encode().decode()
        assert "different roots" in evidence.detail


def test_witness_catches_a_fork_whose_consistency_proof_fails(ledger: Ledger) -> None:
    ledger.register("landlord", Role.LANDLORD)
    ledger.register("lock", Role.LOCK)
    ledger.cosigned()
    fork = _fork_of(ledger, 1)
    for n in range(3):
        fork.append_encoded(_registration(n))
    witness = ledger.witnesses[0]

    with pytest.raises(ForkDetected, match="not consistent"):
        witness.cosign(fork.checkpoint().encode(), fork.consistency_proof(2))

    assert witness.frozen
    with pytest.raises(LogFrozen):
        witness.cosign(ledger.log.checkpoint().encode(), [])


def test_witness_refuses_to_go_back(ledger: Ledger) -> None:
    ledger.register("landlord", Role.LANDLORD)
    old = ledger.log.checkpoint()
    ledger.cosigned()
    ledger.register("lock", Role.LOCK)
    ledger.cosigned()

    with pytest.raises(StaleCheckpoint, match="never goes back"):
        ledger.witnesses[0].cosign(old.encode(), [])
    assert not ledger.witnesses[0].frozen


def test_witness_refuses_a_checkpoint_not_signed_by_the_log(ledger: Ledger) -> None:
    impostor = KeyLog(LogNoteSigner(ledger.log.origin, SigningKey.generate()))

    with pytest.raises(NoteNotSigned):
        ledger.witnesses[0].cosign(impostor.checkpoint().encode(), [])
    assert ledger.witnesses[0].checkpoint is None


def test_witness_view_survives_a_restart(
    ledger: Ledger, tmp_path: Path, clock: SettableClock
) -> None:
    ledger.register("landlord", Role.LANDLORD)
    ledger.cosigned()
    witness = ledger.witnesses[0]

    restarted = Witness(
        WitnessNoteSigner("witness-0.example", SigningKey.generate()),
        ledger.log_signer.verifier,
        tmp_path / "witness-0.json",
        clock,
    )

    assert restarted.checkpoint == witness.checkpoint


def test_a_crash_while_saving_leaves_the_old_view_whole(
    ledger: Ledger, tmp_path: Path, clock: SettableClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger.register("landlord", Role.LANDLORD)
    ledger.cosigned()
    witness = ledger.witnesses[0]
    before = (tmp_path / "witness-0.json").read_bytes()
    ledger.register("lock", Role.LOCK)

    def crash(*args: object) -> None:
        raise OSError("power cut")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="power cut"):
        witness.cosign(ledger.log.checkpoint().encode(), ledger.proof_for(witness))
    monkeypatch.undo()

    assert (tmp_path / "witness-0.json").read_bytes() == before
    reloaded = Witness(
        WitnessNoteSigner("witness-0.example", SigningKey.generate()),
        ledger.log_signer.verifier,
        tmp_path / "witness-0.json",
        clock,
    )
    assert reloaded.checkpoint is not None
    assert reloaded.checkpoint.size == 1


def _registration(n: int) -> bytes:
    return encode_entry(
        KeyRegistration(
            Role.TENANT, SigningKey.generate().public_key, bytes(32), f"t{n}", 0, building=BUILDING
        )
    )
