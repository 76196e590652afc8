"""Sensors: meter totals (Energy dashboard ready), readings held and lost, outbox, balances,
and each dwelling's presence (home, away, or still learning).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import UnitOfEnergy, UnitOfVolume
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from buildinghub.devices.meter import MeterStatus
from buildinghub.devices.meter_scaling import MeterUnit
from buildinghub.occupancy.tracker import Presence
from buildinghub.telemetry.reading import Quantity

from .coordinator import CommunityMeterConfigEntry
from .entity import (
    DwellingPresenceEntity,
    HubEntity,
    MeterEntity,
    async_add_per_account,
    dwelling_entity,
)
from .hub import HubState, MeterHub

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class MeterSensorDescription(SensorEntityDescription):
    """A meter sensor and how its value (and, for totals, its unit) is read from the status."""

    value_fn: Callable[[MeterStatus], Decimal | int | None]
    unit_fn: Callable[[MeterStatus], str | None] | None = None


UNITS: dict[MeterUnit, str] = {
    MeterUnit.KILOWATT_HOURS: UnitOfEnergy.KILO_WATT_HOUR,
    MeterUnit.CUBIC_METRES: UnitOfVolume.CUBIC_METERS,
    MeterUnit.CUBIC_FEET: UnitOfVolume.CUBIC_FEET,
    MeterUnit.HUNDRED_CUBIC_FEET: UnitOfVolume.CENTUM_CUBIC_FEET,
    MeterUnit.US_GALLONS: UnitOfVolume.GALLONS,
    MeterUnit.LITRES: UnitOfVolume.LITERS,
}


def _total(status: MeterStatus) -> Decimal | None:
    return status.scaled_total


def _unit(status: MeterStatus) -> str | None:
    return None if status.scaling is None else UNITS[status.scaling.unit]


TOTALS: dict[Quantity, MeterSensorDescription] = {
    Quantity.ELECTRICITY: MeterSensorDescription(
        key="energy",
        device_class=SensorDeviceClass.ENERGY,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        state_class=SensorStateClass.TOTAL_INCREASING,
        suggested_display_precision=3,
        value_fn=_total,
        unit_fn=_unit,
    ),
    Quantity.WATER: MeterSensorDescription(
        key="water",
        device_class=SensorDeviceClass.WATER,
        native_unit_of_measurement=UnitOfVolume.CUBIC_METERS,
        state_class=SensorStateClass.TOTAL_INCREASING,
        suggested_display_precision=3,
        value_fn=_total,
        unit_fn=_unit,
    ),
    Quantity.GAS: MeterSensorDescription(
        key="gas",
        device_class=SensorDeviceClass.GAS,
        native_unit_of_measurement=UnitOfVolume.CUBIC_METERS,
        state_class=SensorStateClass.TOTAL_INCREASING,
        suggested_display_precision=3,
        value_fn=_total,
        unit_fn=_unit,
    ),
}
METER_SENSORS: tuple[MeterSensorDescription, ...] = (
    MeterSensorDescription(
        key="pending_readings",
        translation_key="pending_readings",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda status: status.held,
    ),
    MeterSensorDescription(
        key="readings_lost",
        translation_key="readings_lost",
        state_class=SensorStateClass.TOTAL_INCREASING,
        value_fn=lambda status: status.forced_erasures,
    ),
)


@dataclass(frozen=True, kw_only=True)
class HubSensorDescription(SensorEntityDescription):
    """A hub sensor and how its value is read from the hub's state."""

    value_fn: Callable[[HubState], int | None]


OUTBOX = HubSensorDescription(
    key="outbox_pending",
    translation_key="outbox_pending",
    state_class=SensorStateClass.MEASUREMENT,
    value_fn=lambda state: state.outbox.pending,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: CommunityMeterConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Every meter's sensors, the outbox sensor, and a balance sensor per dwelling."""
    hub = entry.runtime_data.hub
    hub.fleet.async_add_entities(
        async_add_entities,
        lambda meter: [
            *MeterSensor.describing(TOTALS[meter.identity.quantity], *METER_SENSORS)(hub, meter),
            *dwelling_entity(PresenceSensor.describing(PRESENCE))(hub, meter),
        ],
    )
    async_add_entities([HubSensor(hub, OUTBOX)])
    async_add_per_account(hub, async_add_entities, BalanceSensor)


class MeterSensor(MeterEntity, SensorEntity):
    """A number about one meter."""

    entity_description: MeterSensorDescription

    @property
    def native_value(self) -> Decimal | int | None:
        """The current value (None until the meter answered once)."""
        status = self.coordinator.data
        return None if status is None else self.entity_description.value_fn(status)

    @property
    def native_unit_of_measurement(self) -> str | None:
        """The meter's own unit for totals, once it stated a usable one."""
        status, unit_fn = self.coordinator.data, self.entity_description.unit_fn
        unit = None if status is None or unit_fn is None else unit_fn(status)
        return unit or super().native_unit_of_measurement


class HubSensor(HubEntity, SensorEntity):
    """A number about the hub."""

    entity_description: HubSensorDescription

    @property
    def native_value(self) -> int | None:
        """The current value."""
        return self.entity_description.value_fn(self.hub.state)


PRESENCE = SensorEntityDescription(
    key="presence",
    translation_key="presence",
    device_class=SensorDeviceClass.ENUM,
    options=[presence.value for presence in Presence],
)


class PresenceSensor(DwellingPresenceEntity, SensorEntity):
    """Home, away, or learning (with how long it still needs), from the dwelling's electricity.

    The household binary sensor is what automations use; it can only be
    unknown while the detector learns. This one says so, and for how long.
    """

    @property
    def native_value(self) -> str:
        """home, away or learning."""
        return self.hub.presence.presence(self.member.identity.dwelling).value

    @property
    def extra_state_attributes(self) -> dict[str, float]:
        """Hours of readings the detector still needs before it decides (0 once it does)."""
        left = self.hub.presence.learning_left(self.member.identity.dwelling)
        return {"learning_hours_left": round(left / timedelta(hours=1), 2)}


BALANCE = SensorEntityDescription(
    key="balance",
    translation_key="balance",
    device_class=SensorDeviceClass.MONETARY,
    state_class=SensorStateClass.TOTAL,
    suggested_display_precision=2,
)


class BalanceSensor(HubEntity, SensorEntity):
    """A dwelling's prepaid balance (derived data: the property manager's view)."""

    def __init__(self, hub: MeterHub, dwelling: str) -> None:
        """The balance of ``dwelling``."""
        super().__init__(hub, BALANCE, suffix=f"_{dwelling}")
        self.dwelling = dwelling
        self._attr_translation_placeholders = {"dwelling": dwelling}
        self._attr_native_unit_of_measurement = hub.hass.config.currency

    @property
    def native_value(self) -> float | None:
        """The balance in the currency's units."""
        account = self.hub.state.accounts.get(self.dwelling)
        return None if account is None else account.balance_cents / 100

    @property
    def extra_state_attributes(self) -> dict[str, object]:
        """Threshold and whether the balance is low."""
        account = self.hub.state.accounts.get(self.dwelling)
        if account is None:
            return {}
        return {"threshold": account.threshold_cents / 100, "low": account.low}
