"""The away detector, on a real labelled household and on made-up days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from buildinghub.occupancy import AwayDetector, DetectorSettings, windows_from_minutes
from buildinghub.occupancy.evaluation import read_ground_truth, score

WEEK = Path(__file__).parent / "data" / "niom_house_a_spring.csv"
AMHERST = ZoneInfo("America/New_York")


def test_a_real_household_is_found_away_without_labels() -> None:
    windows, truth = read_ground_truth(WEEK)

    result = score(AwayDetector().detect(windows), truth)

    assert result.windows == 672
    assert result.mcc >= 0.6
    assert result.absence_recall >= 0.6


@pytest.mark.parametrize(("first", "last"), [(0, 384), (288, 672), (96, 480)])
def test_knowing_the_time_zone_finds_the_night_in_four_working_days(first: int, last: int) -> None:
    windows, truth = read_ground_truth(WEEK)

    result = score(AwayDetector(time_zone=AMHERST).detect(windows[first:last]), truth[first:last])

    assert result.mcc >= 0.6


def test_deciding_live_with_only_the_past_and_an_hour_of_lag() -> None:
    """What the hub's sensor does: each window decided once the windows it depends on exist."""
    windows, truth = read_ground_truth(WEEK)
    detector = AwayDetector(time_zone=AMHERST)
    lag = detector.settling_windows

    live = [detector.detect(windows[: index + lag + 1])[index] for index in range(192, 672 - lag)]

    assert score(live, truth[192 : 672 - lag]).mcc >= 0.6


def _day_profile(
    start: datetime, days: int, load_at: dict[range, float]
) -> list[tuple[datetime, float | None]]:
    readings: list[tuple[datetime, float | None]] = []
    for minute in range(days * 24 * 60):
        moment = start + timedelta(minutes=minute)
        load = next((kw for hours, kw in load_at.items() if moment.hour in hours), 1.0)
        # A refrigerator cycling all day and night, as in every real home.
        load += 0.8 if (minute // 20) % 3 == 0 else 0.0
        readings.append((moment, load))
    return readings


def test_a_household_out_every_afternoon_is_away_then_and_home_at_night() -> None:
    start = datetime(2026, 3, 2, tzinfo=UTC)
    # Asleep 00-06 (base load), at home 06-12 and 18-24, out 12-18 (base load).
    readings = _day_profile(start, 7, {range(6): 0.3, range(12, 18): 0.3, range(6, 12): 1.5})
    detector = AwayDetector(time_zone=UTC)

    away = detector.detect(windows_from_minutes(readings))

    by_hour = {
        hour: [flag for index, flag in enumerate(away) if (index // 4) % 24 == hour]
        for hour in range(24)
    }
    assert all(all(by_hour[hour]) for hour in range(13, 17))
    assert not any(any(by_hour[hour]) for hour in range(6))
    assert not any(any(by_hour[hour]) for hour in range(19, 24))


def test_a_household_busy_all_day_is_never_away() -> None:
    start = datetime(2026, 3, 2, tzinfo=UTC)
    readings = _day_profile(start, 3, {range(6): 0.3})

    assert not any(AwayDetector().detect(windows_from_minutes(readings)))


def test_too_little_history_gives_no_decision() -> None:
    start = datetime(2026, 3, 2, tzinfo=UTC)
    windows = windows_from_minutes(_day_profile(start, 1, {}))
    detector = AwayDetector()

    assert detector.is_away_now(windows) is None
    with pytest.raises(ValueError, match="at least 2 days"):
        detector.detect(windows)


def test_the_latest_decision_is_the_last_window() -> None:
    windows, _ = read_ground_truth(WEEK)
    detector = AwayDetector()

    assert detector.is_away_now(windows) == detector.detect(windows)[-1]


def test_a_silent_meter_keeps_the_last_load_for_its_windows() -> None:
    start = datetime(2026, 3, 2, tzinfo=UTC)
    readings = [
        (start, 2.0),
        (start + timedelta(minutes=5), 4.0),
        (start + timedelta(minutes=50), None),
    ]

    windows = windows_from_minutes(readings)

    assert [window.start.minute for window in windows] == [0, 15, 30, 45]
    assert [window.mean_kw for window in windows] == [3.0, 3.0, 3.0, 3.0]
    assert [window.samples for window in windows] == [2, 0, 0, 0]
    assert windows[0].spread_kw == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"sleep_hours": 0}, "sleep_hours"),
        ({"floor_quantile": 1.5}, "floor_quantile"),
        ({"smoothing_windows": -1}, "negative"),
        ({"min_away_windows": 0}, "at least 1"),
    ],
)
def test_settings_that_cannot_work_are_refused(settings: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        DetectorSettings(**settings)  # type: ignore[arg-type]
