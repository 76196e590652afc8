"""The detector on households made from the labelled week (bench.occupancy_variants).

These check properties the method claims, not its score on the one week: decisions that do
not depend on the size of the loads, on the time zone the same household lives in, or on
where the data starts; appliances that run whether anybody is home, a night that is not
quiet and a drifting base load move the MCC by little.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from bench.occupancy_variants import AMHERST, Household, read_week, variants
from buildinghub.occupancy import AwayDetector
from buildinghub.occupancy.evaluation import score

WEEK = read_week()
HOUSEHOLDS = {household.name: household for household in variants(WEEK)}
REAL = HOUSEHOLDS["real week, America/New_York"]


def _decide(household: Household) -> list[bool]:
    windows, _ = household.windows()
    return AwayDetector(time_zone=household.time_zone).detect(windows)


def _mcc(household: Household) -> float:
    windows, truth = household.windows()
    return score(AwayDetector(time_zone=household.time_zone).detect(windows), truth).mcc


def _agreement(first: list[bool], second: list[bool]) -> float:
    return sum(a == b for a, b in zip(first, second, strict=True)) / len(first)


def test_every_variant_is_made_the_same_way_each_time() -> None:
    again = variants(WEEK)

    assert [household.name for household in again] == list(HOUSEHOLDS)
    assert all(a.minutes == b.minutes for a, b in zip(again, HOUSEHOLDS.values(), strict=True))


@pytest.mark.parametrize("name", ["loads x0.3", "loads x3", "always-on +0.5 kW"])
def test_the_size_of_the_loads_does_not_change_the_decisions(name: str) -> None:
    assert _agreement(_decide(HOUSEHOLDS[name]), _decide(REAL)) >= 0.99


@pytest.mark.parametrize("name", ["same clock in Europe/Amsterdam", "same clock in Asia/Tokyo"])
def test_the_same_household_in_another_time_zone_is_decided_the_same(name: str) -> None:
    assert _decide(HOUSEHOLDS[name]) == _decide(REAL)


def test_without_a_time_zone_where_the_data_starts_does_not_matter() -> None:
    unshifted = Household("real", WEEK, None)
    shifted = Household(
        "shifted", [(moment + timedelta(hours=7), load, o) for moment, load, o in WEEK], None
    )

    assert _decide(shifted) == _decide(unshifted)


@pytest.mark.parametrize(
    "name",
    [
        "1.5 kW heater cycling day and night",
        "second freezer",
        "night heating 23:00-06:00",
        "air conditioning cycling 12:00-19:00",
        "meter noise sd 0.1 kW",
        "quiet night routine removed (nights flat)",
        "always-on load rising 0.15 kW a day",
        "days 3 h later (late risers)",
        "5-minute readings",
        "10 % readings lost, 6 h outage",
    ],
)
def test_a_household_unlike_the_week_in_one_way_is_found_away_about_as_well(name: str) -> None:
    assert _mcc(HOUSEHOLDS[name]) >= _mcc(REAL) - 0.15


def test_a_household_living_at_night_is_found_without_a_time_zone_but_not_with_one() -> None:
    """The known limit: with a time zone, the night is looked for in the evening and night."""
    night_shift = HOUSEHOLDS["days 8 h later (night shift)"]
    assert night_shift.time_zone is AMHERST

    assert _mcc(night_shift) < 0.2
    assert _mcc(Household("night shift, no zone", night_shift.minutes, None)) >= _mcc(REAL) - 0.05
