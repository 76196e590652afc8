"""Access events: every attempt at a door, granted or denied, with reason and holder."""

from __future__ import annotations

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from buildinghub.devices.door_lock_protocol import AccessEvent

from .const import EVENT_DENIED, EVENT_GRANTED
from .coordinator import RentalLockConfigEntry
from .entity import RentalLockEntity, async_add_lock_entities
from .hub import signal_access
from .tenancy_entities import rent_events

PARALLEL_UPDATES = 0
DESCRIPTION = EventEntityDescription(
    key="access", translation_key="access", event_types=[EVENT_GRANTED, EVENT_DENIED]
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: RentalLockConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """One access event entity per door lock."""
    async_add_lock_entities(
        entry, async_add_entities, lambda hub, ctx: [AccessEventEntity(hub, ctx, DESCRIPTION)]
    )
    async_add_lock_entities(entry, async_add_entities, rent_events)


class AccessEventEntity(RentalLockEntity, EventEntity):
    """Fires on each attempt the lock reports."""

    async def async_added_to_hass(self) -> None:
        """Listen to the lock's access events."""
        await super().async_added_to_hass()
        signal = signal_access(self.hub.entry.entry_id, self.lock_context.ieee)
        self.async_on_remove(async_dispatcher_connect(self.hass, signal, self._handle_access))

    @callback
    def _handle_access(self, event: AccessEvent) -> None:
        self._trigger_event(
            EVENT_GRANTED if event.granted else EVENT_DENIED,
            {
                "reason": event.reason,
                "method": event.method.value,
                "holder": self.hub.holder_of(event.grant_id),
                "grant_id": event.grant_id.hex() if event.grant_id else None,
            },
        )
        self.async_write_ha_state()
