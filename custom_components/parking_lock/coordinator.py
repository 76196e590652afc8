"""Runtime data and the per-bay coordinator of Parking Lock."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntry

from buildinghub.devices.ble_parking_lock import BleParkingLockClient
from buildinghub.devices.parking_lock import ParkingLockClient
from buildinghub_ha.coordinator import DeviceCoordinator

if TYPE_CHECKING:
    from .hub import ParkingHub


@dataclass
class ParkingLockRuntimeData:
    """What a loaded entry holds."""

    hub: ParkingHub


type ParkingLockConfigEntry = ConfigEntry[ParkingLockRuntimeData]


@dataclass(frozen=True, slots=True)
class BayStatus:
    """What the hub knows of a bay's lock right now."""

    locked: bool
    occupied: bool | None
    battery_percent: int | None


class BayCoordinator(DeviceCoordinator[ParkingLockClient | BleParkingLockClient, BayStatus]):
    """Polls one bay lock's barrier, vehicle sensor and battery; pushes update it between.

    Its name is the bay's.
    """

    unreachable_key = "lock_unreachable"
    placeholder = "bay"

    async def async_read(self) -> BayStatus:
        """The barrier, the vehicle sensor and the battery."""
        status = await self.client.read_status()
        occupied = await self.client.read_occupied()
        return BayStatus(
            locked=status.locked, occupied=occupied, battery_percent=status.battery_percent
        )
