"""The grant calendar of a door: who may enter when."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from homeassistant.components.calendar import (
    CalendarEntity,
    CalendarEntityDescription,
    CalendarEvent,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.util import dt as dt_util

from buildinghub.devices.access_line import subject_text
from buildinghub.devices.grant_book import HeldGrant
from buildinghub.devices.pin_users import Guarantee
from buildinghub_ha.access_log import async_holder_name
from buildinghub_ha.entity import fleet_platform

from .entity import RentalLockEntity

PARALLEL_UPDATES = 0
DESCRIPTION = CalendarEntityDescription(key="grants", translation_key="grants")


def _event(
    held: HeldGrant, holder: str, guarantee: Guarantee, *, whole_days: bool = False
) -> CalendarEvent:
    """The grant as an event; ``whole_days``: a grant longer than a day as all-day dates
    (the month view then shows one bar per lease instead of "+14 more")."""
    grant = held.signed.grant
    start = dt_util.utc_from_timestamp(grant.not_before)
    end = dt_util.utc_from_timestamp(grant.expires)
    window = f"{_when(grant.not_before)} to {_when(grant.expires)}"
    event = CalendarEvent(
        start=start,
        end=end,
        summary=f"{grant.kind.value.capitalize()}: {holder}",
        description=f"Signed by {grant.issuer}; valid {window}; {guarantee.value}",
        uid=grant.grant_id.hex(),
    )
    if whole_days and end - start > timedelta(days=1):
        first = dt_util.as_local(start).date()
        last = dt_util.as_local(end - timedelta(seconds=1)).date()
        event = replace(event, start=first, end=last + timedelta(days=1))
    return event


def _when(timestamp: int) -> str:
    return dt_util.as_local(dt_util.utc_from_timestamp(timestamp)).strftime("%Y-%m-%d %H:%M")


class GrantCalendar(RentalLockEntity, CalendarEntity):
    """Every grant of one door as a calendar event, titled with its holder's name."""

    def __init__(self, *args: Any) -> None:
        """A door's calendar; holders are named once it is added."""
        super().__init__(*args)
        self._holders: dict[bytes, str] = {}

    def _events(self, *, whole_days: bool = False) -> list[CalendarEvent]:
        """One event per holder and window: a tenant's lease and their keypad PIN for the
        same lease are one entry, not two."""
        guarantee = self.member.guarantee
        events: dict[tuple[str, object, object], CalendarEvent] = {}
        for held in self.hub.book.for_lock(self.member.address):
            holder = self._holders.get(held.grant_id) or subject_text(held.signed.grant.subject)
            event = _event(held, holder, guarantee, whole_days=whole_days)
            events.setdefault((event.summary, event.start, event.end), event)
        return list(events.values())

    @property
    def event(self) -> CalendarEvent | None:
        """The grant active now, or the next one (to the second: the calendar's state)."""
        now = dt_util.utcnow()
        upcoming = [e for e in self._events() if e.end_datetime_local > now]
        return min(upcoming, key=lambda e: e.start_datetime_local, default=None)

    async def async_get_events(
        self, hass: HomeAssistant, start_date: datetime, end_date: datetime
    ) -> list[CalendarEvent]:
        """Grants that overlap the asked range, the long ones as whole days."""
        return [
            e
            for e in self._events(whole_days=True)
            if e.start_datetime_local < end_date and e.end_datetime_local > start_date
        ]

    async def async_added_to_hass(self) -> None:
        """Update when grants change, with their holders' names."""
        await super().async_added_to_hass()
        self.async_follow(self.hub.signal("grants"), self._grants_changed)
        await self._async_name_holders()

    @callback
    def _grants_changed(self) -> None:
        self.hass.async_create_task(self._async_name_holders(), eager_start=True)

    async def _async_name_holders(self) -> None:
        self._holders = {
            held.grant_id: name
            for held in self.hub.book.for_lock(self.member.address)
            if held.user is not None
            and (name := await async_holder_name(self.hass, held.user, None)) is not None
        }
        self.async_write_ha_state()


async_setup_entry = fleet_platform(GrantCalendar.describing(DESCRIPTION))
