"""The hub's client for a standard Zigbee door lock: the ZCL Door Lock cluster (0x0101) only.

Such a lock verifies no signature. The hub writes a verified grant's PIN as a PIN
user (``set_pin_code``) with a year-day schedule for the grant's window
(``set_year_day_schedule``), so the lock enforces the window even while the hub is
down; it reads the user table back to find drift and hears the lock's operation and
programming events.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import zigpy.device
from zigpy.exceptions import DeliveryError
from zigpy.zcl import Cluster, foundation
from zigpy.zcl.clusters.closures import (
    DoorLock,
    LockState,
    OperationEvent,
    OperationEventSource,
    ProgrammingEvent,
    UserStatus,
    UserType,
)
from zigpy.zcl.clusters.general import PowerConfiguration, Time
from zigpy.zcl.foundation import ZCLAttributeDef

from buildinghub.credentials import Clock
from buildinghub.radio.errors import DeviceUnreachable
from buildinghub.radio.reports import on_report
from buildinghub.radio.request_policy import RETRIES

from .door_lock import LockStatus
from .door_lock_protocol import AccessMethod
from .lock_time import LockTimeZone
from .pin_users import SCHEDULE_SLOT, LockCapacity, LockUser

_LOGGER = logging.getLogger(__name__)
ENDPOINT_ID = 1
REQUEST_TIMEOUT_S = 5.0
NO_USER = 0xFFFF
_CAPACITY_ATTRIBUTES = (
    "num_of_pin_users_supported",
    "num_of_year_day_schedules_supported_per_user",
    "min_pin_len",
    "max_pin_len",
)
_TIME_ZONE_ATTRIBUTES = ("time_zone", "dst_start", "dst_end", "dst_shift")
_LOG_RECORDS = "num_of_lock_records_supported"
_OPERATION_LOG = 0x00
"""Get Log Record Response's EventType for an operation (ZCL 7.3.2.17.5)."""
_METHOD = {
    OperationEventSource.Keypad: AccessMethod.KEYPAD,
    OperationEventSource.RF: AccessMethod.REMOTE,
    OperationEventSource.Manual: AccessMethod.MANUAL,
}
_OPENED = frozenset({OperationEvent.Unlock, OperationEvent.KeyUnlock, OperationEvent.Manual_Unlock})
_REASON = {
    OperationEvent.Unlock: "ok",
    OperationEvent.KeyUnlock: "key",
    OperationEvent.Manual_Unlock: "manual",
    OperationEvent.UnlockFailureInvalidPINorID: "wrong_pin",
    OperationEvent.UnlockFailureInvalidSchedule: "outside_schedule",
}


class StandardLockRefused(Exception):
    """The lock answered a command with a failure status."""

    def __init__(self, what: str, status: int) -> None:
        super().__init__(f"the lock refused to {what} (status 0x{status:02X})")
        self.what = what
        self.status = status


@dataclass(frozen=True, slots=True, kw_only=True)
class LockOperation:
    """An operation event the lock reported: who, how, and whether it opened."""

    method: AccessMethod
    granted: bool
    reason: str
    user_id: int | None
    at: int


@dataclass(frozen=True, slots=True, kw_only=True)
class LogEntry:
    """One record of the lock's event log (Get Log Record Response; its PIN is not kept)."""

    entry_id: int
    local_time: int
    operation: bool
    """An operation event (else a programming event or an alarm)."""
    source: int
    event: int
    user_id: int

    @property
    def opened(self) -> bool:
        """Whether the door opened for a user's code."""
        return self.operation and self.event in _OPENED and self.user_id != NO_USER


@dataclass(frozen=True, slots=True, kw_only=True)
class LockProgramming:
    """A programming event the lock reported: its user table changed."""

    source: OperationEventSource
    event: ProgrammingEvent
    user_id: int


class StandardLockClient:
    """Talks to one standard lock; safe to share within the hub's event loop."""

    def __init__(self, device: zigpy.device.Device, *, clock: Clock) -> None:
        endpoint = device.endpoints[ENDPOINT_ID]
        self._device = device
        self._door: Cluster = endpoint.in_clusters[DoorLock.cluster_id]
        self._power: Cluster | None = endpoint.in_clusters.get(PowerConfiguration.cluster_id)
        self._time: Cluster | None = endpoint.in_clusters.get(Time.cluster_id)
        self._clock = clock

    @property
    def ieee(self) -> str:
        """The lock's IEEE address as text."""
        return str(self._device.ieee)

    async def read_capacity(self) -> LockCapacity:
        """How many PIN users and schedules the lock holds, and its PIN lengths."""
        values = await self._read(_CAPACITY_ATTRIBUTES)
        missing = [name for name in _CAPACITY_ATTRIBUTES if name not in values]
        if missing:
            raise StandardLockRefused(f"report its capacity ({', '.join(missing)})", 0x86)
        return LockCapacity(
            pin_users=int(values["num_of_pin_users_supported"]),
            schedules_per_user=int(values["num_of_year_day_schedules_supported_per_user"]),
            min_pin_length=int(values["min_pin_len"]),
            max_pin_length=int(values["max_pin_len"]),
        )

    async def read_time_zone(self) -> LockTimeZone | None:
        """The lock's Time cluster settings; None when the lock has no Time cluster."""
        if self._time is None:
            return None
        values = await self._read(_TIME_ZONE_ATTRIBUTES, self._time)
        if any(name not in values for name in _TIME_ZONE_ATTRIBUTES):
            return None
        return LockTimeZone(**{name: int(values[name]) for name in _TIME_ZONE_ATTRIBUTES})

    async def read_clock(self) -> int | None:
        """The lock's Time (UTC, ZCL time); None when it has no Time cluster or no clock."""
        if self._time is None:
            return None
        value = (await self._read(("time",), self._time)).get("time")
        return None if value is None else int(value)

    async def write_clock(self, utc: int) -> None:
        """Set the lock's Time (UTC, ZCL time)."""
        if self._time is None:
            raise StandardLockRefused("set its clock (it has no Time cluster)", 0x86)
        await self._write(self._time, {"time": utc})

    async def write_time_zone(self, zone: LockTimeZone) -> None:
        """Set the lock's zone and daylight-saving period (its Time cluster)."""
        if self._time is None:
            raise StandardLockRefused("set its time zone (it has no Time cluster)", 0x86)
        await self._write(self._time, {name: getattr(zone, name) for name in _TIME_ZONE_ATTRIBUTES})

    async def enable_log(self) -> int:
        """Switch the lock's event log on; how many records it keeps (0: it keeps none)."""
        values = await self._read((_LOG_RECORDS,))
        records = int(values.get(_LOG_RECORDS, 0))
        if records:
            await self._write(self._door, {"enable_logging": True})
        return records

    async def read_log_entry(self, index: int) -> LogEntry | None:
        """Log record ``index`` (0: the most recent); None when the lock does not hold it."""
        reply = await self._call("get_log_record", log_index=index)
        if not hasattr(reply, "log_entry_id"):
            return None
        return LogEntry(
            entry_id=int(reply.log_entry_id),
            local_time=int(reply.timestamp),
            operation=int(reply.event_type) == _OPERATION_LOG,
            source=int(reply.source),
            event=int(reply.event_id_or_alarm_code),
            user_id=int(reply.user_id),
        )

    async def write_pin_user(self, user_id: int, pin: str, start: int, end: int) -> None:
        """A PIN user, enabled, that opens only inside [start, end) (the lock's local time).

        The user is written disabled first and enabled only once its schedule is in
        place, so there is no moment where the PIN opens without its window.
        """
        await self._expect(
            "set the PIN user",
            "set_pin_code",
            user_id=user_id,
            user_status=UserStatus.Disabled,
            user_type=UserType.Year_Day_Schedule_User,
            pin_code=pin,
        )
        await self._expect(
            "set the user's year-day schedule",
            "set_year_day_schedule",
            schedule_id=SCHEDULE_SLOT,
            user_id=user_id,
            local_start_time=start,
            local_end_time=end,
        )
        await self._expect(
            "set the user type",
            "set_user_type",
            user_id=user_id,
            user_type=UserType.Year_Day_Schedule_User,
        )
        await self._expect(
            "enable the PIN user",
            "set_user_status",
            user_id=user_id,
            user_status=UserStatus.Enabled,
        )

    async def clear_pin_user(self, user_id: int) -> None:
        """Remove a PIN user and its schedule (the PIN first, so it never opens unscheduled)."""
        await self._expect("clear the PIN user", "clear_pin_code", user_id=user_id)
        await self._expect(
            "clear the year-day schedule",
            "clear_year_day_schedule",
            schedule_id=SCHEDULE_SLOT,
            user_id=user_id,
        )

    async def read_user(self, user_id: int) -> LockUser:
        """One row of the lock's user table and its year-day schedule."""
        row = await self._call("get_pin_code", user_id=user_id)
        code = str(row.code or "")
        schedule = None
        if code:
            answer = await self._call(
                "get_year_day_schedule", schedule_id=SCHEDULE_SLOT, user_id=user_id
            )
            if answer.status == foundation.Status.SUCCESS:
                schedule = (int(answer.local_start_time), int(answer.local_end_time))
        return LockUser(
            user_id=user_id,
            enabled=row.user_status == UserStatus.Enabled,
            scheduled=row.user_type == UserType.Year_Day_Schedule_User,
            code=code,
            schedule=schedule,
        )

    async def read_users(self, capacity: LockCapacity) -> list[LockUser]:
        """The whole PIN user table, slot by slot."""
        return [await self.read_user(user_id) for user_id in range(capacity.pin_users)]

    async def lock(self) -> None:
        """Bolt the door."""
        await self._call("lock_door")

    async def read_status(self) -> LockStatus:
        """Lock state and battery (a standard lock keeps no grants and states no clock)."""
        door = await self._read(("lock_state",))
        battery = None
        if self._power is not None:
            try:
                power, _ = await self._power.read_attributes(
                    ["battery_percentage_remaining"], retries=RETRIES
                )
            except (DeliveryError, TimeoutError) as err:
                raise DeviceUnreachable(self.ieee) from err
            raw = power.get("battery_percentage_remaining")
            battery = None if raw is None else int(raw) // 2
        return LockStatus(
            locked=door.get("lock_state") == LockState.Locked,
            battery_percent=battery,
            device_time=self._clock.now(),
            grant_count=0,
        )

    def add_event_listener(
        self,
        on_operation: Callable[[LockOperation], None],
        on_programming: Callable[[LockProgramming], None],
    ) -> Callable[[], None]:
        """Be told of the lock's operation and programming events."""
        client = self

        class _Listener:
            def cluster_command(self, tsn: int, command_id: int, args: Any) -> None:
                client._on_command(command_id, args, on_operation, on_programming)

        listener = _Listener()
        self._door.add_listener(listener)
        return lambda: self._door.remove_listener(listener)

    def add_bolt_listener(self, callback: Callable[[bool], None]) -> Callable[[], None]:
        """Be told whenever the lock reports its bolt moved (True: locked)."""
        return on_report(
            self._door,
            DoorLock.AttributeDefs.lock_state,
            lambda value: callback(value == LockState.Locked),
        )

    # -- internals -----------------------------------------------------------------------

    def _on_command(
        self,
        command_id: int,
        args: Any,
        on_operation: Callable[[LockOperation], None],
        on_programming: Callable[[LockProgramming], None],
    ) -> None:
        commands = DoorLock.ClientCommandDefs
        if command_id == commands.operation_event_notification.id:
            code = args.operation_event_code
            if code not in _REASON:
                return
            user = int(args.user_id)
            on_operation(
                LockOperation(
                    method=_METHOD.get(args.operation_event_source, AccessMethod.MANUAL),
                    granted=code in _OPENED,
                    reason=_REASON[code],
                    user_id=None if user == NO_USER else user,
                    at=self._clock.now(),
                )
            )
        elif command_id == commands.programming_event_notification.id:
            on_programming(
                LockProgramming(
                    source=args.program_event_source,
                    event=args.program_event_code,
                    user_id=int(args.user_id),
                )
            )

    async def _read(self, names: tuple[str, ...], cluster: Cluster | None = None) -> dict[str, Any]:
        try:
            values, _ = await (cluster or self._door).read_attributes(list(names), retries=RETRIES)
        except (DeliveryError, TimeoutError) as err:
            raise DeviceUnreachable(self.ieee) from err
        return dict(values)

    async def _write(
        self, cluster: Cluster, values: dict[str | int | ZCLAttributeDef, Any]
    ) -> None:
        try:
            answer = await cluster.write_attributes(values, retries=RETRIES)
        except (DeliveryError, TimeoutError) as err:
            raise DeviceUnreachable(self.ieee) from err
        failed = [r for r in answer[0] if int(r.status) != foundation.Status.SUCCESS]
        if failed:
            raise StandardLockRefused(f"write {', '.join(map(str, values))}", int(failed[0].status))

    async def _call(self, command: str, **kwargs: Any) -> Any:
        try:
            return await getattr(self._door, command)(
                **kwargs, timeout=REQUEST_TIMEOUT_S, retries=RETRIES
            )
        except (DeliveryError, TimeoutError) as err:
            raise DeviceUnreachable(self.ieee) from err

    async def _expect(self, what: str, command: str, **kwargs: Any) -> None:
        reply = await self._call(command, **kwargs)
        status = int(getattr(reply, "status", 0))
        if status != 0:
            raise StandardLockRefused(what, status)
