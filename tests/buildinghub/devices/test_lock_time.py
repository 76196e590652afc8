"""A standard lock's local time (ZCL Time cluster) and the schedules written in it."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from buildinghub.devices.lock_time import LockTimeZone, from_zcl_time, to_zcl_time

HOUR = 3600
BERLIN = ZoneInfo("Europe/Berlin")


def unix(*args: int) -> int:
    return int(datetime(*args, tzinfo=UTC).timestamp())  # type: ignore[misc]


def opens(zone: LockTimeZone, window: tuple[int, int], at: int) -> bool:
    """What the lock does at ``at``: its LocalTime inside the written schedule."""
    return window[0] <= zone.local(at) < window[1]


def test_berlin_in_winter_holds_the_coming_summer_period() -> None:
    zone = LockTimeZone.of_zone(BERLIN, unix(2026, 11, 2, 9))

    assert zone.time_zone == HOUR
    assert zone.dst_shift == HOUR
    assert from_zcl_time(zone.dst_start) == unix(2027, 3, 28, 1)
    assert from_zcl_time(zone.dst_end) == unix(2027, 10, 31, 1)


def test_berlin_in_summer_holds_the_current_period() -> None:
    zone = LockTimeZone.of_zone(BERLIN, unix(2027, 6, 1))

    assert from_zcl_time(zone.dst_start) == unix(2027, 3, 28, 1)
    assert from_zcl_time(zone.dst_end) == unix(2027, 10, 31, 1)


def test_a_southern_zone_has_its_summer_across_the_new_year() -> None:
    zone = LockTimeZone.of_zone(ZoneInfo("Australia/Sydney"), unix(2026, 8, 1))

    assert zone.time_zone == 10 * HOUR
    assert from_zcl_time(zone.dst_start) == unix(2026, 10, 3, 16)
    assert from_zcl_time(zone.dst_end) == unix(2027, 4, 3, 16)


def test_a_zone_without_daylight_saving_is_its_offset() -> None:
    assert LockTimeZone.of_zone(ZoneInfo("Asia/Tokyo"), unix(2026, 8, 1)) == LockTimeZone(
        time_zone=9 * HOUR
    )


def test_local_time_adds_the_shift_only_inside_the_period() -> None:
    zone = LockTimeZone.of_zone(BERLIN, unix(2026, 11, 2))
    spring = unix(2027, 3, 28, 1)

    assert zone.local(spring - 1) == to_zcl_time(spring - 1) + HOUR
    assert zone.local(spring) == to_zcl_time(spring) + 2 * HOUR


def test_a_window_across_both_changes_opens_exactly_inside_it() -> None:
    zone = LockTimeZone.of_zone(BERLIN, unix(2026, 11, 2))
    start, end = unix(2027, 3, 27, 12), unix(2027, 10, 31, 12)
    window = zone.local_window(start, end)

    assert not opens(zone, window, start - 1)
    assert opens(zone, window, start)
    assert opens(zone, window, unix(2027, 3, 28, 1))
    assert opens(zone, window, end - 1)
    assert not opens(zone, window, end)


def test_a_window_at_the_repeated_hour_is_narrowed_never_widened() -> None:
    zone = LockTimeZone.of_zone(BERLIN, unix(2027, 6, 1))
    autumn = unix(2027, 10, 31, 1)  # 03:00 summer time becomes 02:00 again
    # Ends in the last summer hour; starts in the repeated winter hour.
    ending = zone.local_window(autumn - 2 * HOUR, autumn - HOUR // 2)
    starting = zone.local_window(autumn + HOUR // 2, autumn + 3 * HOUR)

    for at in range(autumn - 3 * HOUR, autumn + 4 * HOUR, 60):
        assert not opens(zone, ending, at) or autumn - 2 * HOUR <= at < autumn - HOUR // 2
        assert not opens(zone, starting, at) or autumn + HOUR // 2 <= at < autumn + 3 * HOUR
    # The narrowing costs at most the repeated hour.
    assert opens(zone, ending, autumn - HOUR - 1)
    assert opens(zone, starting, autumn + HOUR)
