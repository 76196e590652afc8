"""The base entity of Rental Lock: one device per door lock."""

from __future__ import annotations

from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN
from .coordinator import LockCoordinator
from .hub import LockContext, RentalHub


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
