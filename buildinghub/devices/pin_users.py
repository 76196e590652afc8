"""The hub's record of the PIN users it wrote to standard ZCL door locks (SPEC R15, R17).

A standard lock keeps a table of PIN users (slot, status, type, code) and year-day
schedules; it cannot verify a signature, so the hub verifies each grant and then writes
the grant's PIN into a free slot with a schedule for the grant's window. This module
decides which slot, whether the lock can take it, what differs when the table is read
back (drift), and how many times a use-limited PIN was used. It keeps no PIN: the PIN
stays sealed in the grant the hub holds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

SCHEDULE_SLOT = 0
"""The year-day schedule the hub uses for each user: one window per grant."""


class Guarantee(StrEnum):
    """Who checks a credential at the door: what the product tells people."""

    VERIFIED_BY_LOCK = "verified by the lock"
    ENFORCED_BY_SCHEDULE = "enforced by the lock's schedule, verified by the hub"


class CapacityExceeded(Exception):
    """The lock cannot hold what the grant needs; the message says what and how much."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LockCapacity:
    """What a standard lock says it can hold (its Door Lock capacity attributes)."""

    pin_users: int
    schedules_per_user: int
    min_pin_length: int
    max_pin_length: int

    def check_pin(self, pin: str) -> None:
        """Refuse a PIN the keypad cannot take (the message never repeats the PIN)."""
        if not self.min_pin_length <= len(pin) <= self.max_pin_length:
            raise CapacityExceeded(
                f"this lock takes PINs of {self.min_pin_length} to {self.max_pin_length} "
                f"digits; the grant's PIN has {len(pin)}"
            )
        if self.schedules_per_user < 1:
            raise CapacityExceeded(
                "this lock supports no year-day schedule, so it cannot enforce a grant's "
                "window by itself"
            )


@dataclass(frozen=True, slots=True, kw_only=True)
class PinSlot:
    """One PIN user the hub wrote for one grant."""

    grant_id: bytes
    user_id: int
    start: int
    end: int
    max_uses: int | None = None
    uses: int = 0

    @property
    def exhausted(self) -> bool:
        """Whether a use-limited PIN was used as often as its grant allows."""
        return self.max_uses is not None and self.uses >= self.max_uses


@dataclass(frozen=True, slots=True, kw_only=True)
class LockUser:
    """One row of a lock's PIN user table, as the lock reports it."""

    user_id: int
    enabled: bool
    scheduled: bool
    """Whether the user is a year-day-schedule user (refused outside its schedules)."""
    code: str
    schedule: tuple[int, int] | None
    """The user's year-day window in the lock's local time (ZCL), if the lock holds one."""

    def __repr__(self) -> str:
        return f"LockUser(user_id={self.user_id}, enabled={self.enabled}, code=<hidden>)"


class DriftKind(StrEnum):
    """How a lock's table differs from what the hub wrote."""

    MISSING = "missing"
    """A PIN the hub wrote is gone or changed: the hub writes it again."""
    UNKNOWN = "unknown"
    """A PIN the hub did not write (added at the keypad): the hub cannot tell whose."""


@dataclass(frozen=True, slots=True)
class Drift:
    """One difference between the lock and the hub's record."""

    kind: DriftKind
    user_id: int
    grant_id: bytes | None


class PinTable:
    """The hub's PIN users on one standard lock, by grant."""

    def __init__(self) -> None:
        """An empty table."""
        self._slots: dict[bytes, PinSlot] = {}
        self.log_cursor: int | None = None
        """The newest record of the lock's event log whose uses are counted."""

    def __iter__(self) -> Iterator[PinSlot]:
        return iter(list(self._slots.values()))

    def __len__(self) -> int:
        return len(self._slots)

    def get(self, grant_id: bytes) -> PinSlot | None:
        """The slot a grant has, if any."""
        return self._slots.get(grant_id)

    def by_user(self, user_id: int) -> PinSlot | None:
        """The slot at a lock user id, if the hub wrote it."""
        for slot in self._slots.values():
            if slot.user_id == user_id:
                return slot
        return None

    def allocate(
        self,
        grant_id: bytes,
        *,
        start: int,
        end: int,
        max_uses: int | None,
        capacity: LockCapacity,
        taken: Iterable[int] = (),
    ) -> PinSlot:
        """A slot for a grant: its own again if it has one, else the lowest free user id.

        ``taken``: user ids the lock holds that the hub did not write (never overwritten).
        Raises CapacityExceeded when every slot is in use.
        """
        held = self._slots.get(grant_id)
        if held is not None:
            slot = PinSlot(
                grant_id=grant_id,
                user_id=held.user_id,
                start=start,
                end=end,
                max_uses=max_uses,
                uses=held.uses,
            )
        else:
            used = {s.user_id for s in self._slots.values()} | set(taken)
            free = next((i for i in range(capacity.pin_users) if i not in used), None)
            if free is None:
                raise CapacityExceeded(
                    f"this lock holds at most {capacity.pin_users} PIN users and all are in "
                    f"use; revoke or let a grant expire first"
                )
            slot = PinSlot(grant_id=grant_id, user_id=free, start=start, end=end, max_uses=max_uses)
        self._slots[grant_id] = slot
        return slot

    def release(self, grant_id: bytes) -> PinSlot | None:
        """Forget a grant's slot (after its PIN was cleared at the lock)."""
        return self._slots.pop(grant_id, None)

    def count_use(self, user_id: int) -> PinSlot | None:
        """The lock reported an opening by ``user_id``: one more use of its grant."""
        slot = self.by_user(user_id)
        if slot is None:
            return None
        counted = PinSlot(
            grant_id=slot.grant_id,
            user_id=slot.user_id,
            start=slot.start,
            end=slot.end,
            max_uses=slot.max_uses,
            uses=slot.uses + 1,
        )
        self._slots[slot.grant_id] = counted
        return counted

    def drift(
        self,
        users: Iterable[LockUser],
        pins: Mapping[bytes, str],
        local_window: Callable[[int, int], tuple[int, int]],
    ) -> list[Drift]:
        """What differs between the lock's table and the hub's slots.

        ``pins``: the PIN of each grant the hub holds (opened from the grant), to compare
        codes without keeping them; ``local_window``: a slot's window as the lock's local
        schedule (lock_time.LockTimeZone.local_window of the lock's zone).
        """
        found = {user.user_id: user for user in users}
        drifts: list[Drift] = []
        for slot in self._slots.values():
            user = found.get(slot.user_id)
            expected = pins.get(slot.grant_id)
            if (
                user is None
                or not user.enabled
                or not user.scheduled
                or user.code != expected
                or user.schedule != local_window(slot.start, slot.end)
            ):
                drifts.append(Drift(DriftKind.MISSING, slot.user_id, slot.grant_id))
        ours = {slot.user_id for slot in self._slots.values()}
        for user_id, user in sorted(found.items()):
            if user_id not in ours and user.code:
                drifts.append(Drift(DriftKind.UNKNOWN, user_id, None))
        return drifts

    def to_json(self) -> list[dict[str, Any]]:
        """The slots, for the hub's store (no PIN is in them)."""
        return [
            {
                "grant_id": slot.grant_id.hex(),
                "user_id": slot.user_id,
                "start": slot.start,
                "end": slot.end,
                "max_uses": slot.max_uses,
                "uses": slot.uses,
            }
            for slot in self._slots.values()
        ]

    def load_json(self, data: Iterable[Mapping[str, Any]]) -> None:
        """Restore slots written by :meth:`to_json`."""
        self._slots = {}
        for item in data:
            grant_id = bytes.fromhex(item["grant_id"])
            self._slots[grant_id] = PinSlot(
                grant_id=grant_id,
                user_id=int(item["user_id"]),
                start=int(item["start"]),
                end=int(item["end"]),
                max_uses=None if item["max_uses"] is None else int(item["max_uses"]),
                uses=int(item["uses"]),
            )
