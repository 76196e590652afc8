"""Where a followed booking calendar comes from: an iCal URL or a Home Assistant calendar.

Both are read boundedly (size, time, number of events) and give the library's
:class:`~buildinghub.devices.booking_calendar.Booking` list; any failure is a
:class:`~buildinghub.devices.booking_calendar.CalendarUnreadable` that says why, so the
caller raises a repair and changes nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta

import aiohttp
from homeassistant.components.calendar import CalendarEvent
from homeassistant.components.calendar.const import DATA_COMPONENT as CALENDARS
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.util import dt as dt_util

from buildinghub.devices.booking_calendar import (
    MAX_BOOKINGS,
    MAX_FEED_BYTES,
    MAX_UID,
    Booking,
    CalendarUnreadable,
    parse_ical,
)

FETCH_TIMEOUT_S = 30
CALENDAR_PREFIX = "calendar."


@dataclass(frozen=True, slots=True)
class BookingSource:
    """An iCal URL (``https://...``) or a calendar entity id (``calendar.x``)."""

    address: str

    @property
    def is_entity(self) -> bool:
        """Whether the source is a Home Assistant calendar entity."""
        return self.address.startswith(CALENDAR_PREFIX)

    async def async_read(
        self, hass: HomeAssistant, *, now: int, behind_s: int, ahead_s: int
    ) -> list[Booking]:
        """The bookings from ``now - behind_s`` to ``now + ahead_s`` (an iCal feed: all)."""
        if self.is_entity:
            return await _async_read_entity(hass, self.address, now - behind_s, now + ahead_s)
        return await _async_fetch_ical(hass, self.address)


async def _async_fetch_ical(hass: HomeAssistant, url: str) -> list[Booking]:
    session = async_get_clientsession(hass)
    timeout = aiohttp.ClientTimeout(total=FETCH_TIMEOUT_S)
    try:
        async with session.get(url, timeout=timeout, allow_redirects=False) as response:
            if response.status != 200:
                raise CalendarUnreadable(f"the calendar's server answered HTTP {response.status}")
            body = await response.content.read(MAX_FEED_BYTES + 1)
    except (aiohttp.ClientError, TimeoutError) as err:
        raise CalendarUnreadable(
            f"the calendar could not be fetched ({type(err).__name__})"
        ) from None
    if len(body) > MAX_FEED_BYTES:
        raise CalendarUnreadable(f"the calendar is larger than {MAX_FEED_BYTES} bytes")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise CalendarUnreadable("the calendar is not UTF-8 text") from None
    return parse_ical(text)


async def _async_read_entity(
    hass: HomeAssistant, entity_id: str, start: int, end: int
) -> list[Booking]:
    component = hass.data.get(CALENDARS)
    entity = None if component is None else component.get_entity(entity_id)
    if entity is None:
        raise CalendarUnreadable(f"there is no calendar {entity_id!r}")
    try:
        events = await entity.async_get_events(
            hass, dt_util.utc_from_timestamp(start), dt_util.utc_from_timestamp(end)
        )
    except HomeAssistantError as err:
        raise CalendarUnreadable(f"calendar {entity_id!r} could not be read: {err}") from None
    if len(events) > MAX_BOOKINGS:
        raise CalendarUnreadable(f"the calendar has more than {MAX_BOOKINGS} events")
    return [_booking(event) for event in events]


def _booking(event: CalendarEvent) -> Booking:
    start = int(event.start_datetime_local.timestamp())
    end = int(event.end_datetime_local.timestamp())
    # A calendar without UIDs: the stay's own times name it (a move is then a new stay).
    uid = event.uid or hashlib.sha256(f"{event.summary}|{start}|{end}".encode()).hexdigest()
    if len(uid) > MAX_UID:
        raise CalendarUnreadable("an event's UID is longer than an iCalendar UID may be here")
    return Booking(uid, start, end)


def reach_of(max_stay_s: int, horizon_s: int) -> tuple[int, int]:
    """How far behind and ahead of now a calendar entity is read: stays under way, and
    those that start within the delegation's horizon."""
    return max_stay_s, horizon_s + max_stay_s + int(timedelta(days=1).total_seconds())
