"""The grant calendar of a door: who may enter when."""

from __future__ import annotations

from datetime import datetime

from homeassistant.components.calendar import (
    CalendarEntity,
    CalendarEntityDescription,
    CalendarEvent,
)
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from buildinghub.devices.grant_book import HeldGrant
from buildinghub.devices.pin_users import Guarantee
from buildinghub_ha.entity import fleet_platform

from .entity import RentalLockEntity

PARALLEL_UPDATES = 0
DESCRIPTION = CalendarEntityDescription(key="grants", translation_key="grants")


def _event(held: HeldGrant, guarantee: Guarantee) -> CalendarEvent:
    grant = held.signed.grant
    return CalendarEvent(
        start=dt_util.utc_from_timestamp(grant.not_before),
        end=dt_util.utc_from_timestamp(grant.expires),
        summary=f"{grant.kind.value.capitalize()}: {grant.subject}",
        description=f"Signed by {grant.issuer}; {guarantee.value}",
        uid=grant.grant_id.hex(),
    )


class GrantCalendar(RentalLockEntity, CalendarEntity):
    """Every grant of one door as a calendar event."""

    def _events(self) -> list[CalendarEvent]:
        guarantee = self.member.guarantee
        return [_event(held, guarantee) for held in self.hub.book.for_lock(self.member.address)]

    @property
    def event(self) -> CalendarEvent | None:
        """The grant active now, or the next one."""
        now = dt_util.utcnow()
        upcoming = [e for e in self._events() if e.end_datetime_local > now]
        return min(upcoming, key=lambda e: e.start_datetime_local, default=None)

    async def async_get_events(
        self, hass: HomeAssistant, start_date: datetime, end_date: datetime
    ) -> list[CalendarEvent]:
        """Grants that overlap the asked range."""
        return [
            e
            for e in self._events()
            if e.start_datetime_local < end_date and e.end_datetime_local > start_date
        ]

    async def async_added_to_hass(self) -> None:
        """Update when grants change."""
        await super().async_added_to_hass()
        self.async_follow(self.hub.signal("grants"))


async_setup_entry = fleet_platform(GrantCalendar.describing(DESCRIPTION))
