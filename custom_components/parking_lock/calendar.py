"""A bay's bookings as a calendar: create a booking, cancel it; the first to book wins."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from homeassistant.components.calendar import (
    CalendarEntity,
    CalendarEntityDescription,
    CalendarEvent,
)
from homeassistant.components.calendar.const import CalendarEntityFeature
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.util import dt as dt_util

from buildinghub.parking.bookings import Booking, BookingConflict
from buildinghub_ha.caller import CallerAware
from buildinghub_ha.entity import fleet_platform

from .const import DOMAIN
from .entity import ParkingBayEntity
from .errors import BOOKING_ERRORS

PARALLEL_UPDATES = 1
DESCRIPTION = CalendarEntityDescription(key="bookings", translation_key="bookings")


def _local(timestamp: int) -> str:
    return dt_util.as_local(dt_util.utc_from_timestamp(timestamp)).strftime("%Y-%m-%d %H:%M")


def _timestamp(value: datetime | date) -> int:
    if not isinstance(value, datetime):
        value = dt_util.start_of_local_day(value)
    return int(dt_util.as_timestamp(value))


class BayBookingCalendar(ParkingBayEntity, CallerAware, CalendarEntity):
    """Every booking of one bay; people see that a slot is taken, not by whom.

    A booking is made and cancelled as the user who asked: the action's caller, or the user
    of the websocket connection whose ``calendar/event/*`` command this is (SPEC S7).
    """

    _attr_supported_features = (
        CalendarEntityFeature.CREATE_EVENT | CalendarEntityFeature.DELETE_EVENT
    )

    def _event(self, booking: Booking, *, with_key: bool = False) -> CalendarEvent:
        state = booking.state(self.hub.clock.now())
        # Which e-key a booking got is its driver's (and the administrators') to know; every
        # resident may read an open bay's calendar to book it.
        key = self.hub.booking_key(booking.booking_id) if with_key else None
        return CalendarEvent(
            start=dt_util.utc_from_timestamp(booking.start),
            end=dt_util.utc_from_timestamp(booking.end),
            summary=f"{self.member.name}: {state.value}",
            description=(
                f"Booking {booking.booking_id}; free cancellation until "
                f"{_local(booking.hold_until)}; "
                + (
                    f"e-key {key} for the booked time"
                    if key
                    else "no e-key: the bay is not listed with one"
                    if with_key
                    else "the e-key, if any, is the driver's"
                )
            ),
            uid=booking.booking_id,
        )

    @property
    def event(self) -> CalendarEvent | None:
        """The booking running now, or the next one."""
        now = self.hub.clock.now()
        upcoming = [
            b for b in self.hub.bookings.for_bay(self.member.installation.lock_id) if b.end > now
        ]
        return self._event(upcoming[0]) if upcoming else None

    async def async_get_events(
        self, hass: HomeAssistant, start_date: datetime, end_date: datetime
    ) -> list[CalendarEvent]:
        """Bookings that meet the asked range (each booking's e-key only to its own driver,
        administrators and automations)."""
        found = self.hub.bookings.for_bay(
            self.member.installation.lock_id, _timestamp(start_date), _timestamp(end_date)
        )
        user = self.calling_user()
        account = None if user is None else await hass.auth.async_get_user(user)
        every_key = user is None or (account is not None and account.is_admin)
        return [self._event(b, with_key=every_key or b.user == user) for b in found]

    async def async_create_event(self, **kwargs: Any) -> None:
        """Book the slot for the user who asked; an overlapping earlier booking wins."""
        user = self.calling_user()
        if user is None:
            raise ServiceValidationError(translation_domain=DOMAIN, translation_key="no_user")
        start, end = _timestamp(kwargs["dtstart"]), _timestamp(kwargs["dtend"])
        with BOOKING_ERRORS.translated(bay=self.member.name):
            try:
                await self.hub.async_book(self.member.address, user, start, end)
            except BookingConflict as err:
                raise HomeAssistantError(
                    translation_domain=DOMAIN,
                    translation_key="booking_conflict",
                    translation_placeholders={
                        "bay": self.member.name,
                        "start": _local(err.other.start),
                        "end": _local(err.other.end),
                    },
                ) from err

    async def async_delete_event(
        self, uid: str, recurrence_id: str | None = None, recurrence_range: str | None = None
    ) -> None:
        """Cancel a booking: its own user, or an administrator for anyone's."""
        user = self.calling_user()
        if user is None:
            raise ServiceValidationError(translation_domain=DOMAIN, translation_key="no_user")
        with BOOKING_ERRORS.translated(bay=self.member.name):
            await self.hub.async_cancel_booking(uid, user)

    async def async_added_to_hass(self) -> None:
        """Update when bookings change."""
        await super().async_added_to_hass()
        self.async_follow(self.hub.signal("bookings"))


async_setup_entry = fleet_platform(BayBookingCalendar.describing(DESCRIPTION))
