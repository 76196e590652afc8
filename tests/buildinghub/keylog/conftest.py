"""A key log, its three witnesses and a hub's view of it, as separate parties with own keys."""

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from buildinghub.credentials import SigningKey
from buildinghub.keylog.entries import KeyRegistration, RecordKind, Role, SignedRecord
from buildinghub.keylog.identity import identity_lookup_hash
from buildinghub.keylog.log import KeyLog
from buildinghub.keylog.note import SignedNote
from buildinghub.keylog.records import CheckMethod, IdentityCheckRecord, sign_identity_check
from buildinghub.keylog.signers import LogNoteSigner, WitnessNoteSigner
from buildinghub.keylog.trusted_view import TrustedLogView
from buildinghub.keylog.witness import Witness

NOW = 1_767_225_600  # 2026-01-01T00:00:00Z
ORIGIN = "ledger.building-7.example/log"
SALT = b"building-7 pepper, 32 bytes long"
BUILDING = "Building 7"
STATION = "front-desk.building-7.example"


class SettableClock:
    """A Clock whose time the test sets."""

    def __init__(self, time: int) -> None:
        self.time = time

    def now(self) -> int:
        return self.time


@dataclass
class Ledger:
    """The parties: the log (cloud side), witnesses, and the keys registered so far."""

    log: KeyLog
    log_signer: LogNoteSigner
    witnesses: list[Witness]
    clock: SettableClock
    keys: dict[str, SigningKey] = field(default_factory=dict)

    def register(
        self, name: str, role: Role, subject: str | None = None, *, building: str = BUILDING
    ) -> SigningKey:
        """Register a new key for the party called name (a tenant's claim, not yet checked)."""
        key = SigningKey.generate()
        owner = identity_lookup_hash(SALT, f"ID{len(self.keys):06d}")
        entry = KeyRegistration(
            role, key.public_key, owner, subject or name, NOW, building=building
        )
        self.log.append(entry)
        self.keys[name] = key
        return key

    def station(self, building: str = BUILDING, name: str = STATION) -> SigningKey:
        """The building's enrolling station (registered once, as its hub would)."""
        found = self.log.state.subject_key(building, Role.STATION, name)
        if found is None:
            return self.register(f"station@{building}", Role.STATION, name, building=building)
        return self.keys[f"station@{building}"]

    def check_identity(self, tenant: SigningKey, station: SigningKey | None = None) -> int:
        """The station checks the tenant's ID document: their key is bound to their identity."""
        station = station or self.station()
        record = self.log.state.key(tenant.public_key.kid)
        signer = self.log.state.key(station.public_key.kid)
        assert record is not None
        assert signer is not None
        check = IdentityCheckRecord(
            tenant=record.owner,
            tenant_key=record.kid,
            method=CheckMethod.PASSPORT,
            checked_at=NOW,
            checked_by=signer.subject,
        )
        return self.log.append(
            SignedRecord(RecordKind.IDENTITY, sign_identity_check(check, station))
        )

    def cosigned(self, witnesses: list[Witness] | None = None) -> SignedNote:
        """The log's current checkpoint, cosigned by each witness given (default: all)."""
        note = self.log.checkpoint()
        for witness in self.witnesses if witnesses is None else witnesses:
            note = note.with_signature(witness.cosign(note.encode(), self.proof_for(witness)))
        return note

    def proof_for(self, witness: Witness) -> list[bytes]:
        """The consistency proof from the witness's last checkpoint to the log now."""
        known = witness.checkpoint
        if known is None or known.size == 0 or known.size == self.log.size:
            return []
        return self.log.consistency_proof(known.size)


@pytest.fixture
def clock() -> SettableClock:
    return SettableClock(NOW)


@pytest.fixture
def ledger(tmp_path: Path, clock: SettableClock) -> Ledger:
    log_signer = LogNoteSigner(ORIGIN, SigningKey.generate())
    witnesses = [
        Witness(
            WitnessNoteSigner(f"witness-{n}.example", SigningKey.generate()),
            log_signer.verifier,
            tmp_path / f"witness-{n}.json",
            clock,
        )
        for n in range(3)
    ]
    return Ledger(KeyLog(log_signer), log_signer, witnesses, clock)


@pytest.fixture
def hub_view(tmp_path: Path, ledger: Ledger, clock: SettableClock) -> TrustedLogView:
    """The hub's view: log key, all three witnesses, quorum of two."""
    return TrustedLogView(
        ledger.log_signer.verifier,
        [witness.key for witness in ledger.witnesses],
        2,
        tmp_path / "hub-view.json",
        clock,
    )
