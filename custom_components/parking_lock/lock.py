"""The bay's lock entity: the barrier's state, unlocked from the app with the user's e-key."""

from __future__ import annotations

from typing import Any

from homeassistant.components.lock import LockEntity, LockEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from buildinghub.credentials import CredentialError
from buildinghub.devices.door_lock import LockRefused
from buildinghub.radio.errors import DeviceUnreachable

from .const import DOMAIN
from .coordinator import ParkingLockConfigEntry
from .entity import ParkingBayEntity, async_add_bay_entities
from .hub import NoUsableKey

PARALLEL_UPDATES = 1
DESCRIPTION = LockEntityDescription(key="barrier", name=None)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ParkingLockConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """One lock entity per bay, including bays that join later."""
    async_add_bay_entities(
        entry, async_add_entities, lambda hub, bay: [ParkingBayLock(hub, bay, DESCRIPTION)]
    )


class ParkingBayLock(ParkingBayEntity, LockEntity):
    """A bay's barrier."""

    @property
    def is_locked(self) -> bool | None:
        """As the lock last reported it."""
        return self.coordinator.data.locked if self.coordinator.data else None

    async def async_lock(self, **kwargs: Any) -> None:
        """Raise the barrier; anyone who may use the entity may lock it."""
        try:
            await self.bay.client.lock()
        except DeviceUnreachable as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="lock_unreachable",
                translation_placeholders={"bay": self.bay.name},
            ) from err
        await self.coordinator.async_request_refresh()

    async def async_unlock(self, **kwargs: Any) -> None:
        """Open the bay for the user who asked, with a key bound to their own holder key."""
        user = self._context.user_id if self._context else None
        placeholders = {"bay": self.bay.name}
        try:
            await self.hub.async_unlock(self.bay.ieee, user)
        except NoUsableKey as err:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="no_usable_key",
                translation_placeholders=placeholders,
            ) from err
        except CredentialError as err:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="key_refused",
                translation_placeholders={**placeholders, "reason": err.reason},
            ) from err
        except LockRefused as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="unlock_refused",
                translation_placeholders={**placeholders, "reason": err.reason},
            ) from err
        except DeviceUnreachable as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="lock_unreachable",
                translation_placeholders=placeholders,
            ) from err
        await self.coordinator.async_request_refresh()
