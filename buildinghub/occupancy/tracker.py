"""A dwelling's away state, kept live from its meter readings.

The hub feeds every electricity reading in (instantaneous demand in kW, or
the cumulative energy register in kWh, from which the average power between
two readings is derived) and, where the dwelling has one, its water meter's.
The tracker keeps the last ``history`` of 15-minute windows (enough for the detector to learn the
household's night), asks the detector about the latest one, and remembers a
resident's "I'm back": an absence the resident has confirmed the end of no
longer counts, until the detector has seen the household home and then away
again.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Final

from .detector import AwayDetector
from .series import WINDOW, LoadWindow, contiguous, window_start

DEFAULT_HISTORY: Final = timedelta(days=14)


class Presence(StrEnum):
    """What the tracker can say of a dwelling."""

    LEARNING = "learning"  # not enough history yet
    HOME = "home"
    AWAY = "away"


@dataclass(slots=True)
class _Accumulator:
    count: int = 0
    total: float = 0.0
    squares: float = 0.0
    floor: float = math.inf

    def add(self, value: float) -> None:
        self.count += 1
        self.total += value
        self.squares += value * value
        self.floor = min(self.floor, value)

    def window(self, start: datetime) -> LoadWindow:
        mean = self.total / self.count
        variance = max(0.0, self.squares / self.count - mean * mean)
        return LoadWindow(
            start=start,
            mean_kw=mean,
            spread_kw=math.sqrt(variance),
            floor_kw=min(self.floor, mean),
            samples=self.count,
        )


class AwayTracker:
    """Away or home for one dwelling, from its readings as they come."""

    def __init__(
        self, detector: AwayDetector | None = None, *, history: timedelta = DEFAULT_HISTORY
    ) -> None:
        self.detector = detector or AwayDetector()
        self.history = history
        self._windows: dict[datetime, _Accumulator] = {}
        self._last_energy: tuple[datetime, float] | None = None
        self._water: dict[datetime, float] = {}
        self._last_water: tuple[datetime, float] | None = None
        self._return_confirmed_at: datetime | None = None

    # -- readings ---------------------------------------------------------------------------

    def add_power(self, moment: datetime, kilowatts: float) -> None:
        """An instantaneous demand reading."""
        if not math.isfinite(kilowatts) or kilowatts < 0:
            raise ValueError("a power reading must be a finite, non-negative number of kW")
        self._windows.setdefault(window_start(moment), _Accumulator()).add(kilowatts)
        self._forget_before(moment - self.history)

    def add_energy(self, moment: datetime, kilowatt_hours: float) -> None:
        """A reading of the cumulative energy register: adds the average power since the last.

        Readings come in the order they were taken; one taken no later than the
        last one (a meter offering again what it already gave) adds nothing.
        """
        if not math.isfinite(kilowatt_hours):
            raise ValueError("an energy reading must be a finite number of kWh")
        previous = self._last_energy
        if previous is not None and moment <= previous[0]:
            return
        self._last_energy = (moment, kilowatt_hours)
        if previous is None:
            return
        hours = (moment - previous[0]) / timedelta(hours=1)
        used = kilowatt_hours - previous[1]
        # A register that went back was replaced or reset; a gap longer than a
        # window says nothing about any one window: neither gives a sample.
        if 0 < hours <= WINDOW / timedelta(hours=1) and used >= 0:
            self.add_power(moment, used / hours)

    def add_water(self, moment: datetime, litres: float) -> None:
        """A reading of the dwelling's water register (litres), as a second signal.

        A water meter reads when water flows, so what was used since the last
        reading counts in the window of this one. Same order rule as energy.
        """
        if not math.isfinite(litres):
            raise ValueError("a water reading must be a finite number of litres")
        previous = self._last_water
        if previous is not None and moment <= previous[0]:
            return
        self._last_water = (moment, litres)
        if previous is None or litres < previous[1]:
            return
        start = window_start(moment)
        self._water[start] = self._water.get(start, 0.0) + litres - previous[1]
        self._forget_before(moment - self.history)

    def _forget_before(self, oldest: datetime) -> None:
        first = window_start(oldest)
        for held in (self._windows, self._water):
            for start in [start for start in held if start < first]:
                del held[start]

    # -- decisions --------------------------------------------------------------------------

    def windows(self) -> list[LoadWindow]:
        """The windows held, oldest first, with gaps carried over as the detector expects."""
        return contiguous({start: held.window(start) for start, held in self._windows.items()})

    def water_use(self, windows: list[LoadWindow]) -> list[float] | None:
        """Litres used in each of ``windows``; ``None`` while no water meter has read."""
        if self._last_water is None:
            return None
        return [self._water.get(window.start, 0.0) for window in windows]

    def presence(self) -> Presence:
        """The dwelling's state, settled about 90 minutes behind the latest reading.

        A window is decided once the windows its decision depends on have all
        been seen (:attr:`AwayDetector.settling_windows`): deciding the newest
        window from half a smoothing span, or from a quarter-hour still
        filling, flickers at every kettle.
        """
        windows = self.windows()
        if not self.detector.has_enough_history(windows):
            return Presence.LEARNING
        away = self.detector.detect(windows, water=self.water_use(windows))[
            : len(windows) - self.detector.settling_windows
        ]
        if not away[-1]:
            return Presence.HOME
        absence_started = windows[_run_start(away)].start
        if self._return_confirmed_at is not None and absence_started <= self._return_confirmed_at:
            return Presence.HOME
        return Presence.AWAY

    def learning_left(self) -> timedelta:
        """How much more history the detector needs before it decides (zero once it does)."""
        missing = self.detector.min_history_windows - len(self.windows())
        return max(0, missing) * WINDOW

    def confirm_return(self, moment: datetime) -> None:
        """The resident says they are back: the current absence is over."""
        self._return_confirmed_at = moment

    # -- persistence ------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """What the hub stores so a restart keeps the learned history."""
        return {
            "windows": [
                [start.isoformat(), held.count, held.total, held.squares, held.floor]
                for start, held in sorted(self._windows.items())
            ],
            "last_energy": (
                [self._last_energy[0].isoformat(), self._last_energy[1]]
                if self._last_energy
                else None
            ),
            "water": [[start.isoformat(), litres] for start, litres in sorted(self._water.items())],
            "last_water": (
                [self._last_water[0].isoformat(), self._last_water[1]] if self._last_water else None
            ),
            "return_confirmed_at": (
                self._return_confirmed_at.isoformat() if self._return_confirmed_at else None
            ),
        }

    def load_json(self, data: dict[str, Any]) -> None:
        """Restore what :meth:`to_json` stored."""
        self._windows = {
            datetime.fromisoformat(start): _restored(held) for start, *held in data["windows"]
        }
        self._last_energy = _moment_and_total(data.get("last_energy"))
        self._water = {
            datetime.fromisoformat(start): float(litres) for start, litres in data.get("water", [])
        }
        self._last_water = _moment_and_total(data.get("last_water"))
        confirmed = data.get("return_confirmed_at")
        self._return_confirmed_at = datetime.fromisoformat(confirmed) if confirmed else None


def _moment_and_total(stored: list[Any] | None) -> tuple[datetime, float] | None:
    return (datetime.fromisoformat(stored[0]), float(stored[1])) if stored else None


def _restored(held: list[Any]) -> _Accumulator:
    """A stored window; those stored before floors were kept have their mean as floor."""
    count, total, squares, *floor = held
    accumulator = _Accumulator(int(count), float(total), float(squares))
    accumulator.floor = float(floor[0]) if floor else accumulator.total / accumulator.count
    return accumulator


def _run_start(flags: list[bool]) -> int:
    """Where the run of equal values that ends the list starts."""
    index = len(flags) - 1
    while index > 0 and flags[index - 1] == flags[-1]:
        index -= 1
    return index
