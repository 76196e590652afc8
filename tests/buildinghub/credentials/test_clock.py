"""The verifier's clock: whole seconds, never stepping back."""

import time

from buildinghub.credentials import MonotonicClock


class _Source:
    def __init__(self, *times: float) -> None:
        self._times = list(times)

    def __call__(self) -> float:
        return self._times.pop(0)


def test_gives_whole_seconds_rounded_down() -> None:
    clock = MonotonicClock(_Source(1_767_225_600.9))

    assert clock.now() == 1_767_225_600


def test_keeps_the_last_time_when_the_source_steps_back() -> None:
    clock = MonotonicClock(_Source(1_000.0, 400.0, 999.5))

    assert [clock.now(), clock.now(), clock.now()] == [1_000, 1_000, 1_000]


def test_follows_the_source_again_once_it_passes_the_last_time() -> None:
    clock = MonotonicClock(_Source(1_000.0, 400.0, 1_001.0))

    assert [clock.now(), clock.now(), clock.now()] == [1_000, 1_000, 1_001]


def test_reads_the_system_clock_by_default() -> None:
    assert abs(MonotonicClock().now() - time.time()) < 2
