"""Bookings of parking bays: first come, first served, with a free-cancellation hold.

A booking is a time slot on one bay for one person. Two bookings of a bay never overlap:
the first one made wins and a later overlapping request is refused with the slot it
collides with (SPEC P11). Each booking starts *held*: until its hold ends it can be
cancelled for free; after that it is *booked* and a cancellation is marked late (the hook
for a fee). A bay's state right now is available, held or booked (SPEC P13).
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass, replace
from enum import StrEnum
from typing import Any

from buildinghub.credentials import Clock

DEFAULT_HOLD_S = 15 * 60
MAX_BOOKING_S = 366 * 24 * 3600
# Bounds per person (SPEC S6): upcoming bookings are refused beyond the first, cancelled ones
# are kept (as the record of a late cancellation) only up to the second, newest first.
MAX_LIVE_BOOKINGS_PER_USER = 32
MAX_CANCELLED_PER_USER = 32
# Bookings are forgotten this long after they end (overstays are flagged well before).
BOOKING_RETENTION_S = 24 * 3600


class BayState(StrEnum):
    """What a bay's listing shows now."""

    AVAILABLE = "available"
    HELD = "held"
    BOOKED = "booked"


class BookingError(Exception):
    """A booking request or change was refused; the message says why."""


class BookingConflict(BookingError):
    """The slot overlaps a booking made earlier."""

    def __init__(self, bay: str, other: Booking) -> None:
        super().__init__(
            f"{bay} is already booked from {other.start} to {other.end}: choose another time"
        )
        self.other = other


@dataclass(frozen=True, slots=True, kw_only=True)
class Booking:
    """One reserved slot."""

    booking_id: str
    bay: str
    user: str
    start: int
    end: int
    made_at: int
    hold_until: int
    cancelled: bool = False

    def overlaps(self, start: int, end: int) -> bool:
        """Whether [start, end) meets this booking's slot."""
        return not self.cancelled and start < self.end and self.start < end

    def state(self, now: int) -> BayState:
        """Held until the hold ends, booked after."""
        return BayState.HELD if now < self.hold_until else BayState.BOOKED


@dataclass(frozen=True, slots=True)
class Cancellation:
    """A cancelled booking, and whether it was inside the free hold."""

    booking: Booking
    free: bool


class BookingBook:
    """Every bay's bookings; decisions by the clock, so tests can freeze time."""

    def __init__(self, clock: Clock, *, hold_s: int = DEFAULT_HOLD_S) -> None:
        """Bookings are held (cancellable for free) for ``hold_s`` seconds after they are made."""
        self._clock = clock
        self._hold_s = hold_s
        self._bookings: dict[str, Booking] = {}

    def book(self, bay: str, user: str, start: int, end: int) -> Booking:
        """Reserve [start, end) of ``bay`` for ``user``, or raise why not."""
        now = self._clock.now()
        if end <= start:
            raise BookingError("a booking must end after it starts")
        if end <= now:
            raise BookingError("that slot is already over")
        if end - start > MAX_BOOKING_S:
            raise BookingError("a booking may last at most a year")
        for other in self.for_bay(bay):
            if other.overlaps(start, end):
                raise BookingConflict(bay, other)
        upcoming = [b for b in self._of(user) if not b.cancelled and b.end > now]
        if len(upcoming) >= MAX_LIVE_BOOKINGS_PER_USER:
            raise BookingError(
                f"a person may hold at most {MAX_LIVE_BOOKINGS_PER_USER} upcoming bookings; "
                f"cancel one or wait until one has ended"
            )
        booking = Booking(
            booking_id=secrets.token_hex(8),
            bay=bay,
            user=user,
            start=start,
            end=end,
            made_at=now,
            hold_until=now + self._hold_s,
        )
        self._bookings[booking.booking_id] = booking
        return booking

    def cancel(self, booking_id: str, user: str | None) -> Cancellation:
        """Cancel a booking (its user's, or anyone's when user is None: the manager)."""
        booking = self._bookings.get(booking_id)
        if booking is None or booking.cancelled:
            raise BookingError("there is no such booking")
        if user is not None and booking.user != user:
            raise BookingError("only the person who booked can cancel this booking")
        cancelled = replace(booking, cancelled=True)
        self._bookings[booking_id] = cancelled
        kept = sorted((b for b in self._of(booking.user) if b.cancelled), key=lambda b: b.made_at)
        for old in kept[:-MAX_CANCELLED_PER_USER]:
            del self._bookings[old.booking_id]
        return Cancellation(cancelled, free=self._clock.now() < booking.hold_until)

    def _of(self, user: str) -> list[Booking]:
        return [b for b in self._bookings.values() if b.user == user]

    def get(self, booking_id: str) -> Booking | None:
        """The booking with this id."""
        return self._bookings.get(booking_id)

    def for_bay(self, bay: str, start: int | None = None, end: int | None = None) -> list[Booking]:
        """A bay's live bookings, earliest first, meeting [start, end) when given."""
        found = [
            b
            for b in self._bookings.values()
            if b.bay == bay
            and not b.cancelled
            and (start is None or end is None or b.overlaps(start, end))
        ]
        return sorted(found, key=lambda b: b.start)

    def all_live(self) -> list[Booking]:
        """Every live booking of every bay."""
        return [b for b in self._bookings.values() if not b.cancelled]

    def current(self, bay: str) -> Booking | None:
        """The booking whose slot includes now."""
        now = self._clock.now()
        return next((b for b in self.for_bay(bay) if b.start <= now < b.end), None)

    def state(self, bay: str) -> BayState:
        """The bay's state now: booked or held while a booking runs, available otherwise."""
        booking = self.current(bay)
        return BayState.AVAILABLE if booking is None else booking.state(self._clock.now())

    def purge_ended(self) -> int:
        """Forget bookings, cancelled or not, that ended BOOKING_RETENTION_S ago or more."""
        return self.purge_before(self._clock.now() - BOOKING_RETENTION_S)

    def purge_before(self, when: int) -> int:
        """Forget bookings that ended before ``when``."""
        old = [key for key, b in self._bookings.items() if b.end < when]
        for key in old:
            del self._bookings[key]
        return len(old)

    def to_json(self) -> list[dict[str, Any]]:
        """A JSON-able snapshot."""
        return [asdict(b) for b in self._bookings.values()]

    def load_json(self, data: list[dict[str, Any]]) -> None:
        """Restore a snapshot."""
        for item in data:
            booking = Booking(**item)
            self._bookings[booking.booking_id] = booking
