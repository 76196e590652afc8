"""The hub trusts a checkpoint only with the log's signature, a witness quorum and a proof."""

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from buildinghub.keylog.entries import Role
from buildinghub.keylog.errors import (
    ForkDetected,
    InvalidProof,
    KeylogError,
    LogFrozen,
    QuorumNotMet,
    StaleCheckpoint,
)
from buildinghub.keylog.log import KeyLog
from buildinghub.keylog.trusted_view import TrustedLogView

from .conftest import Ledger, SettableClock


def test_checkpoint_with_quorum_and_proof_moves_the_view_forward(
    ledger: Ledger, hub_view: TrustedLogView
) -> None:
    ledger.register("landlord", Role.LANDLORD)
    hub_view.update(ledger.cosigned().encode(), [])
    ledger.register("lock", Role.LOCK)

    trusted = hub_view.update(ledger.cosigned().encode(), ledger.log.consistency_proof(1))

    assert trusted.size == 2
    assert hub_view.checkpoint == trusted


def test_checkpoint_without_the_witness_quorum_is_refused(
    ledger: Ledger, hub_view: TrustedLogView
) -> None:
    ledger.register("landlord", Role.LANDLORD)
    one_witness = ledger.cosigned(ledger.witnesses[:1])

    with pytest.raises(QuorumNotMet, match="cosigned by 1 of the known witnesses, 2 are required"):
        hub_view.update(one_witness.encode(), [])
    assert hub_view.checkpoint is None


def test_cosignatures_by_unknown_witnesses_do_not_count(
    ledger: Ledger, tmp_path: Path, clock: SettableClock
) -> None:
    ledger.register("landlord", Role.LANDLORD)
    view = TrustedLogView(
        ledger.log_signer.verifier, [ledger.witnesses[0].key], 1, tmp_path / "v.json", clock
    )
    others_only = ledger.cosigned(ledger.witnesses[1:])

    with pytest.raises(QuorumNotMet):
        view.update(others_only.encode(), [])


def test_hub_catches_a_split_view_and_freezes_with_evidence(
    ledger: Ledger, hub_view: TrustedLogView, tmp_path: Path, clock: SettableClock
) -> None:
    # The log shows the hub a second history, cosigned by witnesses it split as well.
    ledger.register("landlord", Role.LANDLORD)
    ledger.register("lock", Role.LOCK)
    hub_view.update(ledger.cosigned().encode(), [])
    fork = KeyLog(ledger.log_signer)
    fork.append_encoded(ledger.log.entries(0, 1)[0])
    for name in ("rogue-landlord", "rogue-lock"):
        fork_ledger = Ledger(fork, ledger.log_signer, [], clock)
        fork_ledger.register(name, Role.LANDLORD)
    split = _cosigned_by_fresh_witnesses(ledger, fork)

    with pytest.raises(ForkDetected, match="not consistent"):
        hub_view.update(split, fork.consistency_proof(2))

    assert hub_view.frozen
    (evidence,) = hub_view.evidence
    assert evidence.conflicting == split.decode()
    assert hub_view.checkpoint is not None
    assert hub_view.checkpoint.size == 2
    ledger.register("tenant", Role.TENANT)
    with pytest.raises(LogFrozen):
        hub_view.update(ledger.cosigned().encode(), ledger.log.consistency_proof(2))

    restarted = TrustedLogView(
        ledger.log_signer.verifier,
        [w.key for w in ledger.witnesses],
        2,
        tmp_path / "hub-view.json",
        clock,
    )
    assert restarted.frozen
    assert restarted.evidence == hub_view.evidence


def test_a_person_resolving_the_fork_unfreezes_the_view_and_keeps_the_evidence(
    ledger: Ledger, hub_view: TrustedLogView
) -> None:
    ledger.register("landlord", Role.LANDLORD)
    hub_view.update(ledger.cosigned().encode(), [])
    fork = KeyLog(ledger.log_signer)
    Ledger(fork, ledger.log_signer, [], ledger.clock).register("rogue", Role.LANDLORD)
    with pytest.raises(ForkDetected):
        hub_view.update(_cosigned_by_fresh_witnesses(ledger, fork), [])

    hub_view.resolve(ledger.cosigned().encode())

    assert not hub_view.frozen
    assert len(hub_view.evidence) == 1


def test_the_view_never_goes_back(ledger: Ledger, hub_view: TrustedLogView) -> None:
    ledger.register("landlord", Role.LANDLORD)
    old = ledger.cosigned()
    hub_view.update(old.encode(), [])
    ledger.register("lock", Role.LOCK)
    hub_view.update(ledger.cosigned().encode(), ledger.log.consistency_proof(1))

    with pytest.raises(StaleCheckpoint):
        hub_view.update(old.encode(), [])


def test_inclusion_is_verified_against_the_trusted_checkpoint(
    ledger: Ledger, hub_view: TrustedLogView
) -> None:
    ledger.register("landlord", Role.LANDLORD)
    lock = ledger.register("lock", Role.LOCK)
    hub_view.update(ledger.cosigned().encode(), [])
    (proven,) = ledger.log.lookup_key(lock.public_key.kid)

    hub_view.verify_inclusion(proven.data, proven.index, proven.proof)
    with pytest.raises(InvalidProof):
        hub_view.verify_inclusion(ledger.log.entries(0, 1)[0], proven.index, proven.proof)


def _cosigned_by_fresh_witnesses(ledger: Ledger, log: KeyLog) -> bytes:
    note = log.checkpoint()
    for witness in ledger.witnesses:
        fresh = type(witness)(
            witness._signer,  # same keys, separate memory: a witness the log split too
            ledger.log_signer.verifier,
            witness._view.path.with_name(f"fresh-{witness.key.name}.json"),
            ledger.clock,
        )
        note = note.with_signature(fresh.cosign(note.encode(), []))
    return note.encode()


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(bit=st.integers(min_value=0))
def test_any_bit_flip_in_a_cosigned_checkpoint_is_refused(
    ledger: Ledger, hub_view: TrustedLogView, bit: int
) -> None:
    # Cosigned by exactly the quorum (2), so spoiling any one signature must be refused too.
    if ledger.log.size == 0:
        ledger.register("landlord", Role.LANDLORD)
    data = bytearray(ledger.cosigned(ledger.witnesses[:2]).encode())
    bit %= len(data) * 8
    data[bit // 8] ^= 1 << (bit % 8)

    with pytest.raises(KeylogError):
        hub_view.check(bytes(data))


def test_a_view_needs_a_reachable_quorum_of_distinct_witnesses(
    ledger: Ledger, tmp_path: Path, clock: SettableClock
) -> None:
    keys = [witness.key for witness in ledger.witnesses]
    log_key = ledger.log_signer.verifier

    with pytest.raises(ValueError, match="between 1 and the 3 witnesses"):
        TrustedLogView(log_key, keys, 4, tmp_path / "v.json", clock)
    with pytest.raises(ValueError, match="once"):
        TrustedLogView(log_key, [keys[0], keys[0]], 1, tmp_path / "v.json", clock)


def test_inclusion_needs_a_trusted_checkpoint_that_covers_the_entry(
    ledger: Ledger, hub_view: TrustedLogView
) -> None:
    ledger.register("landlord", Role.LANDLORD)
    proven = ledger.log.prove(0)

    with pytest.raises(KeylogError, match="no checkpoint is trusted yet"):
        hub_view.verify_inclusion(proven.data, 0, proven.proof)
    hub_view.update(ledger.cosigned().encode(), [])
    ledger.register("lock", Role.LOCK)
    later = ledger.log.prove(1)
    with pytest.raises(InvalidProof, match="not in the trusted checkpoint of size 1"):
        hub_view.verify_inclusion(later.data, 1, later.proof)


def test_one_witness_cosigning_twice_counts_once(ledger: Ledger, hub_view: TrustedLogView) -> None:
    ledger.register("landlord", Role.LANDLORD)
    note = ledger.cosigned(ledger.witnesses[:1])
    twice = note.with_signature(note.signatures[-1])

    with pytest.raises(QuorumNotMet, match="cosigned by 1 of"):
        hub_view.update(twice.encode(), [])
