"""The vehicle sensor against a booking: started, ended early, overstay at the right minute."""

from buildinghub.parking.bookings import Booking
from buildinghub.parking.presence import BookingEventKind, BookingWatch

NOW = 1_767_225_600
HOUR = 3600
MINUTE = 60

BOOKING = Booking(
    booking_id="b1",
    bay="bay-01",
    user="ana",
    start=NOW,
    end=NOW + 2 * HOUR,
    made_at=NOW - HOUR,
    hold_until=NOW - HOUR,
)


def kinds(events: list) -> list[BookingEventKind]:  # type: ignore[type-arg]
    return [event.kind for event in events]


def test_a_car_arriving_in_the_slot_starts_the_booking_once() -> None:
    watch = BookingWatch()

    assert kinds(watch.observe(True, NOW + MINUTE, [BOOKING])) == [BookingEventKind.STARTED]
    assert watch.observe(True, NOW + 2 * MINUTE, [BOOKING]) == []


def test_a_car_arriving_before_the_slot_starts_it_when_the_slot_begins() -> None:
    watch = BookingWatch()
    assert watch.observe(True, NOW - MINUTE, [BOOKING]) == []

    assert kinds(watch.tick(NOW, [BOOKING])) == [BookingEventKind.STARTED]


def test_leaving_before_the_end_is_an_early_end() -> None:
    watch = BookingWatch()
    watch.observe(True, NOW, [BOOKING])

    events = watch.observe(False, NOW + HOUR, [BOOKING])

    assert kinds(events) == [BookingEventKind.ENDED_EARLY]


def test_leaving_without_having_arrived_says_nothing() -> None:
    assert BookingWatch().observe(False, NOW + HOUR, [BOOKING]) == []


def test_overstay_is_flagged_at_the_end_of_the_grace_and_not_a_minute_before() -> None:
    watch = BookingWatch(grace_s=5 * MINUTE)
    watch.observe(True, NOW, [BOOKING])

    assert watch.tick(BOOKING.end + 4 * MINUTE, [BOOKING]) == []
    events = watch.tick(BOOKING.end + 5 * MINUTE, [BOOKING])
    assert kinds(events) == [BookingEventKind.OVERSTAY]
    assert events[0].at == BOOKING.end + 5 * MINUTE
    assert watch.tick(BOOKING.end + 6 * MINUTE, [BOOKING]) == []


def test_leaving_on_time_is_no_overstay() -> None:
    watch = BookingWatch(grace_s=5 * MINUTE)
    watch.observe(True, NOW, [BOOKING])
    watch.observe(False, BOOKING.end + MINUTE, [BOOKING])

    assert watch.tick(BOOKING.end + 10 * MINUTE, [BOOKING]) == []
