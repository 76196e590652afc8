"""Standard ZCL door locks in Rental Lock (SPEC R15, R17): their records, PIN tables, repairs.

A standard lock holds no installation record, so its landlord signs one that names the
hub's keys as the lock's (the hub verifies for that lock and holds the key its PINs are
sealed to) and the manager hands it to the hub, which keeps it. With a key ledger, the
record's landlord key must be that landlord's current key in the ledger, in the building
the hub serves: a lock without a key of its own has nothing to look up in the ledger,
and its building is the hub's. The decisions (slots, capacity, drift, use counts, local
time) live in buildinghub.devices.standard_door_lock; this module stores them with Home
Assistant and raises the repairs a person must act on.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import zigpy.device
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from buildinghub.credentials import CredentialError, MalformedGrant, SignedGrant
from buildinghub.credentials.installation import InstallationRecord, verify_installation
from buildinghub.credentials.sealing import SealingKey
from buildinghub.devices.door_lock import LockRefused
from buildinghub.devices.pin_users import PinSlot, PinTable
from buildinghub.devices.standard_door_lock import CaughtUp, Reconciled, StandardDoorLock
from buildinghub.devices.standard_lock import StandardLockClient
from buildinghub.keylog.errors import KeylogError
from buildinghub.keylog.landlord_trust import trusted_landlord
from buildinghub.radio.cluster import CLUSTER_ID
from buildinghub.radio.errors import DeviceUnreachable

from .const import DOMAIN

if TYPE_CHECKING:
    from .hub import LockContext, RentalHub

_LOGGER = logging.getLogger(__name__)


def is_standard_lock(device: zigpy.device.Device) -> bool:
    """Whether a door lock on the network is a standard one (no Building Hub cluster)."""
    endpoint = device.endpoints.get(1)
    clusters = getattr(endpoint, "in_clusters", {})
    return CLUSTER_ID not in clusters


class NotAStandardLock(CredentialError):
    """The installation record is for no standard lock here, or does not name the hub."""

    reason = "not_a_standard_lock"


class HubStandardLocks:
    """The standard locks of one hub: their landlords' records and the hub's PIN tables."""

    def __init__(self, hass: HomeAssistant, hub: RentalHub) -> None:
        """Keep the standard locks of ``hub``."""
        self.hass = hass
        self.hub = hub
        self.sealing_key = SealingKey.generate()
        self.records: dict[str, bytes] = {}
        self._tables: dict[str, PinTable] = {}
        self.providers: dict[str, StandardDoorLock] = {}

    # -- storage -------------------------------------------------------------------------

    def load_json(self, data: dict[str, Any]) -> None:
        """Restore what :meth:`to_json` wrote."""
        self.sealing_key = SealingKey.from_pem(data["sealing_key"].encode())
        self.records = {ieee: bytes.fromhex(record) for ieee, record in data["records"].items()}
        cursors = data.get("log_cursors", {})
        for ieee, slots in data["tables"].items():
            table = PinTable()
            table.load_json(slots)
            table.log_cursor = cursors.get(ieee)
            self._tables[ieee] = table

    def to_json(self) -> dict[str, Any]:
        """The hub's key for PINs, the landlords' records, the PIN tables (no PIN) and how
        far each lock's log was read."""
        return {
            "sealing_key": self.sealing_key.to_pem().decode(),
            "records": {ieee: record.hex() for ieee, record in self.records.items()},
            "tables": {ieee: table.to_json() for ieee, table in self._tables.items()},
            "log_cursors": {ieee: table.log_cursor for ieee, table in self._tables.items()},
        }

    # -- installing ----------------------------------------------------------------------

    def check_record(self, ieee: str, data: bytes) -> InstallationRecord:
        """A landlord's record for the standard lock at ``ieee``, checked (nothing kept yet).

        It must be signed by the landlord it names, name the hub's key as the lock's key
        and the hub's PIN key as its sealing key, and be for a standard lock on this network;
        with a key ledger, its landlord key must be the ledger's current key of the landlord
        it names, in the hub's building.
        """
        record = verify_installation(data)
        device = next((d for d in self.hub.network.devices() if str(d.ieee) == ieee), None)
        if device is None or not is_standard_lock(device):
            raise NotAStandardLock(f"there is no standard door lock at {ieee} on this network")
        if record.lock_key != self.hub.hub_key.public_key:
            raise NotAStandardLock(
                "the record does not name this hub's key as the lock's key: a standard lock "
                "cannot verify grants, so its record must make this hub its verifier"
            )
        if record.lock_sealing_key != self.sealing_key.public_key:
            raise NotAStandardLock(
                "the record does not name this hub's PIN key as the lock's sealing key"
            )
        ledger = self.hub.ledger
        if ledger is not None:
            state = ledger.mirror.state if ledger.mirror is not None else None
            try:
                if state is None:
                    raise KeylogError("the hub holds no copy of the key ledger yet")
                trusted_landlord(
                    state, record.landlord_key.kid, record, building=ledger.options.building
                )
            except KeylogError as err:
                raise NotAStandardLock(
                    f"the key ledger does not confirm the landlord's key: {err}"
                ) from None
        return record

    def _same_landlord(self, previous: InstallationRecord, record: InstallationRecord) -> bool:
        # With a ledger a landlord is a name in this building (their key may rotate); without
        # one, the key that signed the first record.
        if self.hub.ledger is not None:
            return previous.landlord == record.landlord
        return previous.landlord_key == record.landlord_key

    async def async_install(self, ieee: str, data: bytes) -> InstallationRecord:
        """Keep a landlord's record for the standard lock at ``ieee`` and take the lock in.

        Refused (nothing kept) when :meth:`check_record` refuses it, when another device
        already has its lock id, or when the lock was installed by another landlord: as
        with a physical installation, whoever installed the lock first is its landlord.
        """
        await self.hub.async_sync_ledger()
        record = self.check_record(ieee, data)
        holder = self.hub.book.lock_for_audience(record.lock_id)
        if holder is not None and holder.ieee != ieee:
            raise NotAStandardLock(f"lock id {record.lock_id!r} already belongs to another lock")
        previous = self.records.get(ieee)
        if previous is not None and not self._same_landlord(verify_installation(previous), record):
            raise NotAStandardLock(
                "this lock was installed by another landlord; only that landlord's key "
                "may sign its record"
            )
        self.records[ieee] = data
        await self.hub.async_save()
        device = next(d for d in self.hub.network.devices() if str(d.ieee) == ieee)
        await self.hub.fleet.async_adopt(
            ieee, lambda: self.hub.async_adopt(device), announce=previous is None
        )
        return record

    def adopt(self, device: zigpy.device.Device) -> tuple[StandardDoorLock, InstallationRecord]:
        """The standard lock at ``device`` as a provider (LookupError: no record yet)."""
        ieee = str(device.ieee)
        data = self.records.get(ieee)
        if data is None:
            self._raise(
                f"standard_lock_not_installed_{ieee}",
                "standard_lock_not_installed",
                ir.IssueSeverity.WARNING,
                address=ieee,
            )
            raise LookupError(ieee)
        record = verify_installation(data)
        self.hub.book.trust_lock(ieee, record)
        ir.async_delete_issue(self.hass, DOMAIN, f"standard_lock_not_installed_{ieee}")
        table = self._tables.setdefault(ieee, PinTable())
        provider = StandardDoorLock(
            StandardLockClient(device, clock=self.hub.clock),
            lock_id=record.lock_id,
            sealing_key=self.sealing_key,
            clock=self.hub.clock,
            zone=ZoneInfo(self.hass.config.time_zone),
            table=table,
            on_change=self._changed,
        )
        provider.add_foreign_code_listener(self._foreign_code_handler(ieee, record.flat))
        provider.add_used_up_listener(self._used_up_handler(provider))
        provider.add_log_listener(self._log_handler(provider, record.flat))
        self.providers[ieee] = provider
        return provider, record

    # -- keeping the lock in step --------------------------------------------------------

    async def async_reconcile(self, context: LockContext) -> Reconciled | None:
        """Read the lock's user table back, repair what differs, raise what cannot be."""
        provider = self.providers.get(context.address)
        if provider is None:
            return None

        def held() -> dict[bytes, SignedGrant]:
            now = self.hub.clock.now()
            return {
                h.grant_id: h.signed
                for h in self.hub.book.for_lock(context.address)
                if h.signed.grant.expires > now
            }

        try:
            result = await provider.reconcile(held)
        except (DeviceUnreachable, LockRefused, MalformedGrant) as err:
            _LOGGER.warning("Could not read the user table of %s: %s", context.address, err)
            return None
        flat = context.installation.flat
        issue = f"standard_lock_drift_{context.address}"
        if result.failed:
            self._raise(
                issue,
                "standard_lock_drift",
                ir.IssueSeverity.ERROR,
                flat=flat,
                users=", ".join(map(str, result.failed)),
            )
        else:
            ir.async_delete_issue(self.hass, DOMAIN, issue)
        for user_id in result.foreign:
            self._raise_foreign(context.address, flat, user_id)
        if result.caught_up is not None:
            self._raise_over_limit(flat, result.caught_up)
        return result

    async def async_withdraw(self, ieee: str, grant_id: bytes) -> None:
        """Clear a grant's PIN at its standard lock (revoked, used up)."""
        provider = self.providers.get(ieee)
        if provider is not None:
            await provider.withdraw(grant_id)

    def forget(self, ieee: str) -> None:
        """The lock is no longer managed (the entry unloads)."""
        self.providers.pop(ieee, None)

    # -- what the lock tells -------------------------------------------------------------

    def _foreign_code_handler(self, ieee: str, flat: str) -> Any:
        @callback
        def handle(user_id: int) -> None:
            self._raise_foreign(ieee, flat, user_id)

        return handle

    def _used_up_handler(self, provider: StandardDoorLock) -> Any:
        @callback
        def handle(slot: PinSlot) -> None:
            self.hub.entry.async_create_task(
                self.hass,
                self._async_clear_used_up(provider, slot),
                f"{DOMAIN} clear used-up PIN",
            )

        return handle

    def _log_handler(self, provider: StandardDoorLock, flat: str) -> Any:
        @callback
        def handle() -> None:
            self.hub.entry.async_create_task(
                self.hass, self._async_catch_up(provider, flat), f"{DOMAIN} read lock log"
            )

        return handle

    async def _async_catch_up(self, provider: StandardDoorLock, flat: str) -> None:
        try:
            caught_up = await provider.catch_up()
        except (DeviceUnreachable, LockRefused) as err:
            # The next reconciliation reads the log again from where it was.
            _LOGGER.warning("Could not read the log of %s: %s", provider.ieee, err)
            return
        if caught_up is not None:
            self._raise_over_limit(flat, caught_up)

    def _raise_over_limit(self, flat: str, caught_up: CaughtUp) -> None:
        # A standard lock cannot count: uses the hub did not hear in time went past the limit.
        for slot in caught_up.counted:
            if slot.max_uses is None or slot.uses <= slot.max_uses:
                continue
            self._raise(
                f"standard_lock_uses_exceeded_{slot.grant_id.hex()}",
                "standard_lock_uses_exceeded",
                ir.IssueSeverity.WARNING,
                flat=flat,
                holder=self.hub.holder_of(slot.grant_id) or slot.grant_id.hex(),
                uses=str(slot.uses),
                max_uses=str(slot.max_uses),
            )
        if caught_up.lost:
            _LOGGER.warning(
                "The log of the standard lock of %s overflowed: %d records were not read, "
                "uses in them are not counted",
                flat,
                caught_up.lost,
            )

    async def _async_clear_used_up(self, provider: StandardDoorLock, slot: PinSlot) -> None:
        try:
            await provider.withdraw(slot.grant_id)
        except (DeviceUnreachable, LockRefused) as err:
            # The next reconciliation clears it: the slot stays marked used up.
            _LOGGER.warning("Could not clear a used-up PIN at %s: %s", provider.ieee, err)
        await self.hub.async_save()

    def _raise_foreign(self, ieee: str, flat: str, user_id: int) -> None:
        self._raise(
            f"standard_lock_foreign_code_{ieee}_{user_id}",
            "standard_lock_foreign_code",
            ir.IssueSeverity.ERROR,
            flat=flat,
            user=str(user_id),
        )

    def _raise(
        self, issue_id: str, key: str, severity: ir.IssueSeverity, **placeholders: str
    ) -> None:
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            severity=severity,
            translation_key=key,
            translation_placeholders=placeholders,
        )

    def _changed(self) -> None:
        self.hub.entry.async_create_task(
            self.hass, self.hub.async_save(), f"{DOMAIN} save PIN table"
        )
