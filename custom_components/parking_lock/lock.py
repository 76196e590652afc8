"""The bay's lock entity: the barrier's state, unlocked from the app with the user's e-key."""

from __future__ import annotations

from typing import Any

from homeassistant.components.lock import LockEntity, LockEntityDescription

from buildinghub_ha.entity import fleet_platform

from .entity import ParkingBayEntity
from .errors import BARRIER_ERRORS

PARALLEL_UPDATES = 1
DESCRIPTION = LockEntityDescription(key="barrier", name=None)


class ParkingBayLock(ParkingBayEntity, LockEntity):
    """A bay's barrier."""

    @property
    def is_locked(self) -> bool | None:
        """As the lock last reported it."""
        return self.coordinator.data.locked if self.coordinator.data else None

    async def async_lock(self, **kwargs: Any) -> None:
        """Raise the barrier; anyone who may use the entity may lock it."""
        with BARRIER_ERRORS.translated(bay=self.member.name):
            await self.member.client.lock()
        await self.coordinator.async_request_refresh()

    async def async_unlock(self, **kwargs: Any) -> None:
        """Open the bay for the user who asked, with a key bound to their own holder key."""
        user = self._context.user_id if self._context else None
        with BARRIER_ERRORS.translated(bay=self.member.name):
            await self.hub.async_unlock(self.member.address, user)
        await self.coordinator.async_request_refresh()


async_setup_entry = fleet_platform(ParkingBayLock.describing(DESCRIPTION))
