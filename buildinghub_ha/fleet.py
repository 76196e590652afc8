"""The devices of one kind that a config entry manages: those on the network, and those that join.

Each integration says how it adopts one device (reads what the device says of
itself, decides whether to manage it, builds its client and coordinator); the
fleet finds the devices, adopts each one once, polls it first, and tells the
entity platforms about devices that join later.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

import zigpy.device
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.dispatcher import async_dispatcher_connect, async_dispatcher_send
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator

from buildinghub.devices.kinds import DeviceKind, device_kind
from buildinghub.radio.network import BuildingNetwork

from .const import DISCOVERY_WAIT_S, MANUFACTURER


def flat_area(dwelling: str) -> str:
    """The area of a flat, as its door's installation record names it (``Flat 1A``).

    A meter states its dwelling by code (``1A``), a door lock by the flat's name; both
    must land in one area, or the flat's door and meters are split (and the lock-down
    blueprint, which works per area, misses one of them).
    """
    name = dwelling.strip()
    return name if name.casefold().startswith("flat ") else f"Flat {name}"


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceCard:
    """How a managed device shows in Home Assistant's device registry.

    ``device_id`` is the device's own lasting id (a lock id, a meter id): its
    identifier, and the start of its entities' unique ids. A device in a flat is
    named for what it is there (``Door``), the flat being its ``area``: Home
    Assistant puts the area in front of its entity ids (``lock.flat_1a_door``).
    """

    domain: str
    device_id: str
    name: str
    model: str
    serial_number: str
    area: str | None = None

    def device_info(self) -> DeviceInfo:
        """The device registry's entry for this device."""
        info = DeviceInfo(
            identifiers={(self.domain, self.device_id)},
            name=self.name,
            manufacturer=MANUFACTURER,
            model=self.model,
            serial_number=self.serial_number,
        )
        if self.area is not None:
            info["suggested_area"] = self.area
        return info


@dataclass
class ManagedDevice[ClientT, CoordinatorT: DataUpdateCoordinator[Any]](ABC):
    """One device a hub manages: its library client, its coordinator, its listeners.

    An integration adds what the device stated of itself (its installation record,
    its identity) and says how it shows in the device registry (:attr:`card`).
    """

    address: str
    """Its network address (IEEE for Zigbee, MAC for BLE): unique on the hub."""
    client: ClientT
    coordinator: CoordinatorT
    unsubscribe: Callable[[], None]
    """Stops listening to it."""

    @property
    @abstractmethod
    def card(self) -> DeviceCard:
        """How it shows in the device registry."""


class DeviceFleet[MemberT: ManagedDevice[Any, Any]]:
    """The devices of ``kind`` on an entry's network, keyed by address."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        network: BuildingNetwork,
        kind: DeviceKind,
        *,
        adopt: Callable[[zigpy.device.Device], Awaitable[MemberT | None]],
        joined: Callable[[MemberT], Awaitable[None]] | None = None,
    ) -> None:
        """Adopt the ``kind`` devices of ``network`` with ``adopt``; ``joined`` follows each
        adoption, once the device was polled (to bring it what the hub holds for it)."""
        self.hass = hass
        self.entry = entry
        self.network = network
        self.kind = kind
        self.members: dict[str, MemberT] = {}
        self._adopt = adopt
        self._joined = joined
        self._adopting: set[str] = set()
        self.signal = f"{entry.domain}_{entry.entry_id}_new_device"

    async def async_start(self) -> None:
        """Adopt the devices on the network, then each one that finishes its interview."""
        await self.network.wait_for_interviews(DISCOVERY_WAIT_S)
        for device in list(self.network.devices()):
            if device_kind(device) is self.kind:
                await self.async_adopt(str(device.ieee), _bound(self._adopt, device))
        self.network.add_listener(self)
        self.entry.async_on_unload(lambda: self.network.remove_listener(self))

    def async_stop(self) -> None:
        """Stop listening to every device."""
        for member in self.members.values():
            member.unsubscribe()

    def device_initialized(self, device: zigpy.device.Device) -> None:
        """zigpy listener: a device joined and was interviewed."""
        address = str(device.ieee)
        if device_kind(device) is self.kind and address not in self.members:
            self.entry.async_create_task(
                self.hass,
                self.async_adopt(address, _bound(self._adopt, device), announce=True),
                f"{self.entry.domain} adopt {address}",
            )

    def is_known(self, address: str) -> bool:
        """Whether the device at ``address`` is managed or being adopted."""
        return address in self.members or address in self._adopting

    async def async_adopt(
        self,
        address: str,
        adopt: Callable[[], Awaitable[MemberT | None]],
        *,
        announce: bool = False,
    ) -> None:
        """Adopt the device at ``address`` once; ``announce`` adds its entities now."""
        if self.is_known(address):
            return
        self._adopting.add(address)
        try:
            member = await adopt()
            if member is None:
                return
            self.members[address] = member
            await member.coordinator.async_refresh()
            if self._joined is not None:
                await self._joined(member)
        finally:
            self._adopting.discard(address)
        if announce:
            async_dispatcher_send(self.hass, self.signal, address)

    @callback
    def async_add_entities(
        self,
        async_add_entities: AddConfigEntryEntitiesCallback,
        make: Callable[[MemberT], Iterable[Entity]],
    ) -> None:
        """Add a platform's entities for every device now and for each one adopted later."""

        @callback
        def add(address: str) -> None:
            async_add_entities(make(self.members[address]))

        for address in self.members:
            add(address)
        self.entry.async_on_unload(async_dispatcher_connect(self.hass, self.signal, add))


def _bound[MemberT](
    adopt: Callable[[zigpy.device.Device], Awaitable[MemberT | None]], device: zigpy.device.Device
) -> Callable[[], Awaitable[MemberT | None]]:
    return lambda: adopt(device)
