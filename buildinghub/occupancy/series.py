"""Consumption series cut into the 15-minute windows the detector decides on."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

WINDOW: Final = timedelta(minutes=15)
SLOTS_PER_DAY: Final = int(timedelta(days=1) / WINDOW)


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadWindow:
    """One 15-minute window of whole-dwelling load.

    ``mean_kw``, ``spread_kw`` (the standard deviation of the readings inside
    the window) and ``floor_kw`` (the lowest reading: what stayed on all
    window long) describe the load; ``samples`` says how many readings the
    window had (0: the meter was silent and the values were carried over from
    the window before).
    """

    start: datetime
    mean_kw: float
    spread_kw: float
    floor_kw: float
    samples: int


def window_start(moment: datetime) -> datetime:
    """The start of the quarter-hour ``moment`` falls in (UTC)."""
    moment = moment.astimezone(UTC)
    return moment.replace(minute=moment.minute - moment.minute % 15, second=0, microsecond=0)


def windows_from_minutes(readings: Iterable[tuple[datetime, float | None]]) -> list[LoadWindow]:
    """Cut time-ordered readings (kW, ``None`` = no reading) into windows."""
    buckets: dict[datetime, list[float]] = {}
    for moment, load in readings:
        bucket = buckets.setdefault(window_start(moment), [])
        if load is not None and math.isfinite(load):
            bucket.append(load)
    last = max(buckets, default=None)
    measured = {
        start: LoadWindow(
            start=start,
            mean_kw=_mean(values),
            spread_kw=_spread(values),
            floor_kw=min(values),
            samples=len(values),
        )
        for start, values in buckets.items()
        if values
    }
    return contiguous(measured, until=last)


def contiguous(
    measured: Mapping[datetime, LoadWindow], *, until: datetime | None = None
) -> list[LoadWindow]:
    """Every quarter-hour from the first measured window to ``until`` (or the last one).

    Gaps in the meter's data are windows too; they carry the previous
    window's load, which is what a detector that never saw the gap would
    keep believing.
    """
    if not measured:
        return []
    start = min(measured)
    last = max([*measured, until or start])
    windows: list[LoadWindow] = []
    while start <= last:
        window = measured.get(start)
        if window is None:
            before = windows[-1]
            window = LoadWindow(
                start=start,
                mean_kw=before.mean_kw,
                spread_kw=before.spread_kw,
                floor_kw=before.floor_kw,
                samples=0,
            )
        windows.append(window)
        start += WINDOW
    return windows


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values)


def _spread(values: Sequence[float]) -> float:
    mean = _mean(values)
    return math.sqrt(sum((value - mean) ** 2 for value in values) / len(values))
