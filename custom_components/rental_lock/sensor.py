"""Sensors of a door lock: battery and the grants active now."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import PERCENTAGE, EntityCategory

from buildinghub_ha.entity import fleet_platform

from .entity import RentalLockEntity
from .hub import LockContext, RentalHub
from .tenancy_entities import NEXT_RENT_DUE, NextRentDueSensor

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class RentalLockSensorDescription(SensorEntityDescription):
    """A sensor and how its value is read."""

    value_fn: Callable[[RentalHub, LockContext], int | None]


SENSORS: tuple[RentalLockSensorDescription, ...] = (
    RentalLockSensorDescription(
        key="battery",
        device_class=SensorDeviceClass.BATTERY,
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda _hub, ctx: (
            ctx.coordinator.data.battery_percent if ctx.coordinator.data else None
        ),
    ),
    RentalLockSensorDescription(
        key="active_grants",
        translation_key="active_grants",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda hub, ctx: len(hub.book.active_for_lock(ctx.address)),
    ),
)


class RentalLockSensor(RentalLockEntity, SensorEntity):
    """A number about one door lock."""

    entity_description: RentalLockSensorDescription

    @property
    def native_value(self) -> int | None:
        """The current value."""
        return self.entity_description.value_fn(self.hub, self.member)

    async def async_added_to_hass(self) -> None:
        """Update when the grant book changes, not only when the lock is polled."""
        await super().async_added_to_hass()
        self.async_follow(self.hub.signal("grants"))


async_setup_entry = fleet_platform(
    RentalLockSensor.describing(*SENSORS), NextRentDueSensor.describing(NEXT_RENT_DUE)
)
