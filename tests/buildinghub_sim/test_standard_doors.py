"""The demo building's standard locks keep their user table across a restart, as flash does."""

from __future__ import annotations

from pathlib import Path

from zigpy.zcl.clusters.closures import OperationEvent, UserStatus, UserType

from buildinghub.devices.lock_time import LockTimeZone
from buildinghub_sim.standard_doors import STANDARD_LOCKS_FILE, StandardDoors


class Clock:
    def __init__(self, now: int) -> None:
        self.time = now

    def now(self) -> int:
        return self.time


def test_a_saved_lock_opens_for_the_same_pin_in_the_same_window_after_loading(
    tmp_path: Path,
) -> None:
    doors = StandardDoors.create("sim://doors", tmp_path)
    firmware = doors.doors[0].lock.firmware
    firmware.set_pin_code(0, UserStatus.Enabled, UserType.Unrestricted, "246810")
    firmware.set_year_day_schedule(0, 0, 1000, 2000)
    doors.save()

    clock = Clock(946_684_800 + 1500)
    loaded = StandardDoors.load("sim://doors", tmp_path, clock=clock)

    door = loaded.doors[0]
    assert (door.flat, door.lock_id, door.landlord) == ("Flat 3A", "door-std-01", "landlord:ana")
    assert door.lock.firmware.keypad("246810").code == OperationEvent.Unlock
    clock.time = 946_684_800 + 2000
    assert door.lock.firmware.keypad("246810").code == OperationEvent.UnlockFailureInvalidSchedule
    assert (tmp_path / STANDARD_LOCKS_FILE).stat().st_mode & 0o077 == 0


def test_a_saved_lock_keeps_its_time_zone_and_its_log_switched_on(tmp_path: Path) -> None:
    doors = StandardDoors.create("sim://doors", tmp_path)
    berlin = LockTimeZone(time_zone=3600, dst_start=10, dst_end=20, dst_shift=3600)
    firmware = doors.doors[0].lock.firmware
    firmware.zone = berlin
    firmware.logging_enabled = True
    doors.save()

    loaded = StandardDoors.load("sim://doors", tmp_path).doors[0].lock

    assert (loaded.firmware.zone, loaded.firmware.logging_enabled) == (berlin, True)
    assert loaded.get_attribute(1, 0x000A, "time_zone") == 3600
    assert loaded.get_attribute(1, 0x0101, "enable_logging")
