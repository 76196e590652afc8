"""Reference firmware of a Building Hub door lock: what a real lock must do.

The lock trusts exactly one landlord key, learned from the signed
installation record written at its physical port (SPEC R3). It verifies
every grant itself, keeps a PIN digest per grant and the fingerprint templates
of identity-checked tenants (sealed to it, see door_lock_biometrics), opens
only inside a grant's window and, for a finger, only under a grant naming the
finger's enrolled tenant (R14), answers remote unlocks only with a fresh proof
of possession by the grant's holder key, reports every attempt, and purges
expired grants with their PINs and their tenants' templates on its own
schedule (R6).

Nothing here knows about radios; :mod:`buildinghub_sim.door_lock` puts it
behind the simulated Zigbee network.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from buildinghub.biometrics.matching import admit_finger
from buildinghub.credentials import (
    ChallengeBook,
    Clock,
    CredentialError,
    GrantKind,
    GrantVerifier,
    MalformedGrant,
    PublicKey,
    SignedGrant,
    SigningKey,
    StaleChallenge,
    StaticTrustStore,
    TrustedIssuer,
    UsesExhausted,
    verify_proof,
)
from buildinghub.credentials.booking_delegation import (
    read_delegated_grant,
    verify_delegated_grant,
    verify_delegation,
)
from buildinghub.credentials.installation import InstallationRecord, verify_installation
from buildinghub.credentials.lock_command import CommandAction, LockCommand, verify_command
from buildinghub.credentials.revocations import RevocationList
from buildinghub.credentials.sealing import SealingKey, pin_digest
from buildinghub.devices.door_lock_protocol import (
    UNLOCK_OPERATION,
    AccessEvent,
    AccessMethod,
    ProtocolError,
    UnlockRequest,
)

from .door_lock_biometrics import LockBiometrics

DOOR_KINDS = frozenset({GrantKind.VIEWING, GrantKind.LEASE, GrantKind.REMOTE})
# Revocations of grants that have not ended; a new one is refused when all are taken.
MAX_REVOKED = 256
# After this many wrong PINs in a row the keypad refuses everything for a while, so a
# six-digit PIN cannot be found by trying at the door.
KEYPAD_TRIES = 5
KEYPAD_LOCKOUT_S = 60
DEFAULT_BUILDING = "building"


class LockRefusal(Exception):
    """The lock refused a request; ``reason`` is the code it reports to the hub."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(slots=True)
class StoredGrant:
    """A verified grant and the credentials the lock keeps for it."""

    signed: SignedGrant
    pin_digest: bytes | None
    uses: int = 0
    last_counter: int = 0


class DoorLockFirmware:
    """The decisions of one door lock, with the lock's own keys and clock."""

    def __init__(
        self,
        lock_id: str,
        *,
        clock: Clock,
        signing_key: SigningKey | None = None,
        sealing_key: SealingKey | None = None,
        max_grants: int = 32,
        building: str = DEFAULT_BUILDING,
        radio_templates: bool = True,
    ) -> None:
        self.lock_id = lock_id
        self.building = building
        self.radio_templates = radio_templates
        self.biometrics: LockBiometrics | None = None
        self.clock = clock
        self.signing_key = signing_key or SigningKey.generate()
        self.sealing_key = sealing_key or SealingKey.generate()
        self.max_grants = max_grants
        self.locked = True
        self.installation: InstallationRecord | None = None
        self.installation_bytes = b""
        self.grants: dict[bytes, StoredGrant] = {}
        self._salt = secrets.token_bytes(32)
        self._revoked = RevocationList(clock, MAX_REVOKED)
        self._challenges = ChallengeBook(clock)
        self._verifier: GrantVerifier | None = None
        self._listeners: list[Callable[[AccessEvent], None]] = []
        self._wrong_pins = 0
        self._keypad_locked_until = 0

    # -- installation (at the physical port) -------------------------------------------

    def install(self, record: bytes) -> InstallationRecord:
        """Accept the landlord-signed installation record; only a factory-new lock does."""
        if self.installation is not None:
            raise LockRefusal("unsupported", "this lock is already installed; reset it first")
        parsed = verify_installation(record)
        if parsed.lock_id != self.lock_id or parsed.lock_key != self.signing_key.public_key:
            raise LockRefusal("wrong_audience", "the installation record names another lock")
        if parsed.lock_sealing_key != self.sealing_key.public_key:
            raise LockRefusal("wrong_audience", "the installation record names another key")
        trust = StaticTrustStore([TrustedIssuer(name=parsed.landlord, key=parsed.landlord_key)])
        self._verifier = GrantVerifier(
            self.lock_id, trust, self.clock, revoked=self._revoked.__contains__
        )
        self.installation = parsed
        self.installation_bytes = record
        self.biometrics = LockBiometrics(
            building=self.building,
            installation=parsed,
            signing_key=self.signing_key,
            sealing_key=self.sealing_key,
            clock=self.clock,
            radio_templates=self.radio_templates,
        )
        return parsed

    # -- grants --------------------------------------------------------------------------

    def apply_grant(self, data: bytes) -> StoredGrant:
        """Verify a grant and store it with its PIN; the store is unchanged on any refusal."""
        verifier = self._require_installed()
        return self._store(verifier.verify(data, upcoming=True))

    def apply_delegated_grant(self, payload: bytes) -> StoredGrant:
        """Verify a chain [landlord's booking delegation, the hub's grant under it] and
        store the grant: the delegation is for this lock and signed by its landlord, the
        grant is signed by the hub key the delegation names and only narrows it
        (booking_delegation); the store is unchanged on any refusal."""
        verifier = self._require_installed()
        assert self.installation is not None
        delegation_bytes, grant_bytes = read_delegated_grant(payload)
        delegation, record = verify_delegation(
            delegation_bytes,
            lock=self.lock_id,
            landlord=self.installation.landlord,
            trust=verifier.trust,
        )
        signed = verify_delegated_grant(delegation, record, grant_bytes, now=self.clock.now())
        verifier.verify_not_revoked(signed.grant)
        verifier.verify_not_expired(signed.grant)
        return self._store(signed)

    def _store(self, signed: SignedGrant) -> StoredGrant:
        grant = signed.grant
        if grant.kind not in DOOR_KINDS:
            raise LockRefusal("unsupported", f"a door lock does not take {grant.kind} grants")
        existing = self.grants.get(grant.grant_id)
        if existing is not None:
            if existing.signed.encoded == signed.encoded:
                return existing  # the hub resent after losing our answer
            raise MalformedGrant("another grant with this id is already stored")
        if len(self.grants) >= self.max_grants:
            raise LockRefusal("storage_full", "the lock has no free grant slot; purge or revoke")
        digest = None
        if grant.sealed_pin is not None:
            pin = self.sealing_key.open_pin(
                grant.sealed_pin, audience=self.lock_id, grant_id=grant.grant_id
            )
            digest = pin_digest(self._salt, pin)
        stored = StoredGrant(signed=signed, pin_digest=digest)
        self.grants[grant.grant_id] = stored
        return stored

    def revoke(self, data: bytes) -> None:
        """Drop a grant and its credentials, and refuse it until the grant's own end.

        Only a command signed with authority over this lock, over a nonce it issued, does it
        (lock_command); nothing changes on any refusal, a full revocation memory included.
        """
        command = self.take_command(data, CommandAction.REVOKE)
        stored = self.grants.get(command.grant_id)
        until = stored.signed.grant.expires if stored else command.until
        self._revoked.add(command.grant_id, until)
        self.grants.pop(command.grant_id, None)

    def take_command(self, data: bytes, action: CommandAction) -> LockCommand:
        """A verified command for ``action``, its nonce used up (a replay is stale)."""
        if self.installation is None:
            raise LockRefusal("not_installed", "this lock has no installation record yet")
        command = verify_command(
            data, self.installation, now=self.clock.now(), holders=self.command_holders
        )
        if command.action is not action:
            raise MalformedGrant(f"a {command.action} command sent as a {action} command")
        self._challenges.consume(command.nonce)
        return command

    def command_holders(self, grant_id: bytes) -> list[PublicKey]:
        """Keys besides the landlord's that may revoke ``grant_id`` here: none on a door."""
        return []

    def purge_expired(self) -> int:
        """Remove expired grants with their PIN digests, and their tenants' templates.

        A template belongs to its tenant: it goes when an expired grant named that tenant and
        no grant left on the lock does (a renewed lease keeps the finger enrolled).
        """
        now = self.clock.now()
        expired = [gid for gid, g in self.grants.items() if g.signed.grant.expires <= now]
        ended = {self.grants[gid].signed.grant.subject for gid in expired}
        for grant_id in expired:
            del self.grants[grant_id]
        self._revoked.purge_expired()
        remaining = {stored.signed.grant.subject for stored in self.grants.values()}
        if self.biometrics is not None:
            self.biometrics.drop_tenants(ended - remaining)
        return len(expired)

    # -- attempts at the door ------------------------------------------------------------

    def challenge(self) -> bytes:
        """A fresh single-use nonce for a remote unlock."""
        return self._challenges.issue()

    def keypad(self, pin: str) -> AccessEvent:
        """Someone typed a PIN on the keypad."""
        now = self.clock.now()
        if now < self._keypad_locked_until:
            return self._emit(AccessMethod.KEYPAD, None, "keypad_locked_out")
        digest = pin_digest(self._salt, pin) if pin.isascii() else b""
        matches = [
            g
            for g in self.grants.values()
            if g.pin_digest is not None and hmac.compare_digest(g.pin_digest, digest)
        ]
        if matches:
            self._wrong_pins = 0
        else:
            self._wrong_pins += 1
            if self._wrong_pins >= KEYPAD_TRIES:
                self._wrong_pins = 0
                self._keypad_locked_until = now + KEYPAD_LOCKOUT_S
        return self._decide(AccessMethod.KEYPAD, matches)

    def fingerprint(self, scan: bytes) -> AccessEvent:
        """Someone put a finger on the sensor: only a grant naming its enrolled tenant opens.

        A finger no template matches is no_match; a template of someone no grant here names
        (a friend enrolled elsewhere, a former tenant) is refused under the grant in force,
        with the reason admit_finger gives, so the landlord hears of it.
        """
        matched = None if self.biometrics is None else self.biometrics.match(scan)
        if matched is None:
            return self._emit(AccessMethod.FINGERPRINT, None, "no_match")
        admitted: list[StoredGrant] = []
        refusal: str | None = None
        for stored in self.grants.values():
            decision = admit_finger(stored.signed.grant, matched)
            if decision.admitted:
                admitted.append(stored)
            elif refusal is None and decision.refusal is not None:
                refusal = decision.refusal.value
        if admitted:
            return self._decide(AccessMethod.FINGERPRINT, admitted)
        return self._emit(
            AccessMethod.FINGERPRINT, self._grant_in_force(), refusal or "not_enrolled_tenant"
        )

    def remote_unlock(self, data: bytes) -> AccessEvent:
        """A holder's proof of possession over our nonce, relayed by the hub."""
        try:
            request = UnlockRequest.decode(data)
        except ProtocolError:
            return self._emit(AccessMethod.REMOTE, None, "malformed")
        stored = self.grants.get(request.grant_id)
        if stored is None:
            return self._emit(AccessMethod.REMOTE, request.grant_id, "unknown_grant")
        grant = stored.signed.grant
        try:
            self._challenges.consume(request.nonce)
            if request.counter <= stored.last_counter:
                raise StaleChallenge("the unlock counter did not move forward")
            verify_proof(
                grant.holder_key,
                request.proof,
                nonce=request.nonce,
                verifier_id=self.lock_id,
                operation=UNLOCK_OPERATION,
                grant_digest=stored.signed.digest,
                counter=request.counter,
            )
        except CredentialError as err:
            return self._emit(AccessMethod.REMOTE, grant.grant_id, err.reason)
        stored.last_counter = request.counter
        return self._decide(AccessMethod.REMOTE, [stored])

    def lock(self) -> None:
        """Bolt the door (locking is always allowed)."""
        self.locked = True

    def add_listener(self, listener: Callable[[AccessEvent], None]) -> Callable[[], None]:
        """Be told of every attempt; returns a function that stops it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    # -- internals -----------------------------------------------------------------------

    def _require_installed(self) -> GrantVerifier:
        if self._verifier is None:
            raise LockRefusal("not_installed", "this lock has no installation record yet")
        return self._verifier

    def _grant_in_force(self) -> bytes | None:
        """The grant whose window includes now (the tenancy a refused finger was tried on)."""
        now = self.clock.now()
        for stored in self.grants.values():
            if stored.signed.grant.not_before <= now < stored.signed.grant.expires:
                return stored.signed.grant.grant_id
        return None

    def _decide(self, method: AccessMethod, matches: list[StoredGrant]) -> AccessEvent:
        if not matches:
            return self._emit(method, None, "unknown_credential")
        verifier = self._require_installed()
        refusal: tuple[bytes, str] | None = None
        for stored in matches:
            grant = stored.signed.grant
            try:
                verifier.verify_window(grant, self.clock.now())
                if grant.max_uses is not None and stored.uses >= grant.max_uses:
                    raise UsesExhausted("this grant has no unlocks left")
            except CredentialError as err:
                refusal = refusal or (grant.grant_id, err.reason)
                continue
            stored.uses += 1
            self.locked = False
            return self._emit(method, grant.grant_id, "granted", granted=True)
        assert refusal is not None
        return self._emit(method, refusal[0], refusal[1])

    def _emit(
        self, method: AccessMethod, grant_id: bytes | None, reason: str, *, granted: bool = False
    ) -> AccessEvent:
        event = AccessEvent(
            method=method, granted=granted, reason=reason, grant_id=grant_id, at=self.clock.now()
        )
        for listener in list(self._listeners):
            listener(event)
        return event
