"""Bookings: first come first served, a free-cancellation hold, a bay's state."""

import pytest

from buildinghub.parking.bookings import (
    BOOKING_RETENTION_S,
    DEFAULT_HOLD_S,
    MAX_CANCELLED_PER_USER,
    MAX_LIVE_BOOKINGS_PER_USER,
    BayState,
    BookingBook,
    BookingConflict,
    BookingError,
)

NOW = 1_767_225_600
HOUR = 3600


class Clock:
    def __init__(self) -> None:
        self.time = NOW

    def now(self) -> int:
        return self.time


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def book(clock: Clock) -> BookingBook:
    return BookingBook(clock)


def test_the_first_booking_wins_and_the_second_is_told_which_slot_is_taken(
    book: BookingBook,
) -> None:
    first = book.book("bay-01", "ana", NOW + HOUR, NOW + 3 * HOUR)

    with pytest.raises(BookingConflict, match="already booked") as lost:
        book.book("bay-01", "ben", NOW + 2 * HOUR, NOW + 4 * HOUR)

    assert lost.value.other == first
    assert [b.user for b in book.for_bay("bay-01")] == ["ana"]


def test_back_to_back_bookings_and_other_bays_do_not_conflict(book: BookingBook) -> None:
    book.book("bay-01", "ana", NOW + HOUR, NOW + 2 * HOUR)
    book.book("bay-01", "ben", NOW + 2 * HOUR, NOW + 3 * HOUR)
    book.book("bay-02", "cy", NOW + HOUR, NOW + 2 * HOUR)

    assert len(book.for_bay("bay-01")) == 2


def test_cancelling_inside_the_hold_is_free_and_frees_the_slot(
    book: BookingBook, clock: Clock
) -> None:
    booking = book.book("bay-01", "ana", NOW + HOUR, NOW + 2 * HOUR)
    clock.time = NOW + DEFAULT_HOLD_S - 1

    cancellation = book.cancel(booking.booking_id, "ana")

    assert cancellation.free
    book.book("bay-01", "ben", NOW + HOUR, NOW + 2 * HOUR)


def test_cancelling_after_the_hold_is_late(book: BookingBook, clock: Clock) -> None:
    booking = book.book("bay-01", "ana", NOW + HOUR, NOW + 2 * HOUR)
    clock.time = NOW + DEFAULT_HOLD_S

    assert not book.cancel(booking.booking_id, "ana").free


def test_only_the_booker_cancels(book: BookingBook) -> None:
    booking = book.book("bay-01", "ana", NOW + HOUR, NOW + 2 * HOUR)

    with pytest.raises(BookingError, match="only the person"):
        book.cancel(booking.booking_id, "ben")
    book.cancel(booking.booking_id, None)  # the manager may
    with pytest.raises(BookingError, match="no such booking"):
        book.cancel(booking.booking_id, None)


def test_bad_slots_are_refused(book: BookingBook) -> None:
    for start, end, why in (
        (NOW + HOUR, NOW + HOUR, "end after it starts"),
        (NOW - 2 * HOUR, NOW - HOUR, "already over"),
        (NOW, NOW + 400 * 24 * HOUR, "at most a year"),
    ):
        with pytest.raises(BookingError, match=why):
            book.book("bay-01", "ana", start, end)
    assert book.for_bay("bay-01") == []


def test_a_bays_state_is_held_then_booked_then_available(book: BookingBook, clock: Clock) -> None:
    book.book("bay-01", "ana", NOW, NOW + 2 * HOUR)

    assert book.state("bay-01") is BayState.HELD
    clock.time = NOW + DEFAULT_HOLD_S
    assert book.state("bay-01") is BayState.BOOKED
    clock.time = NOW + 2 * HOUR
    assert book.state("bay-01") is BayState.AVAILABLE


def test_bookings_survive_a_restart(book: BookingBook, clock: Clock) -> None:
    booking = book.book("bay-01", "ana", NOW + HOUR, NOW + 2 * HOUR)

    restarted = BookingBook(clock)
    restarted.load_json(book.to_json())

    assert restarted.get(booking.booking_id) == booking
    with pytest.raises(BookingConflict):
        restarted.book("bay-01", "ben", NOW + HOUR, NOW + 2 * HOUR)


# -- bounds per person (SPEC S6) ----------------------------------------------------------


def test_a_person_holds_a_bounded_number_of_upcoming_bookings(book: BookingBook) -> None:
    for n in range(MAX_LIVE_BOOKINGS_PER_USER):
        book.book("bay-01", "ana", NOW + n * HOUR, NOW + n * HOUR + 60)

    with pytest.raises(BookingError, match=f"at most {MAX_LIVE_BOOKINGS_PER_USER} upcoming"):
        book.book("bay-02", "ana", NOW + HOUR, NOW + 2 * HOUR)

    assert len(book.all_live()) == MAX_LIVE_BOOKINGS_PER_USER
    assert book.book("bay-02", "ben", NOW + HOUR, NOW + 2 * HOUR).user == "ben"


def test_booking_and_cancelling_over_and_over_keeps_a_bounded_record(
    book: BookingBook, clock: Clock
) -> None:
    for _ in range(3 * MAX_CANCELLED_PER_USER):
        made = book.book("bay-01", "ana", NOW + 300 * 24 * HOUR, NOW + 301 * 24 * HOUR)
        book.cancel(made.booking_id, "ana")
        clock.time += 1

    assert len(book.to_json()) == MAX_CANCELLED_PER_USER


def test_bookings_are_forgotten_a_day_after_they_end_cancelled_or_not(
    book: BookingBook, clock: Clock
) -> None:
    kept = book.book("bay-01", "ana", NOW + HOUR, NOW + 2 * HOUR)
    cancelled = book.book("bay-02", "ben", NOW + HOUR, NOW + 2 * HOUR)
    book.cancel(cancelled.booking_id, "ben")
    clock.time = NOW + 2 * HOUR + BOOKING_RETENTION_S - 1
    assert book.purge_ended() == 0

    clock.time += 2

    assert book.purge_ended() == 2
    assert book.get(kept.booking_id) is None
    assert book.to_json() == []
