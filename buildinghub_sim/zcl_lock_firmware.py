"""A standard Zigbee door lock's behaviour, as the ZCL Door Lock cluster (0x0101) defines it.

Nothing of Building Hub is in it: no grants, no signatures. It holds a table of PIN
users (user id, status, type, code) and year-day schedules, opens for an enabled
user's code (a year-day-schedule user only inside one of its schedules, in its own
local time: the Time cluster's LocalTime = Time + TimeZone, + DstShift between
DstStart and DstEnd), locks its keypad for ``user_code_temporary_disable_time``
seconds after ``wrong_code_entry_limit`` wrong codes in a row, and tells its listeners
of every operation and programming event, which the radio layer sends as the
cluster's notifications. With logging enabled it also keeps the last
``log_records`` events in its log (Get Log Record), numbered from 1, index 0 being
the most recent.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from zigpy.zcl import foundation
from zigpy.zcl.clusters.closures import (
    OperationEvent,
    OperationEventSource,
    ProgrammingEvent,
    UserStatus,
    UserType,
)

from buildinghub.credentials import Clock
from buildinghub.devices.lock_time import LockTimeZone, to_zcl_time

# The statuses the spec gives Set PIN Code Response (ZCL 7.3.2.17.6).
SET_PIN_SUCCESS = 0x00
SET_PIN_FAILURE = 0x01
SET_PIN_MEMORY_FULL = 0x02
SET_PIN_DUPLICATE = 0x03


@dataclass(slots=True)
class ZclUser:
    """One row of the lock's user table."""

    status: UserStatus = UserStatus.Available
    user_type: UserType = UserType.Unrestricted
    code: str = ""


@dataclass(frozen=True, slots=True)
class OperationRecord:
    """An operation event: someone locked or unlocked, or tried."""

    source: OperationEventSource
    code: OperationEvent
    user_id: int
    local_time: int


@dataclass(frozen=True, slots=True)
class ProgrammingRecord:
    """A programming event: the user table changed."""

    source: OperationEventSource
    code: ProgrammingEvent
    user_id: int
    user_type: UserType
    user_status: UserStatus
    local_time: int


type LockEvent = OperationRecord | ProgrammingRecord


@dataclass(frozen=True, slots=True)
class LogRecord:
    """One record of the lock's event log (the PIN itself is not logged)."""

    entry_id: int
    event: LockEvent


@dataclass(slots=True, kw_only=True)
class ZclLockFirmware:
    """A ZCL door lock with a keypad."""

    clock: Clock
    pin_users: int = 10
    schedules_per_user: int = 1
    min_pin_length: int = 4
    max_pin_length: int = 8
    wrong_code_entry_limit: int = 5
    user_code_temporary_disable_time: int = 60
    locked: bool = True
    users: dict[int, ZclUser] = field(default_factory=dict)
    schedules: dict[tuple[int, int], tuple[int, int]] = field(default_factory=dict)
    """(user id, schedule id) -> (local start, local end) in ZCL time."""
    wrong_codes: int = 0
    keypad_disabled_until: int = 0
    zone: LockTimeZone = field(default_factory=LockTimeZone)
    """Its Time cluster's TimeZone and DST settings (factory-new: UTC)."""
    clock_error: int = 0
    """Seconds its own clock is ahead of the building's (until someone sets its Time)."""
    log_records: int = 16
    logging_enabled: bool = False
    log: deque[LogRecord] = field(default_factory=deque)
    _log_written: int = 0
    _listeners: list[Callable[[LockEvent], None]] = field(default_factory=list)

    def add_listener(self, listener: Callable[[LockEvent], None]) -> None:
        """Be told of every operation and programming event."""
        self._listeners.append(listener)

    def utc(self) -> int:
        """The lock's Time: UTC in ZCL time, as its own clock keeps it."""
        return max(0, to_zcl_time(self.clock.now()) + self.clock_error)

    def set_time(self, utc: int) -> None:
        """Someone wrote the Time attribute: the lock's clock says ``utc`` from now on."""
        self.clock_error = utc - to_zcl_time(self.clock.now())

    def now(self) -> int:
        """The lock's LocalTime, what its schedules and events are in."""
        return self.zone.local(self.clock.now() + self.clock_error)

    def get_log_record(self, index: int) -> LogRecord | None:
        """Get Log Record: ``index`` 0 is the most recent; None when the log lacks it."""
        if not self.log:
            return None
        if index == 0:
            return self.log[-1]
        return next((r for r in self.log if r.entry_id == index), None)

    # -- the user table (the Door Lock cluster's commands) -------------------------------

    def set_pin_code(
        self,
        user_id: int,
        status: UserStatus,
        user_type: UserType,
        code: str,
        *,
        source: OperationEventSource = OperationEventSource.RF,
    ) -> int:
        """Set PIN Code: one of the SET_PIN_* statuses."""
        if not 0 <= user_id < self.pin_users:
            return SET_PIN_MEMORY_FULL
        if not (code.isdigit() and self.min_pin_length <= len(code) <= self.max_pin_length):
            return SET_PIN_FAILURE
        if status not in (UserStatus.Enabled, UserStatus.Disabled):
            return SET_PIN_FAILURE
        if any(u.code == code and uid != user_id for uid, u in self.users.items()):
            return SET_PIN_DUPLICATE
        had = self.users.get(user_id)
        self.users[user_id] = ZclUser(status, user_type, code)
        changed = had is not None and had.code
        event = ProgrammingEvent.PINCodeChanges if changed else ProgrammingEvent.PINCodeAdded
        self._programming(source, event, user_id)
        return SET_PIN_SUCCESS

    def get_pin_code(self, user_id: int) -> ZclUser | None:
        """Get PIN Code: the row, or None for a user id out of range."""
        if not 0 <= user_id < self.pin_users:
            return None
        return self.users.get(user_id, ZclUser())

    def clear_pin_code(
        self, user_id: int, *, source: OperationEventSource = OperationEventSource.RF
    ) -> foundation.Status:
        """Clear PIN Code: the user's row and its schedules go."""
        if not 0 <= user_id < self.pin_users:
            return foundation.Status.INVALID_FIELD
        had = self.users.pop(user_id, None)
        for key in [k for k in self.schedules if k[0] == user_id]:
            del self.schedules[key]
        if had is not None:
            self._programming(source, ProgrammingEvent.PINCodeDeleted, user_id)
        return foundation.Status.SUCCESS

    def set_user_status(self, user_id: int, status: UserStatus) -> foundation.Status:
        """Set User Status (enabled or disabled) of an occupied user id."""
        user = self.users.get(user_id)
        if user is None or status not in (UserStatus.Enabled, UserStatus.Disabled):
            return foundation.Status.FAILURE
        user.status = status
        return foundation.Status.SUCCESS

    def set_user_type(self, user_id: int, user_type: UserType) -> foundation.Status:
        """Set User Type of an occupied user id."""
        user = self.users.get(user_id)
        if user is None:
            return foundation.Status.FAILURE
        user.user_type = user_type
        return foundation.Status.SUCCESS

    def set_year_day_schedule(
        self, schedule_id: int, user_id: int, start: int, end: int
    ) -> foundation.Status:
        """Set Year Day Schedule; the user becomes a year-day-schedule user."""
        user = self.users.get(user_id)
        if user is None or not 0 <= schedule_id < self.schedules_per_user or not 0 <= start < end:
            return foundation.Status.FAILURE
        self.schedules[(user_id, schedule_id)] = (start, end)
        user.user_type = UserType.Year_Day_Schedule_User
        return foundation.Status.SUCCESS

    def get_year_day_schedule(self, schedule_id: int, user_id: int) -> tuple[int, int] | None:
        """Get Year Day Schedule: the window, or None when there is none."""
        return self.schedules.get((user_id, schedule_id))

    def clear_year_day_schedule(self, schedule_id: int, user_id: int) -> foundation.Status:
        """Clear Year Day Schedule."""
        if not 0 <= schedule_id < self.schedules_per_user:
            return foundation.Status.INVALID_FIELD
        self.schedules.pop((user_id, schedule_id), None)
        return foundation.Status.SUCCESS

    # -- a person at the door --------------------------------------------------------------

    def keypad(self, code: str) -> OperationRecord:
        """Someone types a code at the keypad and presses unlock."""
        now = self.utc()
        if now < self.keypad_disabled_until:
            return self._operation(
                OperationEventSource.Keypad, OperationEvent.UnlockFailureInvalidPINorID, 0xFFFF
            )
        match = next((uid for uid, u in self.users.items() if u.code and u.code == code), None)
        if match is None or self.users[match].status != UserStatus.Enabled:
            self.wrong_codes += 1
            if self.wrong_codes >= self.wrong_code_entry_limit:
                self.keypad_disabled_until = now + self.user_code_temporary_disable_time
                self.wrong_codes = 0
            user_id = 0xFFFF if match is None else match
            return self._operation(
                OperationEventSource.Keypad, OperationEvent.UnlockFailureInvalidPINorID, user_id
            )
        self.wrong_codes = 0
        if not self._in_schedule(match, self.now()):
            return self._operation(
                OperationEventSource.Keypad, OperationEvent.UnlockFailureInvalidSchedule, match
            )
        self.locked = False
        return self._operation(OperationEventSource.Keypad, OperationEvent.Unlock, match)

    def add_code_at_keypad(self, user_id: int, code: str) -> int:
        """The owner programs a code at the keypad (with the lock's master code)."""
        return self.set_pin_code(
            user_id,
            UserStatus.Enabled,
            UserType.Unrestricted,
            code,
            source=OperationEventSource.Keypad,
        )

    def turn_thumbturn(self) -> OperationRecord:
        """Someone inside opens by hand."""
        self.locked = False
        return self._operation(OperationEventSource.Manual, OperationEvent.Manual_Unlock, 0xFFFF)

    def lock(self, source: OperationEventSource = OperationEventSource.RF) -> None:
        """The bolt goes out."""
        self.locked = True

    def _in_schedule(self, user_id: int, now: int) -> bool:
        if self.users[user_id].user_type != UserType.Year_Day_Schedule_User:
            return True
        return any(
            start <= now < end
            for (uid, _), (start, end) in self.schedules.items()
            if uid == user_id
        )

    def _operation(
        self, source: OperationEventSource, code: OperationEvent, user_id: int
    ) -> OperationRecord:
        record = OperationRecord(source, code, user_id, self.now())
        self._tell(record)
        return record

    def _programming(
        self, source: OperationEventSource, code: ProgrammingEvent, user_id: int
    ) -> None:
        user = self.users.get(user_id, ZclUser())
        record = ProgrammingRecord(source, code, user_id, user.user_type, user.status, self.now())
        self._tell(record)

    def _tell(self, event: LockEvent) -> None:
        if self.logging_enabled and self.log_records:
            self._log_written += 1
            self.log.append(LogRecord(self._log_written, event))
            while len(self.log) > self.log_records:
                self.log.popleft()
        for listener in list(self._listeners):
            listener(event)
