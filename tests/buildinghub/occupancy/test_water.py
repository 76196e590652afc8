"""A water meter of the same dwelling as a second signal: water drawn is somebody home."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from buildinghub.occupancy import AwayDetector, windows_from_minutes
from buildinghub.occupancy.tracker import AwayTracker

from .test_detector import _day_profile

START = datetime(2026, 3, 2, tzinfo=UTC)
# Asleep 00-06, at home 06-12 and 18-24, electrically quiet 12-18.
WINDOWS = windows_from_minutes(
    _day_profile(START, 7, {range(6): 0.3, range(12, 18): 0.3, range(6, 12): 1.5})
)
DETECTOR = AwayDetector(time_zone=UTC)


def _hours(away: list[bool], hours: range) -> list[bool]:
    return [flag for index, flag in enumerate(away) if (index // 4) % 24 in hours]


def test_water_drawn_in_a_quiet_afternoon_means_somebody_is_there() -> None:
    # Somebody at home, reading all afternoon, flushes at 14:00 (6 litres).
    water = [6.0 if (index // 4) % 24 == 14 and index % 4 == 0 else 0.0 for index in range(672)]

    without = DETECTOR.detect(WINDOWS)
    with_water = DETECTOR.detect(WINDOWS, water=water)

    assert all(_hours(without, range(13, 16)))
    assert not any(_hours(with_water, range(13, 15)))
    assert all(_hours(with_water, range(16, 17)))  # an hour after the flush, quiet again


def test_a_leak_or_an_ice_maker_is_not_a_person() -> None:
    seeping = [0.4] * 672
    ice_maker = [0.3 if index % 8 == 0 else 0.0 for index in range(672)]

    assert DETECTOR.detect(WINDOWS, water=seeping) == DETECTOR.detect(WINDOWS)
    assert DETECTOR.detect(WINDOWS, water=ice_maker) == DETECTOR.detect(WINDOWS)


def test_the_tracker_counts_water_in_the_window_it_was_drawn_in_and_keeps_it() -> None:
    tracker = AwayTracker(DETECTOR)
    for window in WINDOWS[:8]:
        tracker.add_power(window.start, window.mean_kw)
    tracker.add_water(START, 1000.0)
    tracker.add_water(START + timedelta(minutes=40), 1006.0)
    tracker.add_water(START + timedelta(minutes=10), 1003.0)  # offered again, out of order

    restored = AwayTracker(DETECTOR)
    restored.load_json(tracker.to_json())

    assert tracker.water_use(tracker.windows()) == [0.0, 0.0, 6.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    assert restored.water_use(restored.windows()) == tracker.water_use(tracker.windows())


def test_a_dwelling_without_a_water_meter_is_decided_on_electricity_alone() -> None:
    tracker = AwayTracker(DETECTOR)

    assert tracker.water_use(WINDOWS) is None
