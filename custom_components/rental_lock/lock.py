"""The door lock entity: state from the lock, remote unlock only with a grant."""

from __future__ import annotations

from typing import Any

from homeassistant.components.lock import LockEntity, LockEntityDescription

from buildinghub_ha.entity import fleet_platform

from .entity import RentalLockEntity
from .errors import LOCK_ERRORS

PARALLEL_UPDATES = 1
DESCRIPTION = LockEntityDescription(key="door", name=None)


class RentalDoorLock(RentalLockEntity, LockEntity):
    """A flat's door."""

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Who checks a credential at this door: the lock itself, or its schedule and the hub."""
        return {"guarantee": self.member.guarantee.value}

    @property
    def is_locked(self) -> bool | None:
        """As the lock last reported it."""
        return self.coordinator.data.locked if self.coordinator.data else None

    async def async_lock(self, **kwargs: Any) -> None:
        """Bolt the door; anyone who may use the entity may lock it."""
        with LOCK_ERRORS.translated(flat=self.member.installation.flat):
            await self.member.client.lock()
        await self.coordinator.async_request_refresh()

    async def async_unlock(self, **kwargs: Any) -> None:
        """Open the door for the user who asked, with a grant they hold for this flat."""
        user = self._context.user_id if self._context else None
        with LOCK_ERRORS.translated(flat=self.member.installation.flat):
            await self.hub.async_unlock(self.member.address, user)
        await self.coordinator.async_request_refresh()


async_setup_entry = fleet_platform(RentalDoorLock.describing(DESCRIPTION))
