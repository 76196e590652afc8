"""The door lock entity: state from the lock, remote unlock only with a grant."""

from __future__ import annotations

from typing import Any

from homeassistant.components.lock import LockEntity, LockEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from buildinghub.devices.door_lock import LockRefused
from buildinghub.radio.errors import DeviceUnreachable

from .const import DOMAIN
from .coordinator import RentalLockConfigEntry
from .entity import RentalLockEntity, async_add_lock_entities
from .hub import NoUsableGrant

PARALLEL_UPDATES = 1
DESCRIPTION = LockEntityDescription(key="door", name=None)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: RentalLockConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """One lock entity per door lock, including locks that join later."""
    async_add_lock_entities(
        entry, async_add_entities, lambda hub, ctx: [RentalDoorLock(hub, ctx, DESCRIPTION)]
    )


class RentalDoorLock(RentalLockEntity, LockEntity):
    """A flat's door."""

    @property
    def is_locked(self) -> bool | None:
        """As the lock last reported it."""
        return self.coordinator.data.locked if self.coordinator.data else None

    async def async_lock(self, **kwargs: Any) -> None:
        """Bolt the door; anyone who may use the entity may lock it."""
        try:
            await self.lock_context.client.lock()
        except DeviceUnreachable as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="lock_unreachable",
                translation_placeholders={"flat": self.lock_context.installation.flat},
            ) from err
        await self.coordinator.async_request_refresh()

    async def async_unlock(self, **kwargs: Any) -> None:
        """Open the door for the user who asked, with a grant they hold for this flat."""
        flat = self.lock_context.installation.flat
        user = self._context.user_id if self._context else None
        try:
            await self.hub.async_unlock(self.lock_context.ieee, user)
        except NoUsableGrant as err:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="no_usable_grant",
                translation_placeholders={"flat": flat},
            ) from err
        except LockRefused as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="unlock_refused",
                translation_placeholders={"flat": flat, "reason": err.reason},
            ) from err
        except DeviceUnreachable as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="lock_unreachable",
                translation_placeholders={"flat": flat},
            ) from err
        await self.coordinator.async_request_refresh()
