"""Access events: every attempt at a door, granted or denied, with reason and holder."""

from __future__ import annotations

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import callback

from buildinghub.devices.access_line import access_line
from buildinghub.devices.door_lock_protocol import AccessEvent
from buildinghub_ha.access_log import async_log_access
from buildinghub_ha.entity import fleet_platform

from .const import DOMAIN, EVENT_DENIED, EVENT_GRANTED
from .entity import RentalLockEntity
from .tenancy_entities import RENT_EVENT, RentEventEntity

PARALLEL_UPDATES = 0
DESCRIPTION = EventEntityDescription(
    key="access", translation_key="access", event_types=[EVENT_GRANTED, EVENT_DENIED]
)


class AccessEventEntity(RentalLockEntity, EventEntity):
    """Fires on each attempt the lock reports."""

    async def async_added_to_hass(self) -> None:
        """Listen to the lock's access events."""
        await super().async_added_to_hass()
        self.async_follow(self.hub.signal("access", self.member.address), self._handle_access)

    @callback
    def _handle_access(self, event: AccessEvent) -> None:
        self._trigger_event(
            EVENT_GRANTED if event.granted else EVENT_DENIED,
            {
                "reason": event.reason,
                "method": event.method.value,
                "holder": self.hub.holder_of(event.grant_id),
                "grant_id": event.grant_id.hex() if event.grant_id else None,
                "guarantee": self.member.guarantee.value,
            },
        )
        self.async_write_ha_state()
        held = self.hub.book.get(event.grant_id) if event.grant_id else None
        flat = self.member.installation.flat
        async_log_access(
            self.hass,
            DOMAIN,
            self.entity_id,
            lambda who: access_line(
                flat,
                granted=event.granted,
                method=event.method.value,
                reason=event.reason,
                who=who,
            ),
            user_id=held.user if held else None,
            subject=held.signed.grant.subject if held else None,
        )


async_setup_entry = fleet_platform(
    AccessEventEntity.describing(DESCRIPTION), RentEventEntity.describing(RENT_EVENT)
)
