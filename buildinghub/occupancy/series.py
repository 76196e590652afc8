"""Consumption series cut into the 15-minute windows the detector decides on."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

WINDOW: Final = timedelta(minutes=15)
SLOTS_PER_DAY: Final = int(timedelta(days=1) / WINDOW)


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadWindow:
    """One 15-minute window of whole-dwelling load.

    ``mean_kw`` and ``spread_kw`` (the standard deviation of the readings
    inside the window) describe the load; ``samples`` says how many readings
    the window had (0: the meter was silent and the values were carried over
    from the window before).
    """

    start: datetime
    mean_kw: float
    spread_kw: float
    samples: int


def window_start(moment: datetime) -> datetime:
    """The start of the quarter-hour ``moment`` falls in (UTC)."""
    moment = moment.astimezone(UTC)
    return moment.replace(minute=moment.minute - moment.minute % 15, second=0, microsecond=0)


def windows_from_minutes(readings: Iterable[tuple[datetime, float | None]]) -> list[LoadWindow]:
    """Cut time-ordered readings (kW, ``None`` = no reading) into windows.

    Every quarter-hour between the first and the last reading gets a window,
    so gaps in the meter's data are windows too; they carry the previous
    window's load, which is what a detector that never saw the gap would
    keep believing.
    """
    buckets: dict[datetime, list[float]] = {}
    for moment, load in readings:
        bucket = buckets.setdefault(window_start(moment), [])
        if load is not None and math.isfinite(load):
            bucket.append(load)
    if not buckets:
        return []
    windows: list[LoadWindow] = []
    start, last = min(buckets), max(buckets)
    previous = (0.0, 0.0)
    while start <= last:
        values = buckets.get(start, [])
        if values:
            previous = (_mean(values), _spread(values))
        windows.append(
            LoadWindow(start=start, mean_kw=previous[0], spread_kw=previous[1], samples=len(values))
        )
        start += WINDOW
    return windows


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values)


def _spread(values: Sequence[float]) -> float:
    mean = _mean(values)
    return math.sqrt(sum((value - mean) ** 2 for value in values) / len(values))
