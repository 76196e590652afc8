"""What every integration's hub is: an entry's devices of one kind on the building network.

An integration's hub adds its own records (grants, e-keys, readings) and says how
it adopts one device; this part holds the entry, the network and the fleet, and
names the entry's dispatcher signals.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import zigpy.device
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant

from buildinghub.devices.kinds import DeviceKind
from buildinghub.radio.network import BuildingNetwork

from .fleet import DeviceFleet, ManagedDevice


class DeviceHub[MemberT: ManagedDevice[Any, Any]](ABC):
    """The devices of ``kind`` that ``entry`` manages on ``network``."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        network: BuildingNetwork,
        kind: DeviceKind,
    ) -> None:
        """Manage the ``kind`` devices on ``network`` for ``entry``."""
        self.hass = hass
        self.entry = entry
        self.network = network
        self.fleet = DeviceFleet(
            hass, entry, network, kind, adopt=self.async_adopt, joined=self.async_joined
        )

    @abstractmethod
    async def async_adopt(self, device: zigpy.device.Device) -> MemberT | None:
        """The device, managed: None when it is not one the hub may manage (yet)."""

    @abstractmethod
    async def async_joined(self, member: MemberT) -> None:
        """A device was adopted and polled once: bring it what the hub holds for it."""

    def signal(self, *topic: str) -> str:
        """The dispatcher signal of ``topic`` for this entry (``"grants"``, ``"access", ieee``)."""
        return "_".join((self.entry.domain, self.entry.entry_id, *topic))

    async def async_start(self) -> None:
        """Adopt the devices on the network and those that join."""
        await self.fleet.async_start()

    async def async_stop(self) -> None:
        """Stop listening to the devices."""
        self.fleet.async_stop()
