"""A standard lock's local time, as the ZCL Time cluster (0x000A) defines it (SPEC R15).

A Door Lock's year-day schedules are in the lock's local time. The Time cluster says
what that is: ``Time`` is UTC in seconds since 2000-01-01 (ZCL time),
``StandardTime = Time + TimeZone`` and ``LocalTime = StandardTime + DstShift`` while
``DstStart <= Time < DstEnd`` (one daylight-saving period at a time). The hub sets a
lock's zone from Home Assistant's, reads it back, and writes every schedule in it, so
the lock opens exactly inside a grant's window whatever its zone.

Around the end of daylight saving the local hour repeats. A window that starts or ends
inside that repetition could be matched by the lock an hour early or late; there the
hub narrows the written window (never widens it), so the PIN may open up to an hour
later or close up to an hour earlier, but never outside the grant.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

ZCL_EPOCH = 946_684_800
"""2000-01-01T00:00:00Z in unix seconds: where ZCL time (Time, LocalTime) starts."""
_DAY = 86_400
_SEARCH_DAYS = 400


def to_zcl_time(unix: int) -> int:
    """Unix seconds as ZCL UTC time."""
    return max(0, unix - ZCL_EPOCH)


def from_zcl_time(zcl: int) -> int:
    """ZCL UTC time as unix seconds."""
    return zcl + ZCL_EPOCH


@dataclass(frozen=True, slots=True, kw_only=True)
class LockTimeZone:
    """A lock's Time cluster settings: its standard offset and one daylight-saving period."""

    time_zone: int = 0
    """Seconds east of UTC in standard time (TimeZone)."""
    dst_start: int = 0
    """Where daylight saving starts, ZCL UTC time (DstStart)."""
    dst_end: int = 0
    """Where it ends, ZCL UTC time (DstEnd)."""
    dst_shift: int = 0
    """Seconds added while it lasts (DstShift)."""

    def local(self, unix: int) -> int:
        """The lock's LocalTime at the instant ``unix``."""
        utc = to_zcl_time(unix)
        shift = self.dst_shift if self.dst_start <= utc < self.dst_end else 0
        return max(0, utc + self.time_zone + shift)

    def local_window(self, start: int, end: int) -> tuple[int, int]:
        """[start, end) in unix seconds as the lock's local schedule, narrowed where the
        local hour repeats so the lock never opens outside [start, end)."""
        local_start, local_end = self.local(start), self.local(end)
        if self.dst_shift > 0 and self.dst_start < self.dst_end:
            ended = from_zcl_time(self.dst_end)
            repeated = self.dst_end + self.time_zone
            # A start in the repeated hour: the lock saw that local time an hour earlier.
            if ended <= start < ended + self.dst_shift:
                local_start = repeated + self.dst_shift
            # An end in the last hour before it: the lock sees that local time again after.
            if ended - self.dst_shift <= end < ended:
                local_end = repeated
        return local_start, max(local_start, local_end)

    @classmethod
    def of_zone(cls, zone: tzinfo, now: int) -> LockTimeZone:
        """The settings for ``zone``: its standard offset, and the daylight-saving period
        that contains ``now`` or comes next (none when the zone keeps no daylight saving)."""
        days = [now + day * _DAY for day in range(-_SEARCH_DAYS, _SEARCH_DAYS)]
        offsets = {_offset(zone, moment) for moment in days}
        standard, summer = min(offsets), max(offsets)
        if standard == summer:
            return cls(time_zone=standard)
        if _offset(zone, now) == summer:
            begin = next(d for d in reversed(days) if d <= now and _offset(zone, d) != summer)
        else:
            ahead = next((d for d in days if d > now and _offset(zone, d) == summer), None)
            if ahead is None:  # the zone dropped daylight saving
                return cls(time_zone=_offset(zone, now))
            begin = ahead - _DAY
        start = _change_after(zone, begin)
        after = next((d for d in days if d > start and _offset(zone, d) != summer), None)
        if after is None:  # the zone stays on summer time: that is its time now
            return cls(time_zone=summer)
        end = _change_after(zone, max(after - _DAY, start))
        return cls(
            time_zone=standard,
            dst_start=to_zcl_time(start),
            dst_end=to_zcl_time(end),
            dst_shift=summer - standard,
        )


def _offset(zone: tzinfo, unix: int) -> int:
    delta = datetime.fromtimestamp(unix, UTC).astimezone(zone).utcoffset()
    return 0 if delta is None else int(delta.total_seconds())


def _change_after(zone: tzinfo, low: int) -> int:
    # The first second after ``low`` whose offset differs from low's (within a day).
    before = _offset(zone, low)
    high = low + _DAY
    while high - low > 1:
        middle = (low + high) // 2
        if _offset(zone, middle) == before:
            low = middle
        else:
            high = middle
    return high
