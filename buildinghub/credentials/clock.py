"""The verifier's notion of now: whole unix seconds that never step back."""

import math
import time
from collections.abc import Callable
from typing import Protocol


class Clock(Protocol):
    """A source of the current time in unix seconds."""

    def now(self) -> int:
        """The current time, whole unix seconds."""
        ...


def _system_time() -> float:
    # Looked up at each call, so a clock patched in tests (freezegun) is honoured.
    return time.time()


class MonotonicClock:
    """Wall-clock seconds that never step back.

    If the source goes backwards (an NTP correction, a bad RTC after a power cut), the last
    value is kept until the source catches up, so a grant that has expired stays expired.
    """

    __slots__ = ("_last", "_source")

    def __init__(self, source: Callable[[], float] | None = None) -> None:
        """Read time from source (unix seconds, default the system clock)."""
        self._source = source or _system_time
        self._last: int | None = None

    def now(self) -> int:
        """The source's time in whole seconds, or the last value returned if that is later."""
        current = math.floor(self._source())
        if self._last is None or current > self._last:
            self._last = current
        return self._last
