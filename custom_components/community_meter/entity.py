"""Base entities of Community Meter: one device per meter, one for the building's hub."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from homeassistant.core import callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from buildinghub.telemetry.reading import Quantity

from .const import CONF_BUILDING, DOMAIN
from .coordinator import CommunityMeterConfigEntry, MeterCoordinator
from .hub import MeterContext, MeterHub, signal_hub, signal_new_meter


def async_add_meter_entities(
    entry: CommunityMeterConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    make: Callable[[MeterHub, MeterContext], Iterable[Entity]],
) -> None:
    """Add a platform's entities for every meter now and for each meter that joins later."""
    hub = entry.runtime_data.hub

    @callback
    def add(meter_id: str) -> None:
        async_add_entities(make(hub, hub.meters[meter_id]))

    for meter_id in hub.meters:
        add(meter_id)
    entry.async_on_unload(async_dispatcher_connect(hub.hass, signal_new_meter(entry.entry_id), add))


def async_add_dwelling_entities(
    entry: CommunityMeterConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    make: Callable[[MeterHub, MeterContext], Entity],
) -> None:
    """Add one entity per dwelling, on its electricity meter (away detection's source)."""
    async_add_meter_entities(
        entry,
        async_add_entities,
        lambda hub, ctx: [make(hub, ctx)] if ctx.identity.quantity is Quantity.ELECTRICITY else [],
    )


class MeterEntity(CoordinatorEntity[MeterCoordinator]):
    """An entity of one meter."""

    _attr_has_entity_name = True

    def __init__(
        self, hub: MeterHub, context: MeterContext, description: EntityDescription
    ) -> None:
        """Describe this entity of the meter in ``context``."""
        super().__init__(context.coordinator)
        self.hub = hub
        self.meter = context
        self.entity_description = description
        identity = context.identity
        self._attr_unique_id = f"{identity.meter_id}_{description.key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, identity.meter_id)},
            name=f"{identity.dwelling} {identity.quantity.name.lower()} meter",
            manufacturer="Building Hub",
            model=f"Community {identity.quantity.name.lower()} meter",
            serial_number=identity.meter_id,
            suggested_area=identity.dwelling,
        )


class HubEntity(Entity):
    """An entity of the hub itself (outbox, balances), updated by the relay."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(self, hub: MeterHub, description: EntityDescription, suffix: str = "") -> None:
        """Describe this entity of the hub of ``hub``'s entry."""
        self.hub = hub
        self.entity_description = description
        entry = hub.entry
        self._attr_unique_id = f"{entry.entry_id}_{description.key}{suffix}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, entry.entry_id)},
            name=f"{entry.data[CONF_BUILDING]} meter hub",
            manufacturer="Building Hub",
            model="Meter hub",
        )

    async def async_added_to_hass(self) -> None:
        """Follow the relay's rounds."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass, signal_hub(self.hub.entry.entry_id), self.async_write_ha_state
            )
        )
