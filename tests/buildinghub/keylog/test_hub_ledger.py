"""The hub's mirror of the ledger: grants verify only while their landlord key is in it, active."""

import os
from pathlib import Path

import pytest

from buildinghub.credentials import (
    Grant,
    GrantKind,
    GrantVerifier,
    SigningKey,
    UnknownIssuer,
    issue_grant,
)
from buildinghub.keylog.checkpoint import Checkpoint
from buildinghub.keylog.entries import KeyRevocation, KeyRotation, Role, encode_entry, rotate_key
from buildinghub.keylog.errors import ForkDetected, InvalidProof, LogFrozen, QuorumNotMet
from buildinghub.keylog.log import KeyLog
from buildinghub.keylog.mirror import LedgerMirror
from buildinghub.keylog.note import SignedNote
from buildinghub.keylog.tree import MerkleTree
from buildinghub.keylog.trust_store import LedgerTrustStore
from buildinghub.keylog.trusted_view import TrustedLogView

from .conftest import BUILDING, NOW, Ledger, SettableClock

LOCK = "b7-floor3-flat12-door"
LANDLORD = "landlord.building-7.example"


@pytest.fixture
def mirror(hub_view: TrustedLogView) -> LedgerMirror:
    return LedgerMirror(hub_view)


def _sync(ledger: Ledger, mirror: LedgerMirror) -> None:
    proof = ledger.log.consistency_proof(mirror.size) if 0 < mirror.size < ledger.log.size else []
    mirror.sync(ledger.cosigned().encode(), proof, ledger.log.entries(mirror.size))


def _lease(landlord: SigningKey, tenant: SigningKey) -> bytes:
    return issue_grant(
        Grant(
            issuer=LANDLORD,
            subject="tenant-0042@building-7",
            audience=LOCK,
            not_before=NOW - 3600,
            expires=NOW + 30 * 86_400,
            issued_at=NOW - 3600,
            grant_id=os.urandom(16),
            holder_key=tenant.public_key,
            kind=GrantKind.LEASE,
        ),
        landlord,
    )


def test_a_revoked_landlord_key_stops_new_grants_from_verifying(
    ledger: Ledger, mirror: LedgerMirror, clock: SettableClock
) -> None:
    landlord = ledger.register("landlord", Role.LANDLORD, LANDLORD)
    tenant = ledger.register("tenant", Role.TENANT)
    _sync(ledger, mirror)
    verifier = GrantVerifier(LOCK, LedgerTrustStore(mirror), clock)
    assert verifier.verify(_lease(landlord, tenant)).grant.issuer == LANDLORD

    ledger.log.append(
        KeyRevocation(landlord.public_key.kid, NOW + 60, "key compromised", building=BUILDING)
    )
    _sync(ledger, mirror)

    with pytest.raises(UnknownIssuer):
        verifier.verify(_lease(landlord, tenant))


def test_after_a_rotation_only_the_new_landlord_key_issues(
    ledger: Ledger, mirror: LedgerMirror, clock: SettableClock
) -> None:
    old = ledger.register("landlord", Role.LANDLORD, LANDLORD)
    tenant = ledger.register("tenant", Role.TENANT)
    new = SigningKey.generate()
    ledger.log.append(rotate_key(old, new.public_key, NOW + 60, building=BUILDING))
    _sync(ledger, mirror)
    verifier = GrantVerifier(LOCK, LedgerTrustStore(mirror), clock)

    assert verifier.verify(_lease(new, tenant)).grant.issuer == LANDLORD
    with pytest.raises(UnknownIssuer):
        verifier.verify(_lease(old, tenant))


def test_a_key_that_is_not_a_landlords_issues_nothing(
    ledger: Ledger, mirror: LedgerMirror, clock: SettableClock
) -> None:
    tenant = ledger.register("tenant", Role.TENANT)
    _sync(ledger, mirror)

    with pytest.raises(UnknownIssuer):
        GrantVerifier(LOCK, LedgerTrustStore(mirror), clock).verify(_lease(tenant, tenant))


def test_entries_that_do_not_give_the_checkpoint_root_are_refused(
    ledger: Ledger, mirror: LedgerMirror
) -> None:
    ledger.register("landlord", Role.LANDLORD, LANDLORD)
    ledger.register("lock", Role.LOCK)
    entries = ledger.log.entries(0)
    other = encode_entry(
        rotate_key(SigningKey.generate(), SigningKey.generate().public_key, 1, building=BUILDING)
    )

    with pytest.raises(InvalidProof, match="not the log's"):
        mirror.sync(ledger.cosigned().encode(), [], [entries[0], other])
    with pytest.raises(InvalidProof, match="send the entries from 0 to 2"):
        mirror.sync(ledger.cosigned().encode(), [], entries[:1])

    # The checkpoint itself was good: the view moved, the mirror waits for the right entries.
    assert mirror.size == 0
    assert mirror.state.key(ledger.keys["landlord"].public_key.kid) is None
    mirror.sync(ledger.cosigned().encode(), [], entries)
    assert mirror.state.key(ledger.keys["landlord"].public_key.kid) is not None


def test_a_checkpoint_without_quorum_teaches_the_hub_no_key(
    ledger: Ledger, mirror: LedgerMirror
) -> None:
    landlord = ledger.register("landlord", Role.LANDLORD, LANDLORD)

    with pytest.raises(QuorumNotMet):
        mirror.sync(ledger.cosigned(ledger.witnesses[:1]).encode(), [], ledger.log.entries(0))

    assert mirror.state.key(landlord.public_key.kid) is None


def test_after_a_fork_existing_keys_keep_working_and_no_new_key_is_trusted(
    ledger: Ledger, mirror: LedgerMirror, clock: SettableClock, tmp_path: Path
) -> None:
    landlord = ledger.register("landlord", Role.LANDLORD, LANDLORD)
    tenant = ledger.register("tenant", Role.TENANT)
    _sync(ledger, mirror)
    fork = KeyLog(ledger.log_signer)
    for data in ledger.log.entries(0, 1):
        fork.append_encoded(data)
    rogue = Ledger(fork, ledger.log_signer, [], clock).register("rogue", Role.LANDLORD, "rogue")
    note = fork.checkpoint()
    for n, witness in enumerate(ledger.witnesses):
        # The same witness keys with a separate memory: witnesses the log split too.
        split = type(witness)(witness._signer, ledger.log_signer.verifier, tmp_path / f"{n}", clock)
        note = note.with_signature(split.cosign(note.encode(), []))

    with pytest.raises(ForkDetected, match="different roots"):
        mirror.sync(note.encode(), [], [])
    newcomer = ledger.register("newcomer", Role.LANDLORD, "newcomer")
    with pytest.raises(LogFrozen):
        _sync(ledger, mirror)

    verifier = GrantVerifier(LOCK, LedgerTrustStore(mirror), clock)
    assert verifier.verify(_lease(landlord, tenant)).grant.issuer == LANDLORD
    for unknown in (rogue, newcomer):
        with pytest.raises(UnknownIssuer):
            verifier.verify(_lease(unknown, tenant))


def test_verify_key_proves_the_registration_against_the_trusted_checkpoint(
    ledger: Ledger, mirror: LedgerMirror
) -> None:
    lock = ledger.register("lock", Role.LOCK)
    _sync(ledger, mirror)

    record = mirror.verify_key(lock.public_key.kid, frozenset({Role.LOCK}))

    assert record.key == lock.public_key


def test_an_entry_the_log_should_have_refused_changes_nothing_on_the_hub(
    ledger: Ledger, mirror: LedgerMirror
) -> None:
    # A log that skips its own checks: it appends a rotation nobody signed.
    landlord = ledger.register("landlord", Role.LANDLORD, LANDLORD)
    thief = SigningKey.generate()
    forged = KeyRotation(
        landlord.public_key.kid, thief.public_key, NOW, bytes(64), building=BUILDING
    )
    entries = [*ledger.log.entries(0), encode_entry(forged)]
    tree = MerkleTree()
    tree.extend(entries)
    text = Checkpoint(ledger.log.origin, tree.size, tree.root()).to_text()
    note = SignedNote(text, (ledger.log_signer.sign(text),))
    for witness in ledger.witnesses:
        note = note.with_signature(witness.cosign(note.encode(), []))

    mirror.sync(note.encode(), [], entries)

    (refused,) = mirror.refused
    assert refused.index == 1
    assert "not signed by that key" in refused.reason
    assert mirror.state.key(thief.public_key.kid) is None
    assert mirror.verify_key(landlord.public_key.kid, frozenset({Role.LANDLORD})).key == (
        landlord.public_key
    )


def test_a_restarted_hub_rebuilds_its_mirror_against_its_stored_view(
    ledger: Ledger, mirror: LedgerMirror, tmp_path: Path, clock: SettableClock
) -> None:
    landlord = ledger.register("landlord", Role.LANDLORD, LANDLORD)
    _sync(ledger, mirror)
    ledger.register("lock", Role.LOCK)
    view = TrustedLogView(
        ledger.log_signer.verifier,
        [witness.key for witness in ledger.witnesses],
        2,
        tmp_path / "hub-view.json",
        clock,
    )
    restarted = LedgerMirror(view)

    restarted.sync(
        ledger.cosigned().encode(), ledger.log.consistency_proof(1), ledger.log.entries(0)
    )

    assert restarted.size == 2
    assert restarted.state.key(landlord.public_key.kid) is not None
