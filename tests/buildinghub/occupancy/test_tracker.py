"""The live away state of one dwelling, as the hub keeps it from meter readings."""

from __future__ import annotations

import csv
from datetime import datetime, timedelta

import pytest

from buildinghub.occupancy import AwayDetector
from buildinghub.occupancy.evaluation import read_ground_truth
from buildinghub.occupancy.tracker import AwayTracker, Presence

from .test_detector import AMHERST, WEEK


def _minutes() -> list[tuple[datetime, float | None]]:
    with WEEK.open(newline="") as handle:
        return [
            (
                datetime.fromisoformat(row["time_utc"]),
                float(row["load_kw"]) if row["load_kw"] else None,
            )
            for row in csv.DictReader(handle)
        ]


MINUTES = _minutes()


def _feed(tracker: AwayTracker, first: int, last: int) -> None:
    """Feed windows ``first`` to ``last`` of the week minute by minute, as the meter reports."""
    for moment, load in MINUTES[first * 15 : last * 15]:
        if load is not None:
            tracker.add_power(moment, load)


def _home_again(truth: list[bool], after: int) -> int:
    """The first window of the first stay at home of two hours or more after ``after``."""
    return next(index for index in range(after, len(truth)) if not any(truth[index : index + 8]))


def _tracker() -> AwayTracker:
    return AwayTracker(AwayDetector(time_zone=AMHERST))


def _leaves(truth: list[bool], day: int) -> int:
    """The window the household leaves in on ``day`` (0 is the first day)."""
    return next(
        index for index in range(day * 96, (day + 1) * 96) if truth[index] and not truth[index - 1]
    )


def test_a_new_dwelling_is_learning_until_it_has_two_days() -> None:
    tracker = _tracker()
    _feed(tracker, 0, 100)

    assert tracker.presence() is Presence.LEARNING


def test_the_household_is_seen_leaving_and_coming_back() -> None:
    _, truth = read_ground_truth(WEEK)
    out = _leaves(truth, day=2)
    tracker = _tracker()

    _feed(tracker, 0, out)
    assert tracker.presence() is Presence.HOME
    _feed(tracker, out, out + 12)
    assert tracker.presence() is Presence.AWAY
    back = _home_again(truth, out)
    # Decided an hour behind, from a floor smoothed over two hours: home within three.
    _feed(tracker, out + 12, back + 12)
    assert tracker.presence() is Presence.HOME


def test_a_confirmed_return_ends_the_absence_until_the_next_one() -> None:
    windows, truth = read_ground_truth(WEEK)
    out = _leaves(truth, day=2)
    tracker = _tracker()
    _feed(tracker, 0, out + 12)
    assert tracker.presence() is Presence.AWAY

    tracker.confirm_return(windows[out + 12].start)
    assert tracker.presence() is Presence.HOME

    # The next day's absence counts again.
    next_out = _leaves(truth, day=3)
    _feed(tracker, out + 12, next_out + 12)
    assert tracker.presence() is Presence.AWAY


def test_energy_register_readings_become_average_power() -> None:
    tracker = AwayTracker()
    windows, _ = read_ground_truth(WEEK)
    start = windows[0].start
    total = 100.0
    for minute in range(30):
        total += 1.2 / 60  # 1.2 kW for one minute
        tracker.add_energy(start + timedelta(minutes=minute), total)

    held = tracker.windows()
    assert [round(window.mean_kw, 6) for window in held] == [1.2, 1.2]
    assert held[0].samples == 14  # the first reading only sets the register


def test_a_register_that_goes_back_or_a_long_gap_gives_no_sample() -> None:
    tracker = AwayTracker()
    windows, _ = read_ground_truth(WEEK)
    start = windows[0].start
    tracker.add_energy(start, 500.0)
    tracker.add_energy(start + timedelta(minutes=1), 10.0)  # meter replaced
    tracker.add_energy(start + timedelta(hours=3), 12.0)  # three hours of silence

    assert tracker.windows() == []


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -0.5])
def test_a_reading_that_cannot_be_power_is_refused(bad: float) -> None:
    tracker = AwayTracker()
    windows, _ = read_ground_truth(WEEK)

    with pytest.raises(ValueError, match="power reading"):
        tracker.add_power(windows[0].start, bad)
    assert tracker.windows() == []


def test_history_older_than_the_limit_is_forgotten() -> None:
    tracker = AwayTracker(history=timedelta(days=2))
    _feed(tracker, 0, 4 * 96)

    held = tracker.windows()
    assert len(held) <= 2 * 96 + 1
    assert held[-1].start - held[0].start <= timedelta(days=2)


def test_a_restarted_hub_keeps_what_it_learned() -> None:
    windows, _ = read_ground_truth(WEEK)
    tracker = _tracker()
    _feed(tracker, 0, 3 * 96 + 60)
    tracker.confirm_return(windows[3 * 96 + 59].start)

    restored = _tracker()
    restored.load_json(tracker.to_json())

    assert restored.windows() == tracker.windows()
    assert restored.presence() is tracker.presence()


def test_a_reading_offered_again_after_newer_ones_adds_nothing() -> None:
    tracker = _tracker()
    start = MINUTES[0][0]
    for minutes, total in ((0, 10.0), (5, 10.1), (10, 10.5)):
        tracker.add_energy(start + timedelta(minutes=minutes), total)

    tracker.add_energy(start + timedelta(minutes=5), 10.1)  # the meter offers it again
    tracker.add_energy(start + timedelta(minutes=15), 10.6)

    # 0.1 kWh in the five minutes since the last new reading, not 0.5 kWh in ten.
    assert [round(window.mean_kw, 3) for window in tracker.windows()] == [3.0, 1.2]


def test_a_new_dwelling_says_how_much_history_it_still_needs() -> None:
    tracker = _tracker()
    assert tracker.learning_left() == timedelta(days=2)

    _feed(tracker, 0, 100)

    assert tracker.learning_left() == timedelta(minutes=15 * 92)
    _feed(tracker, 100, 192)
    assert tracker.learning_left() == timedelta(0)
    assert tracker.presence() is not Presence.LEARNING
