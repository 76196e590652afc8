"""Bay events: every unlock, refusal and lock at the bay's barrier, with holder and reason."""

from __future__ import annotations

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import callback

from buildinghub.devices.access_line import access_line, locked_line
from buildinghub.parking.presence import BookingEvent, BookingEventKind
from buildinghub_ha.access_log import async_log_access
from buildinghub_ha.entity import fleet_platform

from .const import DOMAIN, EVENT_LOCKED, EVENT_REFUSED, EVENT_UNLOCKED
from .entity import ParkingBayEntity
from .hub import BayEvent

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


class BayAccessEvent(ParkingBayEntity, EventEntity):
    """Fires on each unlock, refusal and lock the bay reports."""

    async def async_added_to_hass(self) -> None:
        """Listen to the bay's events."""
        await super().async_added_to_hass()
        self.async_follow(self.hub.signal("access", self.member.address), self._handle)

    @callback
    def _handle(self, event: BayEvent) -> None:
        self._trigger_event(
            event.kind,
            {"holder": event.holder, "reason": event.reason, "grant_id": event.grant_id},
        )
        self.async_write_ha_state()
        bay = self.member.name
        if event.kind == EVENT_LOCKED:
            async_log_access(self.hass, DOMAIN, self.entity_id, lambda _who: locked_line(bay))
            return
        held = self.hub.book.get(bytes.fromhex(event.grant_id)) if event.grant_id else None
        async_log_access(
            self.hass,
            DOMAIN,
            self.entity_id,
            lambda who: access_line(
                bay,
                granted=event.kind == EVENT_UNLOCKED,
                method="remote",
                reason=event.reason or "",
                who=who,
            ),
            user_id=held.user if held else None,
            subject=event.holder,
        )


class BayBookingEvent(ParkingBayEntity, EventEntity):
    """Fires when the vehicle sensor says a booking started, ended early or overstays."""

    async def async_added_to_hass(self) -> None:
        """Listen to the bay's booking events."""
        await super().async_added_to_hass()
        self.async_follow(self.hub.signal("booking", self.member.address), self._handle)

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


async_setup_entry = fleet_platform(
    BayAccessEvent.describing(DESCRIPTION), BayBookingEvent.describing(BOOKING)
)
