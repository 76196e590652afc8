"""Bay events: every unlock, refusal and lock at the bay's barrier, with holder and reason."""

from __future__ import annotations

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from buildinghub.parking.presence import BookingEvent, BookingEventKind

from .const import EVENT_LOCKED, EVENT_REFUSED, EVENT_UNLOCKED
from .coordinator import ParkingLockConfigEntry
from .entity import ParkingBayEntity, async_add_bay_entities
from .hub import BayEvent, signal_access, signal_booking_event

PARALLEL_UPDATES = 0
DESCRIPTION = EventEntityDescription(
    key="access",
    translation_key="access",
    event_types=[EVENT_UNLOCKED, EVENT_REFUSED, EVENT_LOCKED],
)
BOOKING = EventEntityDescription(
    key="booking",
    translation_key="booking",
    event_types=[kind.value for kind in BookingEventKind],
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ParkingLockConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """An access and a booking event entity per bay."""
    async_add_bay_entities(
        entry,
        async_add_entities,
        lambda hub, bay: [
            BayAccessEvent(hub, bay, DESCRIPTION),
            BayBookingEvent(hub, bay, BOOKING),
        ],
    )


class BayAccessEvent(ParkingBayEntity, EventEntity):
    """Fires on each unlock, refusal and lock the bay reports."""

    async def async_added_to_hass(self) -> None:
        """Listen to the bay's events."""
        await super().async_added_to_hass()
        signal = signal_access(self.hub.entry.entry_id, self.bay.ieee)
        self.async_on_remove(async_dispatcher_connect(self.hass, signal, self._handle))

    @callback
    def _handle(self, event: BayEvent) -> None:
        self._trigger_event(
            event.kind,
            {"holder": event.holder, "reason": event.reason, "grant_id": event.grant_id},
        )
        self.async_write_ha_state()


class BayBookingEvent(ParkingBayEntity, EventEntity):
    """Fires when the vehicle sensor says a booking started, ended early or overstays."""

    async def async_added_to_hass(self) -> None:
        """Listen to the bay's booking events."""
        await super().async_added_to_hass()
        signal = signal_booking_event(self.hub.entry.entry_id, self.bay.ieee)
        self.async_on_remove(async_dispatcher_connect(self.hass, signal, self._handle))

    @callback
    def _handle(self, event: BookingEvent) -> None:
        self._trigger_event(
            event.kind.value,
            {
                "booking_id": event.booking.booking_id,
                "start": event.booking.start,
                "end": event.booking.end,
                "at": event.at,
            },
        )
        self.async_write_ha_state()
