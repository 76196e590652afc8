"""Unsupervised away detection: "as quiet as the household asleep, for long".

The method, and why (details and numbers in the README):

- A household asleep is at home and uses about as much power as a household
  that is out: the refrigerator, the heating and standby loads run either
  way, and nobody switches anything. So the hours of sleep are a reference
  for "nobody active" that every dwelling provides for free, with no labels.
- Which hours those are is learned, not assumed: the block of ``sleep_hours``
  with the least variation of load, averaged over the days seen. Given the
  dwelling's time zone (a hub always knows it), only blocks that start between
  21:00 and 03:00 local time are candidates: on weekdays alone a long working
  day is as quiet as a night, and only the clock tells them apart. Without a
  time zone every block is a candidate, which needs a history that includes
  days at home (a full week) to find the night.
- Outside that block a window is "away" when the load, smoothed over
  ``2 * smoothing_windows + 1`` windows, stays below the ``quiet_quantile``
  of the smoothed load during sleep. Smoothing matters more than any single
  feature: one quarter-hour of load separates home from away poorly (a
  cycling appliance looks like a person), two hours of it separate them well.
- Absences are hours long and people come and go in steps, so away runs
  shorter than ``min_away_windows`` are dropped and home blips shorter than
  ``max_home_gap_windows`` inside an absence are bridged.

NIOM (Chen et al., BuildSys 2013) thresholds per-window statistics against
the night-time base load; this detector keeps the night as the reference but
compares smoothed levels and learns the night itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Final

from .series import SLOTS_PER_DAY, LoadWindow

#: Local quarter-hours a night's sleep may start in (21:00 to 03:00).
BEDTIME_SLOTS: Final = frozenset(range(21 * 4, 24 * 4)) | frozenset(range(3 * 4 + 1))


@dataclass(frozen=True, slots=True, kw_only=True)
class DetectorSettings:
    """How the detector decides; the defaults are the documented method."""

    sleep_hours: int = 6
    smoothing_windows: int = 4
    quiet_quantile: float = 0.75
    min_away_windows: int = 4
    max_home_gap_windows: int = 2
    min_history_days: int = 2

    def __post_init__(self) -> None:
        if not 1 <= self.sleep_hours <= 12:
            raise ValueError("sleep_hours must be between 1 and 12")
        if not 0.0 < self.quiet_quantile < 1.0:
            raise ValueError("quiet_quantile must be between 0 and 1")
        if min(self.smoothing_windows, self.max_home_gap_windows) < 0:
            raise ValueError("window counts cannot be negative")
        if self.min_away_windows < 1 or self.min_history_days < 1:
            raise ValueError("min_away_windows and min_history_days must be at least 1")


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

    def has_enough_history(self, windows: Sequence[LoadWindow]) -> bool:
        """Whether ``windows`` span enough days to learn the household's sleep."""
        return len(windows) >= self.settings.min_history_days * SLOTS_PER_DAY

    def sleep_slots(self, windows: Sequence[LoadWindow]) -> frozenset[int]:
        """The quarter-hours of the day the household is asleep (learned)."""
        totals = [0.0] * SLOTS_PER_DAY
        counts = [0] * SLOTS_PER_DAY
        for window in windows:
            slot = self.local_slot(window)
            totals[slot] += window.spread_kw
            counts[slot] += 1
        profile = [
            total / count if count else 0.0 for total, count in zip(totals, counts, strict=True)
        ]
        length = self.settings.sleep_hours * 4
        candidates = BEDTIME_SLOTS if self.time_zone is not None else range(SLOTS_PER_DAY)
        quietest = min(
            candidates,
            key=lambda start: sum(
                profile[(start + offset) % SLOTS_PER_DAY] for offset in range(length)
            ),
        )
        return frozenset((quietest + offset) % SLOTS_PER_DAY for offset in range(length))

    def detect(self, windows: Sequence[LoadWindow]) -> list[bool]:
        """Away (True) or home (False) for every window.

        Raises ValueError when the history is too short to learn from; use
        :meth:`has_enough_history` first.
        """
        if not self.has_enough_history(windows):
            raise ValueError(
                f"away detection needs at least {self.settings.min_history_days} days of readings"
            )
        asleep = self.sleep_slots(windows)
        level = _centred_mean(
            [window.mean_kw for window in windows], self.settings.smoothing_windows
        )
        quiet = _quantile(
            [
                value
                for value, window in zip(level, windows, strict=True)
                if self.local_slot(window) in asleep
            ],
            self.settings.quiet_quantile,
        )
        away = [
            self.local_slot(window) not in asleep and value < quiet
            for value, window in zip(level, windows, strict=True)
        ]
        away = _bridge_short_runs(away, of=False, shorter_than=self.settings.max_home_gap_windows)
        return _drop_short_runs(away, shorter_than=self.settings.min_away_windows)

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
