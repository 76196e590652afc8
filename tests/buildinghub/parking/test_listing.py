"""A bay's policy (who may book) and listing (what it offers, when it is free)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from buildinghub.parking.listing import (
    BayListing,
    BayPolicy,
    FreeWindow,
    ListingError,
    OutsideFreeTimes,
    PolicyMode,
    PolicyRefused,
)

BERLIN = ZoneInfo("Europe/Berlin")


def at(day: int, hour: int, minute: int = 0) -> int:
    """A timestamp in November 2026, Berlin time (2 November is a Monday)."""
    return int(datetime(2026, 11, day, hour, minute, tzinfo=BERLIN).timestamp())


WORKDAYS = FreeWindow(days=("mon", "tue", "wed", "thu", "fri"), start="08:00", end="18:00")
NIGHTS = FreeWindow(days=("mon",), start="18:00", end="24:00")
TUESDAY_EARLY = FreeWindow(days=("tue",), start="00:00", end="08:00")


def test_anyone_may_book_an_open_bay() -> None:
    BayPolicy().check("someone")


def test_an_authorised_bay_admits_the_owner_and_the_people_they_named() -> None:
    policy = BayPolicy(mode=PolicyMode.AUTHORISED, owner="olga", users=("dana",))
    policy.check("olga")
    policy.check("dana")
    with pytest.raises(PolicyRefused, match="owner and the people the owner authorised"):
        policy.check("femi")


def test_an_area_bay_admits_only_the_people_listed_for_the_area() -> None:
    policy = BayPolicy(mode=PolicyMode.AREA, area="block_b", users=("dana",))
    policy.check("dana")
    with pytest.raises(PolicyRefused, match="area block_b"):
        policy.check("femi")
    assert BayPolicy.from_json(policy.to_json()) == policy


def test_a_policy_that_names_no_one_is_refused() -> None:
    with pytest.raises(ListingError):
        BayPolicy(mode=PolicyMode.AREA)
    with pytest.raises(ListingError):
        BayPolicy(mode=PolicyMode.AUTHORISED, users=("dana",))


def test_a_booking_inside_the_free_times_is_accepted() -> None:
    listing = BayListing(free_times=(WORKDAYS,))
    listing.check_free(at(2, 9), at(2, 17), BERLIN)
    listing.check_free(at(2, 8), at(2, 18), BERLIN)


def test_a_booking_that_leaves_the_free_times_is_refused() -> None:
    listing = BayListing(free_times=(WORKDAYS,))
    with pytest.raises(OutsideFreeTimes, match="Mon 18:00"):
        listing.check_free(at(2, 17), at(2, 19), BERLIN)
    with pytest.raises(OutsideFreeTimes, match="Sat 10:00"):
        listing.check_free(at(7, 10), at(7, 11), BERLIN)
    with pytest.raises(OutsideFreeTimes, match="Mon 07:30"):
        listing.check_free(at(2, 7, 30), at(2, 9), BERLIN)


def test_adjacent_windows_join_across_midnight() -> None:
    listing = BayListing(free_times=(WORKDAYS, NIGHTS, TUESDAY_EARLY))
    listing.check_free(at(2, 9), at(3, 17), BERLIN)  # Monday morning to Tuesday afternoon
    with pytest.raises(OutsideFreeTimes, match="Tue 18:00"):
        listing.check_free(at(2, 9), at(4, 9), BERLIN)


def test_free_times_are_local_time() -> None:
    listing = BayListing(free_times=(WORKDAYS,))
    nine_utc = int(datetime(2026, 11, 2, 9, tzinfo=UTC).timestamp())  # 10:00 in Berlin
    listing.check_free(nine_utc, nine_utc + 7 * 3600, BERLIN)
    with pytest.raises(OutsideFreeTimes):
        listing.check_free(nine_utc, nine_utc + 9 * 3600, BERLIN)  # until 18:00 UTC = 19:00


def test_a_bay_without_free_times_is_always_free() -> None:
    BayListing().check_free(at(7, 3), at(9, 3), BERLIN)


@pytest.mark.parametrize(
    ("days", "start", "end"),
    [
        ((), "08:00", "09:00"),
        (("monday",), "08:00", "09:00"),
        (("mon",), "09:00", "08:00"),
        (("mon",), "8h", "09:00"),
        (("mon",), "08:00", "24:30"),
    ],
)
def test_unusable_free_times_are_refused(days: tuple[str, ...], start: str, end: str) -> None:
    with pytest.raises(ListingError):
        FreeWindow(days=days, start=start, end=end)


def test_a_price_needs_its_currency_and_the_listing_reads_back() -> None:
    with pytest.raises(ListingError):
        BayListing(price_per_hour=250)
    listing = BayListing(
        area="Level -1",
        price_per_hour=250,
        currency="EUR",
        vehicle_type="car",
        free_times=(WORKDAYS,),
    )
    assert BayListing.from_json(listing.to_json()) == listing
    with pytest.raises(ListingError, match="days, start and end"):
        BayListing.from_json({"free_times": [{"days": ["mon"]}]})
