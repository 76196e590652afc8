"""The hub's side of Community Meter: its meters, its outbox, its relay to the cloud.

The work (collecting, the durable outbox, uploading, receipts, erase commands) is the
library's :class:`~buildinghub.telemetry.relay.Relay`; this module schedules it, finds
the meters, registers them with the cloud and tells entities what changed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import zigpy.device
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import async_track_time_interval

from buildinghub.devices.kinds import DeviceKind, device_kind
from buildinghub.devices.meter import MeterClient, MeterProtocolError
from buildinghub.radio.errors import RadioError
from buildinghub.radio.network import BuildingNetwork
from buildinghub.telemetry.cloud_client import (
    AccountView,
    CloudClient,
    CloudRefused,
    CloudUnavailable,
)
from buildinghub.telemetry.identity import MeterIdentity
from buildinghub.telemetry.outbox import OutboxCounts
from buildinghub.telemetry.reading import Quantity
from buildinghub.telemetry.relay import Relay

from .away import DwellingPresence
from .const import (
    BUS_EVENT_LOW_BALANCE,
    BUS_EVENT_READINGS_LOST,
    DISCOVERY_WAIT_S,
    DOMAIN,
    RELAY_INTERVAL,
)
from .coordinator import CommunityMeterConfigEntry, MeterCoordinator

_LOGGER = logging.getLogger(__name__)


@dataclass
class MeterContext:
    """One meter the hub manages."""

    ieee: str
    client: MeterClient
    identity: MeterIdentity
    coordinator: MeterCoordinator
    unsubscribe: Callable[[], None]


@dataclass
class HubState:
    """What the hub knows beyond single meters: outbox, cloud, balances."""

    outbox: OutboxCounts = field(default_factory=lambda: OutboxCounts(0, 0, 0))
    cloud_reachable: bool = True
    accounts: dict[str, AccountView] = field(default_factory=dict)


def signal_hub(entry_id: str) -> str:
    """Dispatcher signal: outbox, cloud or balances changed."""
    return f"{DOMAIN}_{entry_id}_hub"


def signal_new_meter(entry_id: str) -> str:
    """Dispatcher signal: a meter joined after setup."""
    return f"{DOMAIN}_{entry_id}_new_meter"


def signal_lost(entry_id: str, meter_id: str) -> str:
    """Dispatcher signal: a meter erased readings without a receipt."""
    return f"{DOMAIN}_{entry_id}_{meter_id}_lost"


def signal_low_balance(entry_id: str) -> str:
    """Dispatcher signal: a dwelling's balance fell below its threshold."""
    return f"{DOMAIN}_{entry_id}_low_balance"


def is_meter(device: zigpy.device.Device) -> bool:
    """Whether a device is one of our meters (Metering and our cluster)."""
    return device_kind(device) is DeviceKind.METER


class MeterHub:
    """Meters, outbox and relay of one config entry."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: CommunityMeterConfigEntry,
        network: BuildingNetwork,
        relay: Relay,
        cloud: CloudClient,
    ) -> None:
        """Manage the meters on ``network``; ``relay`` moves their readings."""
        self.hass = hass
        self.entry = entry
        self.network = network
        self.relay = relay
        self.cloud = cloud
        self.meters: dict[str, MeterContext] = {}
        self.state = HubState()
        self.presence = DwellingPresence(hass, entry.entry_id)
        self._registered: set[str] = set()
        # Balances are fetched once the entities exist: a low balance found before then
        # would fire its event where nobody (no event entity, no automation) hears it.
        self.entities_ready = False
        self._relaying = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()

    # -- lifecycle -------------------------------------------------------------------------

    async def async_start(self) -> None:
        """Bring in every meter on the network and start the relay's schedule."""
        await self.presence.async_load()
        await self.network.wait_for_interviews(DISCOVERY_WAIT_S)
        for device in list(self.network.devices()):
            if is_meter(device):
                await self._async_add_meter(device)
        self.network.add_listener(self)
        self.entry.async_on_unload(lambda: self.network.remove_listener(self))
        self.entry.async_on_unload(
            async_track_time_interval(self.hass, self._async_scheduled_relay, RELAY_INTERVAL)
        )
        self.state.outbox = await self.relay.outbox.counts()

    async def async_stop(self) -> None:
        """Stop listening to the meters and close the outbox (everything in it is on disk)."""
        for context in self.meters.values():
            context.unsubscribe()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        async with self._relaying:
            await self.relay.outbox.close()
        await self.presence.async_save()

    def device_initialized(self, device: zigpy.device.Device) -> None:
        """zigpy: a device joined and was interviewed."""
        if is_meter(device) and str(device.ieee) not in self.meters:
            self.schedule(self._async_add_meter(device, announce=True))

    async def _async_add_meter(
        self, device: zigpy.device.Device, *, announce: bool = False
    ) -> None:
        ieee = str(device.ieee)
        client = MeterClient(device)
        try:
            identity = await client.read_identity()
        except (RadioError, MeterProtocolError) as err:
            _LOGGER.warning("Meter %s did not state its identity: %s", ieee, err)
            return
        coordinator = MeterCoordinator(self.hass, self.entry, client, identity)
        unsubscribe = client.add_report_listener(lambda total: self._reported(identity, total))
        self.meters[identity.meter_id] = MeterContext(
            ieee, client, identity, coordinator, unsubscribe
        )
        await self._async_register(identity)
        await coordinator.async_refresh()
        if announce:
            async_dispatcher_send(
                self.hass, signal_new_meter(self.entry.entry_id), identity.meter_id
            )

    async def _async_register(self, identity: MeterIdentity) -> None:
        if identity.meter_id in self._registered:
            return
        try:
            await self.cloud.register_meter(
                identity.meter_id, identity.dwelling, identity.quantity, identity.public_key
            )
        except (CloudUnavailable, CloudRefused) as err:
            # Readings wait in the outbox; registration is tried again with each relay round.
            _LOGGER.info(
                "Meter %s is not registered with the cloud yet: %s", identity.meter_id, err
            )
            return
        self._registered.add(identity.meter_id)

    # -- the relay -------------------------------------------------------------------------

    @callback
    def schedule(self, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` as a task of the entry that stopping the hub cancels."""
        task = self.entry.async_create_task(self.hass, work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @callback
    def _reported(self, identity: MeterIdentity, total: Decimal | None) -> None:
        """A meter took a reading: feed away detection, collect it and relay."""
        if identity.quantity is Quantity.ELECTRICITY and total is not None:
            self.presence.add_reading(identity.dwelling, total)
        self.schedule(self.async_collect_and_relay(identity.meter_id))

    async def async_collect_and_relay(self, meter_id: str) -> None:
        """A meter took a reading: collect it, then run the relay."""
        context = self.meters.get(meter_id)
        if context is not None:
            try:
                await self.relay.collect(meter_id, context.client)
            except (RadioError, MeterProtocolError) as err:
                _LOGGER.debug("Could not collect from %s: %s", meter_id, err)
        await self.async_relay()

    async def _async_scheduled_relay(self, _now: datetime) -> None:
        await self.async_relay()

    async def async_relay(self) -> None:
        """Upload what is pending, deliver erase commands, refresh balances."""
        async with self._relaying:
            # Meters may join while this awaits the radio or the cloud: iterate over a copy.
            for context in list(self.meters.values()):
                await self._async_register(context.identity)
            try:
                await self.relay.upload()
                self.state.cloud_reachable = True
                await self._async_refresh_accounts()
            except CloudUnavailable:
                self.state.cloud_reachable = False
            links = {meter_id: c.client for meter_id, c in self.meters.items()}
            if await self.relay.erase(links):
                for context in list(self.meters.values()):
                    await context.coordinator.async_refresh()
            self.state.outbox = await self.relay.outbox.counts()
        async_dispatcher_send(self.hass, signal_hub(self.entry.entry_id))

    async def _async_refresh_accounts(self) -> None:
        if not self.entities_ready:
            return
        try:
            accounts = {a.dwelling: a for a in await self.cloud.accounts()}
        except (CloudUnavailable, CloudRefused) as err:
            _LOGGER.debug("Balances not refreshed: %s", err)
            return
        for dwelling, account in accounts.items():
            before = self.state.accounts.get(dwelling)
            if account.low and (before is None or not before.low):
                data = {
                    "dwelling": dwelling,
                    "balance_cents": account.balance_cents,
                    "threshold_cents": account.threshold_cents,
                }
                self.hass.bus.async_fire(BUS_EVENT_LOW_BALANCE, data)
                async_dispatcher_send(self.hass, signal_low_balance(self.entry.entry_id), data)
        self.state.accounts = accounts

    async def async_note_forced_erasures(self, identity: MeterIdentity, total: int) -> None:
        """Report readings a meter erased without a receipt, once each (SPEC M4)."""
        new = await self.relay.outbox.record_forced_erasures(identity.meter_id, total)
        if new:
            data = {"meter_id": identity.meter_id, "dwelling": identity.dwelling, "count": new}
            _LOGGER.warning(
                "Meter %s erased %d readings without a storage receipt", identity.meter_id, new
            )
            self.hass.bus.async_fire(BUS_EVENT_READINGS_LOST, data)
            async_dispatcher_send(
                self.hass, signal_lost(self.entry.entry_id, identity.meter_id), data
            )
