"""Reading a booking calendar strictly and boundedly, and what following it asks (R16)."""

import pytest

from buildinghub.devices.booking_calendar import (
    MAX_BOOKINGS,
    Booking,
    CalendarUnreadable,
    IssuedBooking,
    Step,
    parse_ical,
    plan,
)

FEED = "\r\n".join(
    [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "BEGIN:VEVENT",
        "UID:stay-1@site",
        "DTSTART:20261103T090000Z",
        "DTEND:20261105T090000Z",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:stay-2@si",
        " te",
        "DTSTART;VALUE=DATE:20261110",
        "DTEND;VALUE=DATE:20261112",
        "STATUS:CANCELLED",
        "END:VEVENT",
        "END:VCALENDAR",
        "",
    ]
)
NOV_3_9H = 1_793_696_400
NOV_10 = 1_794_268_800


def test_bookings_are_read_with_utc_times_dates_folding_and_cancellations() -> None:
    assert parse_ical(FEED) == [
        Booking("stay-1@site", NOV_3_9H, NOV_3_9H + 2 * 86_400),
        Booking("stay-2@site", NOV_10, NOV_10 + 2 * 86_400, cancelled=True),
    ]


@pytest.mark.parametrize(
    ("feed", "says"),
    [
        ("hello", "BEGIN:VCALENDAR"),
        ("BEGIN:VCALENDAR\nEND:VEVENT\n", "without BEGIN:VEVENT"),
        ("BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:x\nDTSTART:20261103T090000Z\nEND:VEVENT\n", "DTEND"),
        (
            "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:x\nDTSTART:20261103T090000\n"
            "DTEND:20261103T100000Z\nEND:VEVENT\n",
            "no UTC marker",
        ),
        ("BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20261103\nDTEND:20261104\nEND:VEVENT\n", "UID"),
        ("BEGIN:VCALENDAR\n" + "X" * 1_000_001, "larger than"),
        (
            "BEGIN:VCALENDAR\n"
            + "BEGIN:VEVENT\nUID:x\nDTSTART:20261103\nDTEND:20261104\nEND:VEVENT\n"
            * (MAX_BOOKINGS + 1),
            "more than",
        ),
    ],
)
def test_an_unreadable_calendar_says_why(feed: str, says: str) -> None:
    with pytest.raises(CalendarUnreadable, match=says):
        parse_ical(feed)


def test_the_plan_issues_moves_and_revokes_to_match_the_calendar() -> None:
    now = NOV_3_9H - 86_400
    issued = {
        "moved": IssuedBooking("moved", b"a" * 16, NOV_3_9H, NOV_3_9H + 86_400),
        "gone": IssuedBooking("gone", b"b" * 16, NOV_3_9H, NOV_3_9H + 86_400),
        "same": IssuedBooking("same", b"c" * 16, NOV_3_9H, NOV_3_9H + 86_400),
        "over": IssuedBooking("over", b"d" * 16, now - 10, now - 5),
    }
    bookings = [
        Booking("moved", NOV_3_9H + 86_400, NOV_3_9H + 2 * 86_400),
        Booking("same", NOV_3_9H, NOV_3_9H + 86_400),
        Booking("new", NOV_10, NOV_10 + 86_400),
        Booking("cancelled", NOV_10, NOV_10 + 86_400, cancelled=True),
    ]
    steps = {(change.step, change.uid) for change in plan(bookings, issued, now=now)}
    assert steps == {(Step.MOVE, "moved"), (Step.REVOKE, "gone"), (Step.ISSUE, "new")}
