"""The hub's book of door-lock grants: verified on arrival, kept, expired, revoked.

The hub verifies every grant itself, against the landlord key each lock's
installation record names, before it hands it to the lock (which verifies it
again). It also decides which Home Assistant user may use a grant for a
remote unlock: only the user the grant was installed for, and only when the
grant's holder key is the hub's own, so the hub can answer the lock's
challenge.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from buildinghub.credentials import (
    Clock,
    CredentialError,
    GrantKind,
    GrantRevoked,
    GrantVerifier,
    PublicKey,
    SignedGrant,
    StaticTrustStore,
    TrustedIssuer,
    TrustStore,
    WrongAudience,
    decode_grant,
)
from buildinghub.credentials.installation import InstallationRecord
from buildinghub.credentials.revocations import RevocationList
from buildinghub.keylog.mirror import LedgerMirror
from buildinghub.keylog.trust_store import LedgerTrustStore

from .lock_authority import REVOCATION_MEMORY_S

# Revocations the hub remembers at once (each until its grant ends; see revocations).
MAX_REVOKED = 4096


class LockIdTaken(Exception):
    """Two devices claim the same lock id; the second is not trusted."""


@dataclass(frozen=True, slots=True, kw_only=True)
class HeldGrant:
    """A grant the hub holds for one lock, and the HA user it was installed for."""

    signed: SignedGrant
    lock: str
    user: str | None
    delegation: bytes | None = None
    """The landlord's booking delegation the hub issued this grant under, if it did."""

    @property
    def grant_id(self) -> bytes:
        """The grant's id (CWT cti)."""
        return self.signed.grant.grant_id


@dataclass(frozen=True, slots=True)
class TrustedLock:
    """What the hub knows of one installed lock."""

    ieee: str
    installation: InstallationRecord
    verifier: GrantVerifier


class GrantBook:
    """Grants by id, the locks they are for, and the ids revoked."""

    def __init__(
        self, clock: Clock, ledger: LedgerMirror | None = None, *, building: str | None = None
    ) -> None:
        """``ledger``: take landlord keys from the hub's mirror of the key ledger (SPEC K3)
        instead of from the installation records alone; ``building``: the building this hub
        serves, as the ledger names it (else each lock key's building in the ledger)."""
        self._clock = clock
        self._ledger = ledger
        self._building = building
        self._locks: dict[str, TrustedLock] = {}
        self._by_audience: dict[str, str] = {}
        self._grants: dict[bytes, HeldGrant] = {}
        self._revoked = RevocationList(clock, MAX_REVOKED)

    def trust_lock(self, ieee: str, installation: InstallationRecord) -> None:
        """Accept grants for this lock from the landlord its installation record names.

        A lock id already held by another device is refused: a device that copies a
        door's installation record must not divert that door's grants.
        """
        holder = self._by_audience.get(installation.lock_id)
        if holder is not None and holder != ieee:
            raise LockIdTaken(
                f"lock id {installation.lock_id!r} already belongs to device {holder}; "
                f"device {ieee} is not trusted until the installation is checked"
            )
        previous = self._locks.get(ieee)
        if previous is not None:
            self._by_audience.pop(previous.installation.lock_id, None)
        trust: TrustStore
        if self._ledger is None:
            trust = StaticTrustStore(
                [TrustedIssuer(name=installation.landlord, key=installation.landlord_key)]
            )
        else:
            # The landlord's current key in the ledger, under the name the record gives AND in
            # this building (SPEC S2): a namesake another building's hub registered is not it.
            trust = LedgerTrustStore.for_installation(
                self._ledger, installation, building=self._building
            )
        verifier = GrantVerifier(
            installation.lock_id, trust, self._clock, revoked=self._revoked.__contains__
        )
        self._locks[ieee] = TrustedLock(ieee, installation, verifier)
        self._by_audience[installation.lock_id] = ieee

    def use_ledger(self, ledger: LedgerMirror | None) -> None:
        """Take landlord keys from another mirror (e.g. rebuilt after a fork was resolved)."""
        self._ledger = ledger
        for ieee, lock in list(self._locks.items()):
            self.trust_lock(ieee, lock.installation)

    def lock(self, ieee: str) -> TrustedLock | None:
        """The trusted lock at this address, if installed."""
        return self._locks.get(ieee)

    def lock_for_audience(self, audience: str) -> TrustedLock | None:
        """The trusted lock whose grants name ``audience``, if any."""
        ieee = self._by_audience.get(audience)
        return None if ieee is None else self._locks[ieee]

    def is_revoked(self, grant_id: bytes) -> bool:
        """Whether a grant id was revoked here."""
        return grant_id in self._revoked

    def verify(self, encoded: bytes) -> tuple[TrustedLock, SignedGrant]:
        """Verify a grant for one of our locks; raises a specific CredentialError."""
        audience = decode_grant(encoded).grant.audience
        ieee = self._by_audience.get(audience)
        if ieee is None:
            raise WrongAudience(f"no lock on this hub is called {audience!r}")
        lock = self._locks[ieee]
        return lock, lock.verifier.verify(encoded, upcoming=True)

    def add(self, held: HeldGrant) -> None:
        """Keep a verified grant."""
        if held.grant_id in self._revoked:
            raise GrantRevoked("this grant was revoked")
        self._grants[held.grant_id] = held

    def get(self, grant_id: bytes) -> HeldGrant | None:
        """The grant with this id."""
        return self._grants.get(grant_id)

    def revocation_end(self, grant_id: bytes) -> int:
        """Until when a revocation of ``grant_id`` must be remembered: the grant's end."""
        held = self._grants.get(grant_id)
        return held.signed.grant.expires if held else self._clock.now() + REVOCATION_MEMORY_S

    def check_revocable(self, grant_id: bytes) -> None:
        """RevocationsFull if the hub could not remember this revocation."""
        self._revoked.check_room(grant_id)

    def revoke(self, grant_id: bytes) -> HeldGrant | None:
        """Forget a grant and refuse it until its end; returns it if it was held.

        RevocationsFull (and nothing changes) when the hub's revocation memory is full.
        """
        self._revoked.add(grant_id, self.revocation_end(grant_id))
        return self._grants.pop(grant_id, None)

    def for_lock(self, ieee: str) -> list[HeldGrant]:
        """Every grant held for one lock, earliest start first."""
        return sorted(
            (g for g in self._grants.values() if g.lock == ieee),
            key=lambda g: (g.signed.grant.not_before, g.grant_id),
        )

    def active_for_lock(self, ieee: str) -> list[HeldGrant]:
        """Grants for this lock whose window includes now."""
        now = self._clock.now()
        return [
            g
            for g in self.for_lock(ieee)
            if g.signed.grant.not_before <= now < g.signed.grant.expires
        ]

    def residents(self, ieee: str) -> frozenset[str]:
        """The users who live behind this lock now: those a current lease was installed for.
        (A viewing grant opens the door for its window; it does not make the viewer a
        resident who sees the flat's history.)"""
        return frozenset(
            held.user
            for held in self.active_for_lock(ieee)
            if held.user is not None and held.signed.grant.kind is GrantKind.LEASE
        )

    def next_residents_change(self) -> int | None:
        """When, by the clock alone, some lock's residents next change (a lease installed for
        a user starts or ends); None if no such lease is ahead."""
        now = self._clock.now()
        times = [
            moment
            for held in self._grants.values()
            if held.user is not None and held.signed.grant.kind is GrantKind.LEASE
            for moment in (held.signed.grant.not_before, held.signed.grant.expires)
            if moment > now
        ]
        return min(times, default=None)

    def remote_grant(self, ieee: str, user: str | None, hub_key: PublicKey) -> HeldGrant | None:
        """A grant this user may open this lock with from the app right now, if any."""
        if user is None:
            return None
        lock = self._locks.get(ieee)
        if lock is None:
            return None
        for held in self.active_for_lock(ieee):
            if held.user != user or held.signed.grant.holder_key != hub_key:
                continue
            try:
                lock.verifier.verify_window(held.signed.grant, self._clock.now())
            except CredentialError:
                continue
            return held
        return None

    def purge_expired(self) -> list[HeldGrant]:
        """Drop expired grants (and revocations of grants past their end)."""
        now = self._clock.now()
        expired = [g for g in self._grants.values() if g.signed.grant.expires <= now]
        for held in expired:
            del self._grants[held.grant_id]
        self._revoked.purge_expired()
        return expired

    def __iter__(self) -> Iterator[HeldGrant]:
        return iter(list(self._grants.values()))

    def __len__(self) -> int:
        return len(self._grants)

    # -- storage ---------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """What the hub stores: the signed bytes, never anything decoded or secret."""
        return {
            "grants": [
                {
                    "grant": base64.b64encode(g.signed.encoded).decode(),
                    "lock": g.lock,
                    "user": g.user,
                    **(
                        {"delegation": base64.b64encode(g.delegation).decode()}
                        if g.delegation
                        else {}
                    ),
                }
                for g in self._grants.values()
            ],
            "revoked": self._revoked.to_json(),
        }

    def load_json(self, data: dict[str, Any]) -> None:
        """Restore what :meth:`to_json` wrote (the grants were verified when added)."""
        self._revoked.load_json(data.get("revoked", {}))
        for item in data.get("grants", []):
            signed = decode_grant(base64.b64decode(item["grant"]))
            delegation = item.get("delegation")
            self._grants[signed.grant.grant_id] = HeldGrant(
                signed=signed,
                lock=str(item["lock"]),
                user=item.get("user"),
                delegation=None if delegation is None else base64.b64decode(delegation),
            )
