"""The base entity of Rental Lock: one device per door lock."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from homeassistant.core import callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN
from .coordinator import LockCoordinator, RentalLockConfigEntry
from .hub import LockContext, RentalHub, signal_new_lock


def async_add_lock_entities(
    entry: RentalLockConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    make: Callable[[RentalHub, LockContext], Iterable[Entity]],
) -> None:
    """Add a platform's entities for every lock now and for each lock that joins later."""
    hub = entry.runtime_data.hub

    @callback
    def add(ieee: str) -> None:
        async_add_entities(make(hub, hub.locks[ieee]))

    for ieee in hub.locks:
        add(ieee)
    entry.async_on_unload(async_dispatcher_connect(hub.hass, signal_new_lock(entry.entry_id), add))


class RentalLockEntity(CoordinatorEntity[LockCoordinator]):
    """An entity of one door lock."""

    _attr_has_entity_name = True

    def __init__(
        self, hub: RentalHub, context: LockContext, description: EntityDescription
    ) -> None:
        """Describe this entity of the lock in ``context``."""
        super().__init__(context.coordinator)
        self.hub = hub
        self.lock_context = context
        self.entity_description = description
        installation = context.installation
        self._attr_unique_id = f"{installation.lock_id}_{description.key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, installation.lock_id)},
            name=f"{installation.flat} door",
            manufacturer="Building Hub",
            model="Rental door lock",
            serial_number=context.ieee,
            suggested_area=installation.flat,
        )
