"""The hub's side of Rental Lock: its locks, its grant book, its key.

The decisions (verification, who may use which grant) live in the library;
this module stores them with Home Assistant, keeps the locks in step, and
raises repairs when a person must act.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import zigpy.device
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.storage import Store

from buildinghub.credentials import (
    CredentialError,
    MonotonicClock,
    SigningKey,
    UnauthorisedCommand,
    UnknownIssuer,
    WrongAudience,
    decode_grant,
)
from buildinghub.credentials.installation import InstallationRecord
from buildinghub.credentials.lock_command import Appointment, CommandAction, read_appointment
from buildinghub.devices.door_lock import DoorLockClient, LockRefused
from buildinghub.devices.door_lock_protocol import AccessEvent
from buildinghub.devices.grant_book import GrantBook, HeldGrant, LockIdTaken
from buildinghub.devices.kinds import DeviceKind
from buildinghub.devices.lock_authority import LockAuthority
from buildinghub.devices.lock_provider import LockProvider
from buildinghub.devices.pin_users import Guarantee
from buildinghub.keylog.errors import KeylogError
from buildinghub.keylog.key_state import KeyStatus
from buildinghub.keylog.landlord_trust import trusted_landlord
from buildinghub.radio.errors import DeviceUnreachable, RadioError
from buildinghub.radio.network import BuildingNetwork
from buildinghub_ha.fleet import DeviceCard, ManagedDevice, flat_area
from buildinghub_ha.hub import DeviceHub
from buildinghub_ha.landlords import flats_of

from .biometrics import HubBiometrics
from .bookings import HubBookings
from .const import DOMAIN, LEDGER_SYNC_INTERVAL, PURGE_INTERVAL, RECONCILE_INTERVAL
from .coordinator import LockCoordinator, RentalLockConfigEntry
from .ledger import HubLedger, LedgerOptions
from .standard_locks import HubStandardLocks, is_standard_lock

_LOGGER = logging.getLogger(__name__)
STORAGE_VERSION = 1
REVOKE = CommandAction.REVOKE


class NoUsableGrant(Exception):
    """The user holds no grant that opens this lock from the app right now."""


@dataclass(kw_only=True)
class LockContext(ManagedDevice[LockProvider, LockCoordinator]):
    """One lock the hub manages, and the installation record it stated (or, for a standard
    lock, its landlord gave the hub)."""

    installation: InstallationRecord

    @property
    def guarantee(self) -> Guarantee:
        """Who checks a credential at this door."""
        return self.client.guarantee

    @property
    def card(self) -> DeviceCard:
        """The flat's door, in the flat's area."""
        standard = self.guarantee is Guarantee.ENFORCED_BY_SCHEDULE
        return DeviceCard(
            domain=DOMAIN,
            device_id=self.installation.lock_id,
            name="Door",
            model="Standard Zigbee door lock" if standard else "Rental door lock",
            serial_number=self.address,
            area=flat_area(self.installation.flat),
        )


class RentalHub(DeviceHub[LockContext]):
    """Locks, grants and the hub key of one config entry."""

    entry: RentalLockConfigEntry

    def __init__(
        self, hass: HomeAssistant, entry: RentalLockConfigEntry, network: BuildingNetwork
    ) -> None:
        """Manage the door locks on ``network`` for ``entry``."""
        super().__init__(hass, entry, network, DeviceKind.DOOR_LOCK)
        self.clock = MonotonicClock()
        options = LedgerOptions.from_options(dict(entry.options))
        self.book = GrantBook(self.clock, building=None if options is None else options.building)
        self.ledger = (
            None if options is None else HubLedger(hass, entry.entry_id, options, self.clock)
        )
        self.hub_key = SigningKey.generate()
        self.authority = LockAuthority(self.clock)
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.{entry.entry_id}", private=True
        )
        self.biometrics = HubBiometrics(hass, self)
        self.standard_locks = HubStandardLocks(hass, self)
        self.bookings = HubBookings(hass, self)

    @property
    def locks(self) -> dict[str, LockContext]:
        """The locks the hub manages, by address."""
        return self.fleet.members

    # -- lifecycle -------------------------------------------------------------------------

    async def async_start(self) -> None:
        """Load what the hub holds and bring every lock on the network in."""
        stored = await self._store.async_load()
        if stored is not None:
            self.hub_key = SigningKey.from_pem(stored["hub_key"].encode())
            self.book.load_json(stored["book"])
            self.authority.load_json(stored.get("appointments", {}))
            if "standard_locks" in stored:
                self.standard_locks.load_json(stored["standard_locks"])
        else:
            await self._async_save()
        await self.biometrics.async_load()
        self.biometrics.replay_records()
        if self.ledger is not None:
            self.book.use_ledger(await self.ledger.async_load())
            await self._async_sync_ledger()
            self.entry.async_on_unload(
                async_track_time_interval(
                    self.hass, self._async_scheduled_ledger_sync, LEDGER_SYNC_INTERVAL
                )
            )
        await super().async_start()
        self.entry.async_on_unload(
            async_track_time_interval(self.hass, self._async_scheduled_purge, PURGE_INTERVAL)
        )
        self.entry.async_on_unload(
            async_track_time_interval(
                self.hass, self._async_scheduled_reconcile, RECONCILE_INTERVAL
            )
        )
        await self.bookings.async_start()

    async def async_stop(self) -> None:
        """Stop listening to the locks."""
        await super().async_stop()

    async def async_adopt(self, device: zigpy.device.Device) -> LockContext | None:
        """A door lock on the network, if it states an installation the hub may trust (a
        standard lock: if its landlord gave the hub its installation record)."""
        ieee = str(device.ieee)
        client: LockProvider
        try:
            if is_standard_lock(device):
                client, installation = self.standard_locks.adopt(device)
            else:
                client = DoorLockClient(device, clock=self.clock)
                installation = await client.read_installation()
                self.book.trust_lock(ieee, installation)
        except LookupError:
            _LOGGER.info("Standard lock %s waits for its landlord's installation record", ieee)
            return None
        except (LockRefused, CredentialError, RadioError) as err:
            _LOGGER.warning("Lock %s is not ready to manage: %s", ieee, err)
            return None
        except LockIdTaken as err:
            _LOGGER.warning("Not managing device %s: %s", ieee, err)
            return None
        coordinator = LockCoordinator(self.hass, self.entry, client, installation.flat)
        stop_access = client.add_access_listener(self._access_handler(ieee))
        stop_bolt = client.add_bolt_listener(self._bolt_handler(coordinator))

        def unsubscribe() -> None:
            stop_access()
            stop_bolt()

        return LockContext(ieee, client, coordinator, unsubscribe, installation=installation)

    async def async_joined(self, member: LockContext) -> None:
        """Deliver every grant the hub holds for this lock (the lock ignores repeats); read a
        standard lock's user table back and put it right; follow its booking calendar."""
        self.bookings.async_lock_joined(member.address)
        if member.guarantee is Guarantee.ENFORCED_BY_SCHEDULE:
            await self.standard_locks.async_reconcile(member)
            return
        for held in self.book.for_lock(member.address):
            if held.signed.grant.expires <= self.clock.now():
                continue
            try:
                if held.delegation is None:
                    await member.client.install_grant(held.signed)
                else:
                    await member.client.install_delegated_grant(held.delegation, held.signed)
            except (LockRefused, DeviceUnreachable) as err:
                _LOGGER.warning("Could not bring a grant to %s: %s", member.installation.flat, err)
        await self.biometrics.async_sync_lock(member)

    # -- grants ----------------------------------------------------------------------------

    async def async_install_grant(self, encoded: bytes, user: str | None) -> HeldGrant:
        """Verify a landlord-signed grant, deliver it to its lock, keep it.

        Raises CredentialError when the hub refuses it, LockRefused when the lock
        does, DeviceUnreachable when the lock cannot be reached; nothing is kept then.
        With a key ledger, the hub first catches up with it, so a key revoked there is
        refused at once.
        """
        if self.ledger is not None:
            await self._async_sync_ledger()
        try:
            trusted, signed = self.book.verify(encoded)
        except UnknownIssuer as err:
            raise self._explain_unknown_issuer(encoded) or err from None
        context = self.locks[trusted.ieee]
        held = HeldGrant(signed=signed, lock=trusted.ieee, user=user)
        try:
            await context.client.install_grant(signed)
        except LockRefused as err:
            self._raise_refused_issue(held, err.reason)
            raise
        self.book.add(held)
        ir.async_delete_issue(self.hass, DOMAIN, f"grant_refused_{held.grant_id.hex()}")
        await self._async_save()
        return held

    # -- key ledger ------------------------------------------------------------------------

    async def _async_sync_ledger(self) -> None:
        assert self.ledger is not None
        try:
            await self.ledger.async_sync()
        except KeylogError as err:
            # A fork or an unverifiable checkpoint: keep trusting only what was verified.
            _LOGGER.warning("Key ledger update refused: %s", err)

    async def async_sync_ledger(self) -> None:
        """Catch up with the key ledger now, if the hub has one."""
        if self.ledger is not None:
            await self._async_sync_ledger()

    async def _async_scheduled_ledger_sync(self, _now: datetime) -> None:
        await self._async_sync_ledger()

    async def async_resolve_keylog_fork(self) -> int:
        """After an administrator investigated a fork: re-anchor on the ledger's checkpoint."""
        assert self.ledger is not None
        mirror, checkpoint = await self.ledger.async_resolve()
        self.book.use_ledger(mirror)
        return checkpoint.size

    def _explain_unknown_issuer(self, encoded: bytes) -> UnknownIssuer | None:
        # Say why when the ledger knows the key: revoked or rotated is what a person must hear.
        if self.ledger is None or self.ledger.mirror is None:
            return None
        kid = decode_grant(encoded).kid
        record = self.ledger.mirror.state.key(kid)
        if record is None:
            return UnknownIssuer(
                f"the key {kid.hex()} that signed this grant is not in the key ledger"
            )
        if record.status is KeyStatus.ACTIVE:
            return self._explain_untrusted_landlord(encoded, kid)
        return UnknownIssuer(
            f"the key {kid.hex()} of {record.subject!r} was {record.status.value} in the key "
            f"ledger (entry {record.changed_index}): grants it signs are refused"
        )

    def _explain_untrusted_landlord(self, encoded: bytes, kid: bytes) -> UnknownIssuer | None:
        # An active key that is not this lock's landlord here: a namesake of another building.
        assert self.ledger is not None
        assert self.ledger.mirror is not None
        lock = self.book.lock_for_audience(decode_grant(encoded).grant.audience)
        if lock is None:
            return None
        try:
            trusted_landlord(
                self.ledger.mirror.state,
                kid,
                lock.installation,
                building=self.ledger.options.building,
            )
        except KeylogError as err:
            return UnknownIssuer(str(err))
        return None

    async def async_appoint(self, data: bytes) -> tuple[LockContext, Appointment]:
        """Keep a landlord's appointment of the hub's key: the hub may then revoke at that
        lock (lock_authority). Raises a CredentialError when it is not for a lock here, not
        the landlord's, expired, or for another key. Returns the lock and the appointment as
        verified."""
        lock_id = read_appointment(data).lock
        trusted = self.book.lock_for_audience(lock_id)
        if trusted is None or trusted.ieee not in self.locks:
            raise WrongAudience(f"no lock on this hub is called {lock_id!r}")
        appointment = self.authority.appoint(data, trusted.installation, self.hub_key.public_key)
        await self._async_save()
        return self.locks[trusted.ieee], appointment

    async def async_revoke(self, grant_id: bytes) -> HeldGrant | None:
        """Revoke a grant at the hub at once and at its lock, by a command the hub signs
        under its landlord's appointment. Refused (and nothing changes) when the hub may not
        command that lock or cannot remember one more revocation."""
        held = self.book.get(grant_id)
        if held is not None:
            targets = [self.locks[held.lock]] if held.lock in self.locks else []
        else:
            targets = [
                c for c in self.locks.values() if self.authority.appointment(c.installation.lock_id)
            ]
            if not targets:
                raise UnauthorisedCommand(
                    "no landlord of a lock on this hub has appointed the hub's key: a grant "
                    "the hub does not hold can only be revoked by its landlord's own command"
                )
        until = self.book.revocation_end(grant_id)
        self.book.check_revocable(grant_id)
        # A standard lock takes no signed command: the hub, its verifier, clears the PIN.
        signed = [(c, c.client) for c in targets if isinstance(c.client, DoorLockClient)]
        for context, _ in signed:
            self.authority.command(
                context.installation, REVOKE, grant_id, until, self.hub_key, bytes(16)
            )
        self.book.revoke(grant_id)
        await self._async_save()
        for context in targets:
            await self.standard_locks.async_withdraw(context.address, grant_id)
        for context, client in signed:
            await self.authority.async_send(
                client,
                context.installation,
                REVOKE,
                grant_id,
                key=self.hub_key,
                until=until,
            )
        return held

    async def async_purge_expired(self) -> int:
        """Purge expired grants at the hub and ask every lock to purge too."""
        expired = self.book.purge_expired()
        await self._async_save()
        await self.biometrics.async_purge(expired)
        for context in self.locks.values():
            try:
                await context.client.purge_expired()
            except DeviceUnreachable as err:
                _LOGGER.info("Lock %s did not answer the purge: %s", context.address, err)
        return len(expired)

    async def _async_scheduled_purge(self, _now: datetime) -> None:
        await self.async_purge_expired()

    async def _async_scheduled_reconcile(self, _now: datetime) -> None:
        for context in list(self.locks.values()):
            await self.standard_locks.async_reconcile(context)

    async def async_unlock(self, ieee: str, user: str | None) -> HeldGrant:
        """Open a lock for a Home Assistant user who holds a grant for it."""
        held = self.book.remote_grant(ieee, user, self.hub_key.public_key)
        if held is None:
            raise NoUsableGrant
        await self.locks[ieee].client.unlock(held.signed, self.hub_key)
        return held

    # -- events ----------------------------------------------------------------------------

    def _access_handler(self, ieee: str) -> Callable[[AccessEvent], None]:
        @callback
        def handle(event: AccessEvent) -> None:
            async_dispatcher_send(self.hass, self.signal("access", ieee), event)

        return handle

    @staticmethod
    def _bolt_handler(coordinator: LockCoordinator) -> Callable[[bool], None]:
        @callback
        def handle(locked: bool) -> None:
            if coordinator.data is not None and coordinator.data.locked != locked:
                coordinator.async_set_updated_data(replace(coordinator.data, locked=locked))

        return handle

    def context_for_lock_id(self, lock_id: str) -> LockContext | None:
        """The managed lock whose id (its grants' audience) is lock_id, if any."""
        for context in self.locks.values():
            if context.installation.lock_id == lock_id:
                return context
        return None

    def flat_at(self, address: str) -> str:
        """The flat whose lock is at ``address`` (the address, for a lock not managed here)."""
        context = self.locks.get(address)
        return address if context is None else context.installation.flat

    def devices_of(self, user_id: str) -> list[str]:
        """The doors (lock ids) whose current grants were installed for ``user_id``."""
        now = self.clock.now()
        return sorted(
            {
                held.signed.grant.audience
                for held in self.book
                if held.user == user_id and held.signed.grant.expires > now
            }
        )

    def area_entities(self, areas: set[str]) -> list[str]:
        """No hub-wide entity of Rental Lock belongs to a flat."""
        return []

    def let_devices_of(self, user_id: str) -> list[str]:
        """The doors (lock ids) of the flats ``user_id`` is the linked landlord of."""
        key = self.entry.runtime_data.landlords.key_of(user_id)
        installations = [context.installation for context in self.locks.values()]
        return [] if key is None else flats_of(key, installations)

    def raw_readings(self) -> list[str]:
        """Rental Lock measures nothing of a dwelling."""
        return []

    def holder_of(self, grant_id: bytes | None) -> str | None:
        """Who a grant was issued to, if the hub holds it."""
        held = self.book.get(grant_id) if grant_id else None
        return held.signed.grant.subject if held else None

    def _raise_refused_issue(self, held: HeldGrant, reason: str) -> None:
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            f"grant_refused_{held.grant_id.hex()}",
            is_fixable=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key="grant_refused",
            translation_placeholders={
                "flat": self.locks[held.lock].installation.flat,
                "holder": held.signed.grant.subject,
                "reason": reason,
            },
        )

    async def async_save(self) -> None:
        """Keep what the hub holds (its key, grants, appointments, standard locks)."""
        await self._async_save()

    async def _async_save(self) -> None:
        await self._store.async_save(
            {
                "hub_key": self.hub_key.to_pem().decode(),
                "book": self.book.to_json(),
                "appointments": self.authority.to_json(),
                "standard_locks": self.standard_locks.to_json(),
            }
        )
        async_dispatcher_send(self.hass, self.signal("grants"))
