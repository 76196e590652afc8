"""Runtime data and the per-bay coordinator of Parking Lock."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from buildinghub.devices.ble_parking_lock import BleParkingLockClient
from buildinghub.devices.parking_lock import ParkingLockClient
from buildinghub.radio.errors import DeviceUnreachable
from buildinghub.radio.network import BuildingNetwork

from .const import DOMAIN, POLL_INTERVAL

if TYPE_CHECKING:
    from .hub import ParkingHub

_LOGGER = logging.getLogger(__name__)


@dataclass
class ParkingLockRuntimeData:
    """What a loaded entry holds."""

    network: BuildingNetwork
    hub: ParkingHub


type ParkingLockConfigEntry = ConfigEntry[ParkingLockRuntimeData]


@dataclass(frozen=True, slots=True)
class BayStatus:
    """What the hub knows of a bay's lock right now."""

    locked: bool
    occupied: bool | None
    battery_percent: int | None


class BayCoordinator(DataUpdateCoordinator[BayStatus]):
    """Polls one bay lock's barrier, vehicle sensor and battery; pushes update it between."""

    config_entry: ParkingLockConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ParkingLockConfigEntry,
        client: ParkingLockClient | BleParkingLockClient,
        bay: str,
    ) -> None:
        """Poll the lock behind ``client``, which guards ``bay``."""
        super().__init__(
            hass, _LOGGER, config_entry=entry, name=f"{DOMAIN} {bay}", update_interval=POLL_INTERVAL
        )
        self.client = client
        self.bay = bay

    async def _async_update_data(self) -> BayStatus:
        try:
            status = await self.client.read_status()
            occupied = await self.client.read_occupied()
        except DeviceUnreachable as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="lock_unreachable",
                translation_placeholders={"bay": self.bay},
            ) from err
        return BayStatus(
            locked=status.locked, occupied=occupied, battery_percent=status.battery_percent
        )
