"""The base entity of Parking Lock: one device per bay."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from homeassistant.core import callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN
from .coordinator import BayCoordinator, ParkingLockConfigEntry
from .hub import BayContext, ParkingHub, signal_new_bay


def async_add_bay_entities(
    entry: ParkingLockConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    make: Callable[[ParkingHub, BayContext], Iterable[Entity]],
) -> None:
    """Add a platform's entities for every bay now and for each bay that joins later."""
    hub = entry.runtime_data.hub

    @callback
    def add(ieee: str) -> None:
        async_add_entities(make(hub, hub.bays[ieee]))

    for ieee in hub.bays:
        add(ieee)
    entry.async_on_unload(async_dispatcher_connect(hub.hass, signal_new_bay(entry.entry_id), add))


class ParkingBayEntity(CoordinatorEntity[BayCoordinator]):
    """An entity of one parking bay."""

    _attr_has_entity_name = True

    def __init__(self, hub: ParkingHub, bay: BayContext, description: EntityDescription) -> None:
        """Describe this entity of ``bay``."""
        super().__init__(bay.coordinator)
        self.hub = hub
        self.bay = bay
        self.entity_description = description
        installation = bay.installation
        self._attr_unique_id = f"{installation.lock_id}_{description.key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, installation.lock_id)},
            name=installation.flat,
            manufacturer="Building Hub",
            model="Parking bay lock",
            serial_number=bay.ieee,
        )
