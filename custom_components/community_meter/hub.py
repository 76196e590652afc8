"""The hub's side of Community Meter: its meters, its outbox, its relay to the cloud.

The work (collecting, the durable outbox, uploading, receipts, erase commands) is the
library's :class:`~buildinghub.telemetry.relay.Relay`; this module schedules it, finds
the meters, registers them with the cloud and tells entities what changed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import zigpy.device
from homeassistant.const import ATTR_CONFIG_ENTRY_ID
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import async_track_time_interval

from buildinghub.devices.kinds import DeviceKind
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
from buildinghub.telemetry.reading import ReadingPacket
from buildinghub.telemetry.receipt import EraseCommand
from buildinghub.telemetry.relay import MeterLink, Relay
from buildinghub_ha.fleet import DeviceCard, ManagedDevice, flat_area
from buildinghub_ha.hub import DeviceHub
from buildinghub_ha.residents import DwellingResidents

from .away import DwellingPresence
from .const import (
    BUS_EVENT_LOW_BALANCE,
    BUS_EVENT_READINGS_LOST,
    DOMAIN,
    RELAY_INTERVAL,
)
from .coordinator import CommunityMeterConfigEntry, MeterCoordinator

_LOGGER = logging.getLogger(__name__)


@dataclass(kw_only=True)
class MeterContext(ManagedDevice[MeterClient, MeterCoordinator]):
    """One meter the hub manages, and the identity it stated."""

    identity: MeterIdentity

    @property
    def card(self) -> DeviceCard:
        """The meter, named for what it measures, in its dwelling's area."""
        quantity = self.identity.quantity.name.lower()
        return DeviceCard(
            domain=DOMAIN,
            device_id=self.identity.meter_id,
            name=f"{quantity.capitalize()} meter",
            model=f"Community {quantity} meter",
            serial_number=self.identity.meter_id,
            area=flat_area(self.identity.dwelling),
        )


class _HeardLink:
    """A meter's link that remembers every packet the relay pulled through it."""

    def __init__(self, link: MeterLink) -> None:
        self.link = link
        self.packets: list[ReadingPacket] = []

    async def pull(self, after: int) -> list[ReadingPacket]:
        packets = await self.link.pull(after)
        self.packets.extend(packets)
        return packets

    async def erase(self, command: EraseCommand) -> None:
        await self.link.erase(command)


@dataclass
class HubState:
    """What the hub knows beyond single meters: outbox, cloud, balances."""

    outbox: OutboxCounts = field(default_factory=lambda: OutboxCounts(0, 0, 0))
    cloud_reachable: bool = True
    accounts: dict[str, AccountView] = field(default_factory=dict)


class MeterHub(DeviceHub[MeterContext]):
    """Meters, outbox and relay of one config entry."""

    entry: CommunityMeterConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: CommunityMeterConfigEntry,
        network: BuildingNetwork,
        relay: Relay,
        cloud: CloudClient,
    ) -> None:
        """Manage the meters on ``network``; ``relay`` moves their readings."""
        super().__init__(hass, entry, network, DeviceKind.METER)
        self.relay = relay
        self.cloud = cloud
        self.state = HubState()
        self.presence = DwellingPresence(hass, entry.entry_id)
        self.residents = DwellingResidents(hass, f"{DOMAIN}.{entry.entry_id}.residents", DOMAIN)
        self._registered: set[str] = set()
        # Balances are fetched once the entities exist: a low balance found before then
        # would fire its event where nobody (no event entity, no automation) hears it.
        self.entities_ready = False
        self._relaying = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def meters(self) -> dict[str, MeterContext]:
        """The meters the hub manages, by meter id (the relay's and the cloud's name for them)."""
        return {context.identity.meter_id: context for context in self.fleet.members.values()}

    def devices_of(self, user_id: str) -> list[str]:
        """The meters of the dwellings ``user_id`` is a resident of."""
        return sorted(
            meter_id
            for meter_id, context in self.meters.items()
            if user_id in self.residents.of(context.identity.dwelling)
        )

    def area_entities(self, areas: set[str]) -> list[str]:
        """The balance sensors and low-balance flags of the dwellings whose flats are ``areas``."""
        return [
            f"{self.entry.entry_id}_{key}_{dwelling}"
            for dwelling in self.state.accounts
            if flat_area(dwelling) in areas
            for key in ("balance", "low_balance")
        ]

    def let_devices_of(self, user_id: str) -> list[str]:
        """Community Meter has no landlord's page."""
        return []

    def raw_readings(self) -> list[str]:
        """The low-balance event, which carries the balance (the meters' totals and the
        balances say so by their device class)."""
        return [f"{self.entry.entry_id}_low_balance"]

    # -- lifecycle -------------------------------------------------------------------------

    async def async_start(self) -> None:
        """Bring in every meter on the network and start the relay's schedule."""
        await self.presence.async_load()
        await self.residents.async_load()
        await super().async_start()
        self.entry.async_on_unload(
            async_track_time_interval(self.hass, self._async_scheduled_relay, RELAY_INTERVAL)
        )
        self.state.outbox = await self.relay.outbox.counts()

    async def async_stop(self) -> None:
        """Stop listening to the meters and close the outbox (everything in it is on disk)."""
        await super().async_stop()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        async with self._relaying:
            await self.relay.outbox.close()
        await self.presence.async_save()

    async def async_adopt(self, device: zigpy.device.Device) -> MeterContext | None:
        """A meter on the network, once it states its identity."""
        ieee = str(device.ieee)
        client = MeterClient(device)
        try:
            identity = await client.read_identity()
        except (RadioError, MeterProtocolError) as err:
            _LOGGER.warning("Meter %s did not state its identity: %s", ieee, err)
            return None
        coordinator = MeterCoordinator(self.hass, self.entry, client, identity)
        unsubscribe = client.add_report_listener(lambda total: self._reported(identity, total))
        return MeterContext(ieee, client, coordinator, unsubscribe, identity=identity)

    async def async_joined(self, member: MeterContext) -> None:
        """Register the meter with the cloud (tried again with each relay round)."""
        await self._async_register(member.identity)

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
    def _reported(self, identity: MeterIdentity, _total: Decimal | None) -> None:
        """A meter took a reading: collect it into the outbox.

        The upload and the erase commands wait for the relay's next round, so one batch
        (one receipt) carries every meter's readings since the last round and each meter
        gets one erase command for all of its own.
        """
        self.schedule(self.async_collect_reported(identity.meter_id))

    async def async_collect_reported(self, meter_id: str) -> None:
        """Bring a meter's new readings into the durable outbox (the relay's round sends them)."""
        context = self.meters.get(meter_id)
        if context is None:
            return
        async with self._relaying:
            try:
                await self.async_collect(context)
            except (RadioError, MeterProtocolError) as err:
                _LOGGER.debug("Could not collect from %s: %s", meter_id, err)
                return
            self.state.outbox = await self.relay.outbox.counts()
        async_dispatcher_send(self.hass, self.signal("hub"))

    async def async_collect(self, context: MeterContext, *, from_start: bool = False) -> None:
        """Collect what the meter holds; away detection hears each reading as the meter took it.

        Readings held through a radio outage arrive late and together; they count
        at their signed creation time, in the quarter-hours they were taken in.
        """
        heard = _HeardLink(context.client)
        try:
            await self.relay.collect(context.identity.meter_id, heard, from_start=from_start)
        finally:
            if heard.packets:
                self.presence.add_readings(context.identity, heard.packets)

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
        async_dispatcher_send(self.hass, self.signal("hub"))

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
                    "area": flat_area(dwelling),
                    "balance_cents": account.balance_cents,
                    "threshold_cents": account.threshold_cents,
                    "message": account.low_balance_text(),
                    ATTR_CONFIG_ENTRY_ID: self.entry.entry_id,
                }
                self.hass.bus.async_fire(BUS_EVENT_LOW_BALANCE, data)
                async_dispatcher_send(self.hass, self.signal("low_balance"), data)
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
            async_dispatcher_send(self.hass, self.signal("lost", identity.meter_id), data)
