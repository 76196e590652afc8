"""A simulated standard Zigbee door lock: ZCL Door Lock firmware behind the simulated radio.

It has Basic, PowerConfiguration, Time (0x000A) and Door Lock (0x0101) and nothing of
ours: the Door Lock cluster's PIN-code, user-status, user-type, year-day-schedule and
log commands go to :class:`ZclLockFirmware`, its capacity attributes say what it holds,
its operation and programming events are sent as the cluster's notifications, and the
zone written to its Time cluster is the local time its schedules are in. What a real
Zigbee 3.0 lock with a keypad and its own clock does.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import zigpy.types as t
from zigpy.zcl import foundation
from zigpy.zcl.clusters.closures import DoorLock, EventType, LockState, LockType
from zigpy.zcl.clusters.general import Basic, PowerConfiguration, Time
from zigpy.zdo import types as zdo_t

from buildinghub.devices.lock_time import LockTimeZone

from .device import CommandRefused, VirtualDevice, VirtualEndpoint
from .zcl_lock_firmware import LockEvent, OperationRecord, ZclLockFirmware, ZclUser

_LOGGER = logging.getLogger(__name__)
ENDPOINT_ID = 1
DOOR_LOCK_DEVICE_TYPE = 0x000A
RELOCK_AFTER_S = 5.0
_DOOR = DoorLock.cluster_id
_TIME = Time.cluster_id
_ZONE_ATTRIBUTES = ("time_zone", "dst_start", "dst_end", "dst_shift")


class SimulatedStandardLock(VirtualDevice):
    """One standard door lock on the simulated building network."""

    def __init__(
        self,
        firmware: ZclLockFirmware,
        *,
        ieee: str,
        nwk: int,
        battery_percent: int = 80,
        manufacturer: str = "Generic",
        model: str = "Keypad deadbolt (simulated)",
    ) -> None:
        """Put ``firmware`` behind a radio at ``ieee``/``nwk``."""
        super().__init__(
            ieee=ieee,
            nwk=nwk,
            manufacturer=manufacturer,
            model=model,
            manufacturer_code=0x1234,
            logical_type=zdo_t.LogicalType.Router,
            endpoints=[
                VirtualEndpoint(
                    id=ENDPOINT_ID,
                    device_type=DOOR_LOCK_DEVICE_TYPE,
                    input_clusters=(
                        Basic.cluster_id,
                        PowerConfiguration.cluster_id,
                        _TIME,
                        _DOOR,
                    ),
                )
            ],
            attributes={
                (ENDPOINT_ID, PowerConfiguration.cluster_id): {
                    "battery_percentage_remaining": 2 * battery_percent,
                },
                (ENDPOINT_ID, _TIME): {
                    "time": firmware.utc(),
                    "time_status": 0,
                    "time_zone": firmware.zone.time_zone,
                    "dst_start": firmware.zone.dst_start,
                    "dst_end": firmware.zone.dst_end,
                    "dst_shift": firmware.zone.dst_shift,
                    "standard_time": max(0, firmware.utc() + firmware.zone.time_zone),
                    "local_time": firmware.now(),
                },
                (ENDPOINT_ID, _DOOR): {
                    "lock_type": LockType.Dead_bolt,
                    "num_of_lock_records_supported": firmware.log_records,
                    "enable_logging": t.Bool(firmware.logging_enabled),
                    "actuator_enabled": t.Bool.true,
                    "num_of_total_users_supported": firmware.pin_users,
                    "num_of_pin_users_supported": firmware.pin_users,
                    "num_of_year_day_schedules_supported_per_user": firmware.schedules_per_user,
                    "max_pin_len": firmware.max_pin_length,
                    "min_pin_len": firmware.min_pin_length,
                    "wrong_code_entry_limit": firmware.wrong_code_entry_limit,
                    "user_code_temporary_disable_time": firmware.user_code_temporary_disable_time,
                    "send_pin_ota": t.Bool.true,
                },
            },
        )
        self.firmware = firmware
        self.on_change: Callable[[], None] | None = None
        """Called after the user table may have changed (where a saved lock keeps it)."""
        self._relock_handle: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._refresh_attributes()
        firmware.add_listener(self._on_event)

    # -- a person at the door ------------------------------------------------------------

    def keypad(self, code: str) -> OperationRecord:
        """Someone types a code and presses unlock."""
        self._load_settings()
        return self.firmware.keypad(code)

    def add_code_at_keypad(self, user_id: int, code: str) -> int:
        """The owner programs a code at the keypad with the master code."""
        status = self.firmware.add_code_at_keypad(user_id, code)
        if self.on_change is not None:
            self.on_change()
        return status

    def power_off(self) -> None:
        """Stop the relock timer."""
        if self._relock_handle is not None:
            self._relock_handle.cancel()
            self._relock_handle = None

    # -- the radio -----------------------------------------------------------------------

    async def receive(self, packet: t.ZigbeePacket) -> None:
        """Take a frame with the bolt's state in place; settings written take effect."""
        self._refresh_attributes()
        told = self.get_attribute(ENDPOINT_ID, _TIME, "time")
        await super().receive(packet)
        written = self.get_attribute(ENDPOINT_ID, _TIME, "time")
        if written != told:
            self.firmware.set_time(int(written))
            self._refresh_attributes()
        self._load_settings()

    def _refresh_attributes(self) -> None:
        lock = self.firmware
        self.set_attribute(ENDPOINT_ID, _TIME, "time", lock.utc())
        self.set_attribute(
            ENDPOINT_ID, _TIME, "standard_time", max(0, lock.utc() + lock.zone.time_zone)
        )
        self.set_attribute(ENDPOINT_ID, _TIME, "local_time", lock.now())
        self.set_attribute(
            ENDPOINT_ID,
            _DOOR,
            "lock_state",
            LockState.Locked if self.firmware.locked else LockState.Unlocked,
        )

    def _load_settings(self) -> None:
        self.firmware.wrong_code_entry_limit = int(
            self.get_attribute(ENDPOINT_ID, _DOOR, "wrong_code_entry_limit")
        )
        self.firmware.user_code_temporary_disable_time = int(
            self.get_attribute(ENDPOINT_ID, _DOOR, "user_code_temporary_disable_time")
        )
        self.firmware.logging_enabled = bool(
            self.get_attribute(ENDPOINT_ID, _DOOR, "enable_logging")
        )
        self.firmware.zone = LockTimeZone(
            **{name: int(self.get_attribute(ENDPOINT_ID, _TIME, name)) for name in _ZONE_ATTRIBUTES}
        )

    async def handle_cluster_command(
        self,
        endpoint_id: int,
        cluster_id: int,
        header: foundation.ZCLHeader,
        command: foundation.ZCLCommandDef,
        args: foundation.CommandSchema,
    ) -> None:
        """The Door Lock cluster's commands, answered with their responses."""
        if cluster_id != _DOOR:
            raise CommandRefused(foundation.Status.UNSUP_CLUSTER_COMMAND)
        answer = self._answer(command.name, args)
        if answer is None:
            raise CommandRefused(foundation.Status.UNSUP_CLUSTER_COMMAND)
        name, fields = answer
        if self.on_change is not None:
            self.on_change()
        await self.reply(endpoint_id, cluster_id, header, name, **fields)

    def _answer(self, name: str, args: Any) -> tuple[str, dict[str, Any]] | None:
        lock = self.firmware
        status: Any
        if name == "lock_door":
            lock.lock()
            self._report_bolt()
            status = foundation.Status.SUCCESS
        elif name == "set_pin_code":
            status = lock.set_pin_code(
                args.user_id, args.user_status, args.user_type, str(args.pin_code)
            )
        elif name == "get_pin_code":
            return "get_pin_code_response", self._pin_row(args.user_id)
        elif name == "clear_pin_code":
            status = lock.clear_pin_code(args.user_id)
        elif name == "set_user_status":
            status = lock.set_user_status(args.user_id, args.user_status)
        elif name == "set_user_type":
            status = lock.set_user_type(args.user_id, args.user_type)
        elif name == "set_year_day_schedule":
            status = lock.set_year_day_schedule(
                args.schedule_id, args.user_id, args.local_start_time, args.local_end_time
            )
        elif name == "get_year_day_schedule":
            return "get_year_day_schedule_response", self._schedule(args.schedule_id, args.user_id)
        elif name == "clear_year_day_schedule":
            status = lock.clear_year_day_schedule(args.schedule_id, args.user_id)
        elif name == "get_log_record":
            return self._log_record(args.log_index)
        else:
            return None
        return f"{name}_response", {"status": status}

    def _pin_row(self, user_id: int) -> dict[str, Any]:
        row = self.firmware.get_pin_code(user_id) or ZclUser()
        return {
            "user_id": user_id,
            "user_status": row.status,
            "user_type": row.user_type,
            "code": row.code,
        }

    def _log_record(self, index: int) -> tuple[str, dict[str, Any]]:
        record = self.firmware.get_log_record(index)
        if record is None:
            raise CommandRefused(foundation.Status.NOT_FOUND)
        event = record.event
        operation = isinstance(event, OperationRecord)
        return "get_log_record_response", {
            "log_entry_id": record.entry_id,
            "timestamp": event.local_time,
            "event_type": EventType.Operation if operation else EventType.Programming,
            "source": event.source,
            "event_id_or_alarm_code": event.code,
            "user_id": event.user_id,
            "pin": "",
        }

    def _schedule(self, schedule_id: int, user_id: int) -> dict[str, Any]:
        window = self.firmware.get_year_day_schedule(schedule_id, user_id)
        if window is None:
            return {
                "schedule_id": schedule_id,
                "user_id": user_id,
                "status": foundation.Status.NOT_FOUND,
            }
        return {
            "schedule_id": schedule_id,
            "user_id": user_id,
            "status": foundation.Status.SUCCESS,
            "local_start_time": window[0],
            "local_end_time": window[1],
        }

    # -- speaking first ------------------------------------------------------------------

    def _on_event(self, event: LockEvent) -> None:
        if self._medium is None:
            return
        if isinstance(event, OperationRecord) and not self.firmware.locked:
            loop = asyncio.get_running_loop()
            if self._relock_handle is not None:
                self._relock_handle.cancel()
            self._relock_handle = loop.call_later(RELOCK_AFTER_S, self._relock)
            self._report_bolt()
        self._spawn(self._notify(event))

    def _relock(self) -> None:
        self.firmware.lock()
        self._relock_handle = None
        self._report_bolt()

    def _report_bolt(self) -> None:
        self._refresh_attributes()
        locked = LockState.Locked if self.firmware.locked else LockState.Unlocked
        self._spawn(self._report(locked))

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _report(self, locked: LockState) -> None:
        try:
            await self.report_attributes(ENDPOINT_ID, _DOOR, {"lock_state": locked})
        except Exception as err:  # a lost report must not crash the lock
            _LOGGER.debug("%s could not report its bolt: %s", self.ieee, err)

    async def _notify(self, event: LockEvent) -> None:
        try:
            if isinstance(event, OperationRecord):
                await self.notify(
                    ENDPOINT_ID,
                    _DOOR,
                    "operation_event_notification",
                    operation_event_source=event.source,
                    operation_event_code=event.code,
                    user_id=event.user_id,
                    pin="",
                    local_time=event.local_time,
                    data="",
                )
            else:
                await self.notify(
                    ENDPOINT_ID,
                    _DOOR,
                    "programming_event_notification",
                    program_event_source=event.source,
                    program_event_code=event.code,
                    user_id=event.user_id,
                    pin="",
                    user_type=event.user_type,
                    user_status=event.user_status,
                    local_time=event.local_time,
                    data="",
                )
        except Exception as err:  # a lost notification must not crash the lock
            _LOGGER.debug("%s could not send an event: %s", self.ieee, err)
