"""Occupancy: whether a vehicle stands in the bay, from the lock's vehicle sensor."""

from __future__ import annotations

from homeassistant.components.binary_sensor import (
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass

from buildinghub_ha.entity import fleet_platform

from .entity import ParkingBayEntity

PARALLEL_UPDATES = 0
DESCRIPTION = BinarySensorEntityDescription(
    key="occupancy", device_class=BinarySensorDeviceClass.OCCUPANCY
)


class BayOccupancy(ParkingBayEntity, BinarySensorEntity):
    """On while a vehicle stands in the bay."""

    @property
    def is_on(self) -> bool | None:
        """As the lock's vehicle sensor last reported."""
        return self.coordinator.data.occupied if self.coordinator.data else None


async_setup_entry = fleet_platform(BayOccupancy.describing(DESCRIPTION))
