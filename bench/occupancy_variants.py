"""Households made from the one labelled week, to check the away detector does not lean on it.

Each variant changes one thing about the NIOM week (house A, spring, Amherst) that differs
between real households: the time zone and the hour the data starts, the size of the loads,
an always-on load, meter noise, appliances that run whether anybody is home or not, a
night that is not quiet, coarse or missing readings, a shorter history. Every variant is
deterministic (fixed seeds), so its MCC is reproducible: ``python -m bench occupancy``.

The labels move with the readings: a variant is a household whose truth we know.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Final
from zoneinfo import ZoneInfo

from buildinghub.occupancy.series import LoadWindow, window_start, windows_from_minutes

WEEK: Final = (
    Path(__file__).resolve().parents[1]
    / "tests"
    / "buildinghub"
    / "occupancy"
    / "data"
    / "niom_house_a_spring.csv"
)
AMHERST: Final = ZoneInfo("America/New_York")

type Minute = tuple[datetime, float | None, bool]
"""One row: when (UTC), the load in kW (``None``: no reading), whether somebody was home."""


@dataclass(frozen=True, slots=True)
class Household:
    """A labelled household: its minutes and the time zone the hub would be told."""

    name: str
    minutes: list[Minute]
    time_zone: tzinfo | None

    def windows(self) -> tuple[list[LoadWindow], list[bool]]:
        """The detector's windows and, per window, whether nobody was home (most minutes)."""
        windows = windows_from_minutes((moment, load) for moment, load, _ in self.minutes)
        away: dict[datetime, list[bool]] = {}
        for moment, _, occupied in self.minutes:
            away.setdefault(window_start(moment), []).append(not occupied)
        return windows, [_majority(away.get(window.start, [False])) for window in windows]


def read_week(path: Path = WEEK) -> list[Minute]:
    """The labelled week as rows."""
    with path.open(newline="", encoding="utf-8") as handle:
        return [
            (
                datetime.fromisoformat(row["time_utc"]),
                float(row["load_kw"]) if row["load_kw"].strip() else None,
                row["occupied"].strip() == "1",
            )
            for row in csv.DictReader(handle)
        ]


def _majority(flags: list[bool]) -> bool:
    return sum(flags) * 2 > len(flags)


def _loads(minutes: list[Minute], change: Callable[[int, datetime, float], float]) -> list[Minute]:
    return [
        (moment, None if load is None else max(0.0, change(index, moment, load)), occupied)
        for index, (moment, load, occupied) in enumerate(minutes)
    ]


def _moved(minutes: list[Minute], by: timedelta) -> list[Minute]:
    return [(moment + by, load, occupied) for moment, load, occupied in minutes]


def _same_clock_in(minutes: list[Minute], zone: tzinfo) -> list[Minute]:
    """The household keeps its local hours but lives in ``zone``."""
    return [
        (
            moment.astimezone(AMHERST).replace(tzinfo=zone).astimezone(UTC),
            load,
            occupied,
        )
        for moment, load, occupied in minutes
    ]


def _local_hour(moment: datetime) -> int:
    return moment.astimezone(AMHERST).hour


def _cycling(period: int, on: int, kilowatts: float, phase: int) -> Callable[[int], float]:
    return lambda minute: kilowatts if (minute + phase) % period < on else 0.0


def variants(week: list[Minute] | None = None) -> list[Household]:
    """The real week and every household made from it, in a fixed order."""
    week = week if week is not None else read_week()
    noise = random.Random(16)
    gaps = random.Random(61)
    heater = _cycling(period=60, on=25, kilowatts=1.5, phase=7)
    cooler = _cycling(period=30, on=12, kilowatts=2.0, phase=11)
    freezer = _cycling(period=47, on=14, kilowatts=0.12, phase=3)
    missing = {index for index in range(len(week)) if gaps.random() < 0.1}
    outage = range(2 * 1440 + 300, 2 * 1440 + 300 + 360)
    four_days = 4 * 24 * 60
    return [
        Household("real week, no time zone", week, None),
        Household("real week, America/New_York", week, AMHERST),
        Household("loads x0.3", _loads(week, lambda _, __, kw: kw * 0.3), AMHERST),
        Household("loads x3", _loads(week, lambda _, __, kw: kw * 3), AMHERST),
        Household("always-on +0.5 kW", _loads(week, lambda _, __, kw: kw + 0.5), AMHERST),
        Household(
            "meter noise sd 0.1 kW",
            _loads(week, lambda _, __, kw: kw + noise.gauss(0.0, 0.1)),
            AMHERST,
        ),
        Household(
            "1.5 kW heater cycling day and night",
            _loads(week, lambda index, _, kw: kw + heater(index)),
            AMHERST,
        ),
        Household(
            "second freezer",
            _loads(week, lambda index, _, kw: kw + freezer(index)),
            AMHERST,
        ),
        Household(
            "night heating 23:00-06:00",
            _loads(
                week,
                lambda index, moment, kw: (
                    kw + heater(index) if _local_hour(moment) in {23, 0, 1, 2, 3, 4, 5} else kw
                ),
            ),
            AMHERST,
        ),
        Household(
            "air conditioning cycling 12:00-19:00",
            _loads(
                week,
                lambda index, moment, kw: (
                    kw + cooler(index) if 12 <= _local_hour(moment) < 19 else kw
                ),
            ),
            AMHERST,
        ),
        Household(
            "quiet night routine removed (nights flat)",
            _loads(
                week,
                lambda _, moment, kw: 0.3 if 1 <= _local_hour(moment) < 6 else kw,
            ),
            AMHERST,
        ),
        Household(
            "always-on load rising 0.15 kW a day",
            _loads(week, lambda index, _, kw: kw + 0.15 * index / 1440),
            AMHERST,
        ),
        Household(
            "same clock in Europe/Amsterdam",
            _same_clock_in(week, ZoneInfo("Europe/Amsterdam")),
            ZoneInfo("Europe/Amsterdam"),
        ),
        Household(
            "same clock in Asia/Tokyo",
            _same_clock_in(week, ZoneInfo("Asia/Tokyo")),
            ZoneInfo("Asia/Tokyo"),
        ),
        Household("shifted +7 h, no time zone", _moved(week, timedelta(hours=7)), None),
        Household("days 3 h later (late risers)", _moved(week, timedelta(hours=3)), AMHERST),
        Household("days 8 h later (night shift)", _moved(week, timedelta(hours=8)), AMHERST),
        Household("shifted +40 days", _moved(week, timedelta(days=40)), AMHERST),
        Household(
            "5-minute readings",
            _every(week, 5),
            AMHERST,
        ),
        Household(
            "10 % readings lost, 6 h outage",
            [
                (moment, None if index in missing or index in outage else load, occupied)
                for index, (moment, load, occupied) in enumerate(week)
            ],
            AMHERST,
        ),
        Household("first 4 days only", week[:four_days], AMHERST),
        Household("last 4 days only", week[-four_days:], AMHERST),
    ]


def _every(week: list[Minute], minutes: int) -> list[Minute]:
    """A meter that reports the average of every ``minutes`` minutes."""
    rows: list[Minute] = []
    for first in range(0, len(week), minutes):
        block = week[first : first + minutes]
        loads = [load for _, load, _ in block if load is not None]
        mean = sum(loads) / len(loads) if loads else None
        rows.extend((moment, mean, occupied) for moment, _, occupied in block)
    return rows
