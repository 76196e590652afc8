"""Unsupervised away detection: "nothing a person switches, for long".

The method, and why (details, numbers and the households it was checked on in
the README and ``python -m bench occupancy``):

- What stays on when nobody is home is automatic: standby, the refrigerator,
  heating or cooling that cycles on its own. What people switch on (lights, a
  computer, the television, cooking) stays on for a while, so it lifts the
  *floor* of the load: the lowest reading of a quarter-hour, and the lowest of
  those over ``floor_span_windows`` neighbours either side. A cycling
  appliance does not lift that floor: it switches off again within the span.
- The always-on load is removed first: per window, the ``always_on_quantile``
  of the floors of the day around it (``always_on_windows``). That makes the
  method blind to the size of a household's loads (the same decisions at any
  scale or constant offset) and lets it follow a base load that drifts with
  the season, day by day.
- The reference for "nobody active" is the household's own sleep, which
  every dwelling provides with no labels: the block of ``sleep_hours`` whose
  floor is lowest on most days (the 0.75 quantile over days, not the mean:
  sleep happens every day, a working day's absence does not, so the weekends
  keep the absence out of the night). Given the dwelling's time zone (a hub
  always knows it), only blocks that start between 20:00 and 06:00 local time
  are candidates: a long working day can be as quiet as a night, and only the
  clock tells them apart. Without a time zone every block is a candidate.
- Outside the sleep block a window is "away" when its floor above the
  always-on load, smoothed over ``2 * smoothing_windows + 1`` windows, is no
  higher than the ``floor_quantile`` of the same during sleep. That is
  relative to this household's own night: there is no threshold in kW. The
  mean load is deliberately not a second condition: heating or cooling that
  cycles while the household is out (a summer afternoon) lifts the mean far
  above the night's, never the floor (a second condition on the mean took a
  household with afternoon air conditioning from MCC 0.65 to 0).
- Where the dwelling also has a water meter, water drawn in a window (a flush,
  a tap: more than a litre above the dwelling's leak, the low quantile of the
  day around it) means somebody is there: that window and the smoothing span
  around it are home whatever the electricity says (Schaffer et al. 2025 find
  water use a strong occupancy signal). Without a water meter nothing changes.
- Absences are hours long and people come and go in steps, so away runs
  shorter than ``min_away_windows`` are dropped and home blips shorter than
  ``max_home_gap_windows`` inside an absence are bridged.

NIOM (Chen et al., BuildSys 2013) thresholds per-window statistics against
the night-time base load; Kleiminger et al. found that features of appliance
switching carry most of the occupancy signal. This detector keeps the night as
the reference, compares what people switch (the floor) rather than the raw
level, removes the always-on load per day, and learns the night itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Final

from .series import SLOTS_PER_DAY, LoadWindow

#: Local quarter-hours a night's sleep may start in (20:00 to 06:00).
BEDTIME_SLOTS: Final = frozenset(range(20 * 4, 24 * 4)) | frozenset(range(6 * 4 + 1))
#: A slot is as quiet as it is on this share of days (the sleep block's profile).
MOST_DAYS: Final = 0.75
#: Water drawn in a quarter-hour, above the dwelling's leak, that only a person draws
#: (a flush is about 6 litres, a hand wash 2; an ice maker or a dripping tap far less).
WATER_DRAWN_LITRES: Final = 1.0


@dataclass(frozen=True, slots=True, kw_only=True)
class DetectorSettings:
    """How the detector decides; the defaults are the documented method."""

    sleep_hours: int = 6
    smoothing_windows: int = 4
    floor_span_windows: int = 1
    floor_quantile: float = 0.9
    always_on_quantile: float = 0.05
    always_on_windows: int = SLOTS_PER_DAY
    min_away_windows: int = 4
    max_home_gap_windows: int = 2
    min_history_days: int = 2

    def __post_init__(self) -> None:
        if not 1 <= self.sleep_hours <= 12:
            raise ValueError("sleep_hours must be between 1 and 12")
        for name in ("floor_quantile", "always_on_quantile"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")
        counts = (self.smoothing_windows, self.floor_span_windows, self.max_home_gap_windows)
        if min(counts) < 0:
            raise ValueError("window counts cannot be negative")
        if min(self.min_away_windows, self.min_history_days, self.always_on_windows) < 1:
            raise ValueError(
                "min_away_windows, min_history_days and always_on_windows must be at least 1"
            )


class AwayDetector:
    """Decides, window by window, whether a dwelling is empty."""

    def __init__(
        self, settings: DetectorSettings | None = None, *, time_zone: tzinfo | None = None
    ) -> None:
        self.settings = settings or DetectorSettings()
        self.time_zone = time_zone

    def local_slot(self, window: LoadWindow) -> int:
        """The window's quarter-hour of the dwelling's day (UTC without a time zone)."""
        local: datetime = window.start.astimezone(self.time_zone or UTC)
        return (local.hour * 60 + local.minute) // 15

    @property
    def settling_windows(self) -> int:
        """How many later windows a window's decision depends on (decide it once they exist)."""
        return self.settings.smoothing_windows + self.settings.floor_span_windows + 1

    @property
    def min_history_windows(self) -> int:
        """How many windows the detector needs to learn the household's sleep."""
        return self.settings.min_history_days * SLOTS_PER_DAY

    def has_enough_history(self, windows: Sequence[LoadWindow]) -> bool:
        """Whether ``windows`` span enough days to learn the household's sleep."""
        return len(windows) >= self.min_history_windows

    def sleep_slots(
        self, windows: Sequence[LoadWindow], lifted: Sequence[float] | None = None
    ) -> frozenset[int]:
        """The quarter-hours of the day the household is asleep (learned).

        ``lifted`` is, per window, how far people's loads lift the floor above the
        always-on load (computed from ``windows`` when not given).
        """
        if lifted is None:
            lifted = self._lifted_floor(windows)
        floors: list[list[float]] = [[] for _ in range(SLOTS_PER_DAY)]
        levels: list[list[float]] = [[] for _ in range(SLOTS_PER_DAY)]
        for window, floor in zip(windows, lifted, strict=True):
            slot = self.local_slot(window)
            floors[slot].append(floor)
            levels[slot].append(window.mean_kw)
        # Quiet on most days, not on average: sleep happens every day, a working
        # day's absence does not, so weekends keep the absence out of the night.
        # The lifted floor, not the load's variation: heating that cycles at night
        # makes the night vary, it does not lift its floor. Among equally quiet
        # blocks the lowest load is the night (ties only in made-up days; rounded to
        # a microwatt so that float sums in another order tie too).
        steady = [_quantile(values, MOST_DAYS) if values else 0.0 for values in floors]
        low = [_quantile(values, MOST_DAYS) if values else 0.0 for values in levels]
        length = self.settings.sleep_hours * 4
        candidates = BEDTIME_SLOTS if self.time_zone is not None else range(SLOTS_PER_DAY)

        def quietness(start: int) -> tuple[float, float]:
            block = [(start + offset) % SLOTS_PER_DAY for offset in range(length)]
            return round(sum(steady[s] for s in block), 9), sum(low[s] for s in block)

        quietest = min(candidates, key=quietness)
        return frozenset((quietest + offset) % SLOTS_PER_DAY for offset in range(length))

    def detect(
        self, windows: Sequence[LoadWindow], *, water: Sequence[float] | None = None
    ) -> list[bool]:
        """Away (True) or home (False) for every window.

        ``water``, where the dwelling has a water meter, is the litres used in
        each window: a window with water drawn (more than
        :data:`WATER_DRAWN_LITRES` above the dwelling's leak) is home, and so are
        the ``smoothing_windows`` either side of it.

        Raises ValueError when the history is too short to learn from; use
        :meth:`has_enough_history` first.
        """
        if water is not None and len(water) != len(windows):
            raise ValueError("water use must be given for every window")
        if not self.has_enough_history(windows):
            raise ValueError(
                f"away detection needs at least {self.settings.min_history_days} days of readings"
            )
        settings = self.settings
        lifted = self._lifted_floor(windows)
        floor = _centred_mean(lifted, settings.smoothing_windows)
        asleep = self.sleep_slots(windows, lifted)
        at_night = [self.local_slot(window) in asleep for window in windows]
        floor_limit = _quantile(_at(floor, at_night), settings.floor_quantile)
        away = [
            not night and low <= floor_limit for low, night in zip(floor, at_night, strict=True)
        ]
        if water is not None:
            away = [
                flag and not drawn
                for flag, drawn in zip(away, self._water_drawn(water), strict=True)
            ]
        away = _bridge_short_runs(away, of=False, shorter_than=settings.max_home_gap_windows)
        return _drop_short_runs(away, shorter_than=settings.min_away_windows)

    def _water_drawn(self, water: Sequence[float]) -> list[bool]:
        """Per window, whether water was drawn in it or within the smoothing span around it."""
        settings = self.settings
        leak = _rolling_quantile(water, settings.always_on_quantile, settings.always_on_windows)
        drawn = [
            1.0 if litres - seeping > WATER_DRAWN_LITRES else 0.0
            for litres, seeping in zip(water, leak, strict=True)
        ]
        return [bool(near) for near in _rolling_max(drawn, settings.smoothing_windows)]

    def _lifted_floor(self, windows: Sequence[LoadWindow]) -> list[float]:
        """Per window, the floor above the always-on load, lowest over the floor span."""
        settings = self.settings
        always_on = _rolling_quantile(
            [window.floor_kw for window in windows],
            settings.always_on_quantile,
            settings.always_on_windows,
        )
        return _rolling_min(
            [max(0.0, w.floor_kw - base) for w, base in zip(windows, always_on, strict=True)],
            settings.floor_span_windows,
        )

    def is_away_now(self, windows: Sequence[LoadWindow]) -> bool | None:
        """The decision for the latest window, ``None`` while history is too short."""
        if not self.has_enough_history(windows):
            return None
        return self.detect(windows)[-1]


def _centred_mean(values: Sequence[float], half_width: int) -> list[float]:
    prefix = [0.0]
    for value in values:
        prefix.append(prefix[-1] + value)
    smoothed = []
    for index in range(len(values)):
        low, high = max(0, index - half_width), min(len(values), index + half_width + 1)
        smoothed.append((prefix[high] - prefix[low]) / (high - low))
    return smoothed


def _at(values: Sequence[float], chosen: Sequence[bool]) -> list[float]:
    return [value for value, keep in zip(values, chosen, strict=True) if keep]


def _rolling_max(values: Sequence[float], half_width: int) -> list[float]:
    return [-low for low in _rolling_min([-value for value in values], half_width)]


def _rolling_min(values: Sequence[float], half_width: int) -> list[float]:
    return [
        min(values[max(0, index - half_width) : index + half_width + 1])
        for index in range(len(values))
    ]


def _rolling_quantile(values: Sequence[float], fraction: float, span: int) -> list[float]:
    """Per value, the quantile of the ``span`` values around it (shifted inward at the ends).

    Consecutive values share their span, so it is computed once per distinct span.
    """
    span = min(span, len(values))
    result: list[float] = []
    cached: tuple[int, float] | None = None
    for index in range(len(values)):
        first = min(max(0, index - span // 2), len(values) - span)
        if cached is None or cached[0] != first:
            cached = (first, _quantile(values[first : first + span], fraction))
        result.append(cached[1])
    return result


def _quantile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _runs(flags: Sequence[bool]) -> list[tuple[int, int, bool]]:
    runs: list[tuple[int, int, bool]] = []
    start = 0
    for index in range(1, len(flags) + 1):
        if index == len(flags) or flags[index] != flags[start]:
            runs.append((start, index, flags[start]))
            start = index
    return runs


def _bridge_short_runs(flags: list[bool], *, of: bool, shorter_than: int) -> list[bool]:
    """Flip inner runs of ``of`` shorter than the limit (both neighbours differ)."""
    result = list(flags)
    for start, end, value in _runs(flags):
        if value is of and end - start < shorter_than and start > 0 and end < len(flags):
            result[start:end] = [not of] * (end - start)
    return result


def _drop_short_runs(flags: list[bool], *, shorter_than: int) -> list[bool]:
    """Away runs shorter than the limit become home, wherever they are."""
    result = list(flags)
    for start, end, value in _runs(flags):
        if value and end - start < shorter_than:
            result[start:end] = [False] * (end - start)
    return result
