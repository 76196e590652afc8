"""Bookings from a booking calendar, and what the hub must do to follow them (SPEC R16).

An iCalendar feed (RFC 5545, as booking sites export them) is read strictly and boundedly:
each VEVENT with a UID, a DTSTART and a DTEND is a booking; STATUS:CANCELLED or an event
that left the feed is a cancellation. :func:`plan` compares the bookings with the grants
the hub issued and says which to issue, move or revoke.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum

MAX_FEED_BYTES = 1_000_000
MAX_BOOKINGS = 500
MAX_UID = 255


class CalendarUnreadable(ValueError):
    """The feed is not an iCalendar the hub can follow; the message says where."""


@dataclass(frozen=True, slots=True)
class Booking:
    """One stay: its calendar UID and its window in unix seconds."""

    uid: str
    start: int
    end: int
    cancelled: bool = False


def parse_ical(feed: str) -> list[Booking]:
    """The bookings in an iCalendar feed (times in UTC, or dates meaning 00:00 UTC)."""
    if len(feed) > MAX_FEED_BYTES:
        raise CalendarUnreadable(f"the calendar is larger than {MAX_FEED_BYTES} bytes")
    lines = _unfold(feed)
    if not lines or lines[0] != "BEGIN:VCALENDAR":
        raise CalendarUnreadable("the feed does not start with BEGIN:VCALENDAR")
    bookings: list[Booking] = []
    event: dict[str, str] | None = None
    for number, line in enumerate(lines, 1):
        if line == "BEGIN:VEVENT":
            event = {}
        elif line == "END:VEVENT":
            if event is None:
                raise CalendarUnreadable(f"line {number}: END:VEVENT without BEGIN:VEVENT")
            bookings.append(_booking(event, number))
            if len(bookings) > MAX_BOOKINGS:
                raise CalendarUnreadable(f"the calendar has more than {MAX_BOOKINGS} events")
            event = None
        elif event is not None:
            name, _, value = line.partition(":")
            event[name.split(";", 1)[0].upper()] = value
            if name.upper().startswith(("DTSTART", "DTEND")):
                event[name.split(";", 1)[0].upper() + "#params"] = name
    return bookings


def _unfold(feed: str) -> list[str]:
    lines: list[str] = []
    for raw in feed.replace("\r\n", "\n").split("\n"):
        if raw.startswith((" ", "\t")) and lines:
            lines[-1] += raw[1:]
        elif raw:
            lines.append(raw)
    return lines


def _booking(event: Mapping[str, str], number: int) -> Booking:
    uid = event.get("UID", "")
    if not 0 < len(uid) <= MAX_UID:
        raise CalendarUnreadable(f"the event ending on line {number} has no usable UID")
    try:
        start = _time(event["DTSTART"], event["DTSTART#params"])
        end = _time(event["DTEND"], event["DTEND#params"])
    except KeyError:
        raise CalendarUnreadable(f"event {uid!r} needs DTSTART and DTEND") from None
    return Booking(uid, start, end, event.get("STATUS", "").upper() == "CANCELLED")


def _time(value: str, params: str) -> int:
    try:
        if "VALUE=DATE" in params.upper() or len(value) == 8:
            day = date(int(value[:4]), int(value[4:6]), int(value[6:8]))
            return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())
        if not value.endswith("Z"):
            raise CalendarUnreadable(
                f"time {value!r} has no UTC marker: the hub follows UTC times or dates only"
            )
        parsed = datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError as err:
        if isinstance(err, CalendarUnreadable):
            raise
        raise CalendarUnreadable(f"{value!r} is not an iCalendar date or time") from None
    return int(parsed.timestamp())


@dataclass(frozen=True, slots=True)
class IssuedBooking:
    """A grant the hub issued for a booking."""

    uid: str
    grant_id: bytes
    start: int
    end: int


class Step(StrEnum):
    """What following the calendar asks of the hub for one booking."""

    ISSUE = "issue"
    MOVE = "move"
    REVOKE = "revoke"


@dataclass(frozen=True, slots=True)
class Change:
    """One step for one booking."""

    step: Step
    uid: str
    start: int = 0
    end: int = 0
    grant_id: bytes | None = None


def plan(
    bookings: Iterable[Booking], issued: Mapping[str, IssuedBooking], *, now: int
) -> list[Change]:
    """Which grants to issue, move and revoke so that the issued ones match the calendar.

    Bookings already over are left alone (their grants expire by themselves).
    """
    current = {b.uid: b for b in bookings if not b.cancelled and b.end > now}
    changes: list[Change] = []
    for uid, held in issued.items():
        booking = current.get(uid)
        if booking is None:
            if held.end > now:
                changes.append(Change(Step.REVOKE, uid, grant_id=held.grant_id))
        elif (booking.start, booking.end) != (held.start, held.end):
            changes.append(Change(Step.MOVE, uid, booking.start, booking.end, held.grant_id))
    for uid, booking in current.items():
        if uid not in issued:
            changes.append(Change(Step.ISSUE, uid, booking.start, booking.end))
    return changes
