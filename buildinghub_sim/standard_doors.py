"""The demo building's standard Zigbee door locks: bought off the shelf, nothing of ours.

Each is a :class:`SimulatedStandardLock` on the building's radio. Its user table,
schedules, time zone and log settings live in ``standard_locks.json`` beside the
building's other secrets, as a real lock keeps them in flash, so a restarted demo finds
the PINs the hub wrote, in the zone they were written in.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from zigpy.zcl.clusters.closures import UserStatus, UserType

from buildinghub.credentials import Clock, MonotonicClock
from buildinghub.devices.lock_time import LockTimeZone

from .medium import get_medium
from .private_file import write_private
from .standard_lock import SimulatedStandardLock
from .zcl_lock_firmware import ZclLockFirmware, ZclUser

STANDARD_LOCKS_FILE = "standard_locks.json"
DEMO_FLAT = "Flat 3A"
DEMO_LOCK_ID = "door-std-01"
DEMO_LANDLORD = "landlord:ana"


@dataclass(frozen=True, slots=True)
class StandardDoor:
    """A flat's door with a standard lock, and who installed it."""

    flat: str
    lock_id: str
    landlord: str
    lock: SimulatedStandardLock


class StandardDoors:
    """The standard locks of one building, saved in a directory."""

    def __init__(self, path: str, directory: Path, doors: list[StandardDoor]) -> None:
        """Use :meth:`create` or :meth:`load`."""
        self.path = path
        self.directory = directory
        self.doors = doors

    @classmethod
    def create(cls, path: str, directory: Path) -> StandardDoors:
        """One factory-new keypad deadbolt on the demo's Flat 3A."""
        door = StandardDoor(DEMO_FLAT, DEMO_LOCK_ID, DEMO_LANDLORD, _lock(0, MonotonicClock()))
        return cls(path, directory, [door])

    @classmethod
    def load(cls, path: str, directory: Path, *, clock: Clock | None = None) -> StandardDoors:
        """Read what :meth:`save` wrote."""
        state = json.loads((directory / STANDARD_LOCKS_FILE).read_text())
        doors = []
        for index, item in enumerate(state["doors"]):
            lock = _lock(
                index,
                clock or MonotonicClock(),
                zone=LockTimeZone(**item.get("zone", {})),
                logging_enabled=bool(item.get("logging", False)),
            )
            lock.firmware.users = {
                int(uid): ZclUser(UserStatus[u["status"]], UserType[u["type"]], u["code"])
                for uid, u in item["users"].items()
            }
            lock.firmware.schedules = {
                (int(uid), int(sid)): (start, end) for uid, sid, start, end in item["schedules"]
            }
            doors.append(StandardDoor(item["flat"], item["lock_id"], item["landlord"], lock))
        return cls(path, directory, doors)

    def save(self) -> None:
        """Write every lock's table (mode 0600: it holds PINs, as the lock's flash does)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        state: dict[str, Any] = {
            "doors": [
                {
                    "flat": door.flat,
                    "lock_id": door.lock_id,
                    "landlord": door.landlord,
                    "users": {
                        str(uid): {
                            "status": u.status.name,
                            "type": u.user_type.name,
                            "code": u.code,
                        }
                        for uid, u in door.lock.firmware.users.items()
                    },
                    "schedules": [
                        [uid, sid, start, end]
                        for (uid, sid), (start, end) in door.lock.firmware.schedules.items()
                    ],
                    "zone": asdict(door.lock.firmware.zone),
                    "logging": door.lock.firmware.logging_enabled,
                }
                for door in self.doors
            ]
        }
        write_private(self.directory / STANDARD_LOCKS_FILE, json.dumps(state, indent=1))

    def power_on(self) -> None:
        """Join every lock to the building's radio; keep its table whenever it changes."""
        medium = get_medium(self.path)
        for door in self.doors:
            door.lock.on_change = self.save
            medium.join(door.lock)

    def power_off(self) -> None:
        """Stop the locks' timers."""
        for door in self.doors:
            door.lock.power_off()


def _lock(
    index: int, clock: Clock, *, zone: LockTimeZone | None = None, logging_enabled: bool = False
) -> SimulatedStandardLock:
    return SimulatedStandardLock(
        ZclLockFirmware(clock=clock, zone=zone or LockTimeZone(), logging_enabled=logging_enabled),
        ieee=f"00:0d:6f:00:00:00:0a:{index + 1:02x}",
        nwk=0x2A00 + index,
    )


_DOORS: dict[str, StandardDoors] = {}


async def start_standard_doors(path: str, directory: Path) -> StandardDoors | None:
    """The standard locks saved in ``directory``, powered on once on ``path``."""
    if path in _DOORS:
        return _DOORS[path]
    if not (directory / STANDARD_LOCKS_FILE).exists():
        return None
    doors = await asyncio.get_running_loop().run_in_executor(
        None, StandardDoors.load, path, directory
    )
    if path in _DOORS:
        return _DOORS[path]
    _DOORS[path] = doors
    doors.power_on()
    return doors


def stop_standard_doors(path: str) -> None:
    """Power the standard locks on ``path`` off and forget them."""
    doors = _DOORS.pop(path, None)
    if doors is not None:
        doors.power_off()
