"""A bay's listing: who may book it (SPEC P10) and what it offers when (SPEC P13).

Policy modes:

- ``anyone``: every user of the hub may book;
- ``area``: the people of one area (a named area and the users listed as its people:
  the hub does not guess who lives where, the manager says so);
- ``authorised``: the bay's owner and the users the owner authorised.

Free times are weekly windows in the car park's local time; a booking must lie inside
them (adjacent windows join, so a booking may run across midnight or over days). A bay
with no free times listed is free at any time.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, time, timedelta, tzinfo
from enum import StrEnum
from typing import Any

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class ListingError(Exception):
    """The listing or policy data is not usable; the message says why."""


class PolicyRefused(Exception):
    """The bay's policy does not admit this user."""


class OutsideFreeTimes(Exception):
    """The slot is not inside the bay's free times."""


class PolicyMode(StrEnum):
    """Who may book a bay."""

    ANYONE = "anyone"
    AREA = "area"
    AUTHORISED = "authorised"


@dataclass(frozen=True, slots=True, kw_only=True)
class BayPolicy:
    """Who may book one bay."""

    mode: PolicyMode = PolicyMode.ANYONE
    area: str | None = None
    owner: str | None = None
    users: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        """Refuse a policy that names no one it could admit."""
        if self.mode is PolicyMode.AREA and not self.area:
            raise ListingError("an 'area' policy names its area")
        if self.mode is PolicyMode.AUTHORISED and not self.owner:
            raise ListingError("an 'authorised' policy names the bay's owner")

    def check(self, user: str) -> None:
        """Raise PolicyRefused unless ``user`` may book this bay."""
        if self.mode is PolicyMode.ANYONE or user in self.users:
            return
        if self.mode is PolicyMode.AUTHORISED and user == self.owner:
            return
        if self.mode is PolicyMode.AREA:
            raise PolicyRefused(f"this bay is only for people of the area {self.area}")
        raise PolicyRefused("this bay is only for its owner and the people the owner authorised")

    def to_json(self) -> dict[str, Any]:
        """A JSON-able form."""
        return {
            "mode": self.mode.value,
            "area": self.area,
            "owner": self.owner,
            "users": list(self.users),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BayPolicy:
        """Read :meth:`to_json`'s form."""
        return cls(
            mode=PolicyMode(data["mode"]),
            area=data.get("area"),
            owner=data.get("owner"),
            users=tuple(data.get("users", ())),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class FreeWindow:
    """Free on these weekdays from start to end (local time; end 24:00 is midnight)."""

    days: tuple[str, ...]
    start: str
    end: str

    def __post_init__(self) -> None:
        """Refuse unknown days and windows that end before they start."""
        if not self.days or any(day not in DAYS for day in self.days):
            raise ListingError(f"free-time days are among {', '.join(DAYS)}")
        if _minutes(self.end) <= _minutes(self.start):
            raise ListingError(f"a free time must end after it starts ({self.start}-{self.end})")

    def occurrences(self, day: datetime) -> list[tuple[datetime, datetime]]:
        """This window on the local day starting at ``day`` (midnight), if it is one of its days."""
        if DAYS[day.weekday()] not in self.days:
            return []
        return [
            (
                day + timedelta(minutes=_minutes(self.start)),
                day + timedelta(minutes=_minutes(self.end)),
            )
        ]


def _minutes(text: str) -> int:
    try:
        hours, minutes = (int(part) for part in text.split(":"))
    except ValueError as err:
        raise ListingError(f"times are HH:MM, not {text!r}") from err
    if not (0 <= minutes < 60 and (0 <= hours < 24 or (hours, minutes) == (24, 0))):
        raise ListingError(f"times are HH:MM between 00:00 and 24:00, not {text!r}")
    return hours * 60 + minutes


@dataclass(frozen=True, slots=True, kw_only=True)
class BayListing:
    """What a bay's listing shows (SPEC P13), its state being the bookings'."""

    area: str | None = None
    price_per_hour: int | None = None
    currency: str | None = None
    vehicle_type: str | None = None
    free_times: tuple[FreeWindow, ...] = field(default=())

    def __post_init__(self) -> None:
        """A price needs its currency and is not negative."""
        if self.price_per_hour is not None and (self.price_per_hour < 0 or not self.currency):
            raise ListingError("a price is a non-negative amount in minor units with a currency")

    def check_free(self, start: int, end: int, zone: tzinfo) -> None:
        """Raise OutsideFreeTimes unless [start, end) lies inside the free times."""
        if not self.free_times:
            return
        at = datetime.fromtimestamp(start, UTC).astimezone(zone)
        until = datetime.fromtimestamp(end, UTC).astimezone(zone)
        windows = sorted(
            occurrence
            for offset in range((until.date() - at.date()).days + 2)
            for window in self.free_times
            for occurrence in window.occurrences(_local_midnight(at, offset - 1, zone))
        )
        for window_start, window_end in windows:
            if window_start <= at < window_end:
                at = window_end
            if at >= until:
                return
        raise OutsideFreeTimes(
            f"the bay is not free at {at.strftime('%a %H:%M')}: book inside its free times"
        )

    def to_json(self) -> dict[str, Any]:
        """A JSON-able form."""
        data = asdict(self)
        data["free_times"] = [
            {**asdict(window), "days": list(window.days)} for window in self.free_times
        ]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BayListing:
        """Read :meth:`to_json`'s (or an action's) form; ListingError if it is not usable."""
        try:
            windows = tuple(
                FreeWindow(days=tuple(w["days"]), start=str(w["start"]), end=str(w["end"]))
                for w in data.get("free_times") or ()
            )
        except (KeyError, TypeError) as err:
            raise ListingError("each free time has days, start and end") from err
        return cls(
            area=data.get("area"),
            price_per_hour=data.get("price_per_hour"),
            currency=data.get("currency"),
            vehicle_type=data.get("vehicle_type"),
            free_times=windows,
        )


def _local_midnight(at: datetime, offset: int, zone: tzinfo) -> datetime:
    day = at.date() + timedelta(days=offset)
    return datetime.combine(day, time(0), zone)
