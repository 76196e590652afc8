"""What the vehicle sensor says about a booking: it started, ended early, or overstays.

Fed with the sensor's changes and with the clock's ticks, a BookingWatch says each thing
once per booking (SPEC P9, P11): *started* when a vehicle is in the bay during the slot,
*ended_early* when it leaves before the slot ends, *overstay* when a vehicle is still there
``grace_s`` seconds after the slot ended (the penalty hook).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .bookings import Booking

DEFAULT_OVERSTAY_GRACE_S = 5 * 60


class BookingEventKind(StrEnum):
    """What happened to a booking."""

    STARTED = "booking_started"
    ENDED_EARLY = "booking_ended_early"
    OVERSTAY = "overstay"


@dataclass(frozen=True, slots=True)
class BookingEvent:
    """One thing the sensor told about one booking."""

    kind: BookingEventKind
    booking: Booking
    at: int


class BookingWatch:
    """One bay's sensor against its bookings."""

    def __init__(self, *, grace_s: int = DEFAULT_OVERSTAY_GRACE_S) -> None:
        """Flag an overstay ``grace_s`` seconds after a slot ends."""
        self.grace_s = grace_s
        self.occupied = False
        self._said: set[tuple[str, BookingEventKind]] = set()

    def overstay_due(self, booking: Booking) -> int:
        """When a vehicle still in the bay overstays this booking."""
        return booking.end + self.grace_s

    def observe(self, occupied: bool, now: int, bookings: list[Booking]) -> list[BookingEvent]:
        """The sensor changed (or the clock ticked with the same reading)."""
        self.occupied = occupied
        live = {booking.booking_id for booking in bookings}
        self._said = {key for key in self._said if key[0] in live}
        events: list[BookingEvent] = []
        for booking in bookings:
            running = booking.start <= now < booking.end
            if occupied and running:
                events += self._say(BookingEventKind.STARTED, booking, now)
            if (
                not occupied
                and running
                and (booking.booking_id, BookingEventKind.STARTED) in self._said
            ):
                events += self._say(BookingEventKind.ENDED_EARLY, booking, now)
            if occupied and now >= self.overstay_due(booking):
                events += self._say(BookingEventKind.OVERSTAY, booking, now)
        return events

    def tick(self, now: int, bookings: list[Booking]) -> list[BookingEvent]:
        """The clock moved: a slot may have started under a parked car, or ended."""
        return self.observe(self.occupied, now, bookings)

    def _say(self, kind: BookingEventKind, booking: Booking, now: int) -> list[BookingEvent]:
        key = (booking.booking_id, kind)
        if key in self._said:
            return []
        self._said.add(key)
        return [BookingEvent(kind, booking, now)]
