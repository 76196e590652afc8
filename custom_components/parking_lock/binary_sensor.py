"""Occupancy: whether a vehicle stands in the bay, from the lock's vehicle sensor."""

from __future__ import annotations

from homeassistant.components.binary_sensor import (
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import ParkingLockConfigEntry
from .entity import ParkingBayEntity, async_add_bay_entities

PARALLEL_UPDATES = 0
DESCRIPTION = BinarySensorEntityDescription(
    key="occupancy", device_class=BinarySensorDeviceClass.OCCUPANCY
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ParkingLockConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """One occupancy sensor per bay."""
    async_add_bay_entities(
        entry, async_add_entities, lambda hub, bay: [BayOccupancy(hub, bay, DESCRIPTION)]
    )


class BayOccupancy(ParkingBayEntity, BinarySensorEntity):
    """On while a vehicle stands in the bay."""

    @property
    def is_on(self) -> bool | None:
        """As the lock's vehicle sensor last reported."""
        return self.coordinator.data.occupied if self.coordinator.data else None
