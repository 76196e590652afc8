"""A simulated car park: parking bays, their owners' keys and their locks on the radio.

It shares the building's simulated Zigbee network (the hub is the car park's gateway,
SPEC P1). Each bay's owner holds their own signing key, signed the installation record of
the bay's lock, and issues e-keys to drivers, as the cloud key server does for them.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from buildinghub.credentials import (
    Clock,
    Grant,
    GrantKind,
    MonotonicClock,
    PublicKey,
    SigningKey,
    issue_grant,
)
from buildinghub.credentials.installation import InstallationRecord, sign_installation
from buildinghub.credentials.sealing import SealingKey

from .ble_air import get_ble_air
from .ble_parking_lock import BleParkingLock
from .medium import get_medium
from .parking_lock import SimulatedParkingLock
from .parking_lock_firmware import ParkingLockFirmware
from .private_file import write_private

CAR_PARK_FILE = "car_park.json"
_CAR_PARKS: dict[str, SimulatedCarPark] = {}


@dataclass(slots=True)
class SimulatedBay:
    """One bay: its lock and the owner who manages it."""

    name: str
    owner: str
    lock: SimulatedParkingLock | BleParkingLock

    @property
    def lock_id(self) -> str:
        """The lock's id, the audience of the bay's e-keys."""
        return self.lock.parking.lock_id

    @property
    def firmware(self) -> ParkingLockFirmware:
        """The lock's firmware."""
        return self.lock.parking


class SimulatedCarPark:
    """The bays of one car park on a simulated building network."""

    def __init__(self, path: str, bays: list[SimulatedBay], owners: dict[str, SigningKey]):
        """Use :meth:`create`."""
        self.path = path
        self.bays = bays
        self.owners = owners

    @classmethod
    def create(
        cls, path: str, *, bays: int = 2, ble_bays: int = 0, clock: Clock | None = None
    ) -> SimulatedCarPark:
        """A car park whose bay owners installed a factory-new lock in every bay.

        The first ``bays`` locks are on Zigbee, the next ``ble_bays`` on BLE.
        """
        owners = {name: SigningKey.generate() for name in ("owner:olga", "owner:pavel")}
        clock = clock or MonotonicClock()
        car_park = cls(path, [], owners)
        for index in range(bays + ble_bays):
            owner = sorted(owners)[index % len(owners)]
            firmware = ParkingLockFirmware(f"bay-{index + 1:02d}", clock=clock)
            name = f"Bay P{index + 1}"
            record = InstallationRecord(
                lock_id=firmware.lock_id,
                flat=name,
                landlord=owner,
                landlord_key=owners[owner].public_key,
                lock_key=firmware.signing_key.public_key,
                lock_sealing_key=firmware.sealing_key.public_key,
                installed_at=clock.now(),
            )
            firmware.install(sign_installation(record, owners[owner]))
            lock: SimulatedParkingLock | BleParkingLock
            if index < bays:
                lock = _zigbee_lock(firmware, index)
            else:
                lock = BleParkingLock(
                    firmware, air=get_ble_air(path), address=f"F0:B0:1B:00:01:{index + 1:02X}"
                )
            car_park.bays.append(SimulatedBay(name=name, owner=owner, lock=lock))
        return car_park

    def save(self, directory: Path) -> None:
        """Write the Zigbee bays' owners, lock keys and installation records (mode 0600)."""
        zigbee = [bay for bay in self.bays if isinstance(bay.lock, SimulatedParkingLock)]
        state = {
            "owners": {name: key.to_pem().decode() for name, key in self.owners.items()},
            "bays": [
                {
                    "name": bay.name,
                    "owner": bay.owner,
                    "lock_key": bay.firmware.signing_key.to_pem().decode(),
                    "sealing_key": bay.firmware.sealing_key.to_pem().decode(),
                    "installation": bay.firmware.installation_bytes.hex(),
                }
                for bay in zigbee
            ],
        }
        write_private(directory / CAR_PARK_FILE, json.dumps(state, indent=1))

    @classmethod
    def load(cls, path: str, directory: Path, *, clock: Clock | None = None) -> SimulatedCarPark:
        """The car park :meth:`save` wrote, on the building network ``path``."""
        state: dict[str, Any] = json.loads((directory / CAR_PARK_FILE).read_text())
        clock = clock or MonotonicClock()
        owners = {name: SigningKey.from_pem(pem.encode()) for name, pem in state["owners"].items()}
        car_park = cls(path, [], owners)
        for index, item in enumerate(state["bays"]):
            firmware = ParkingLockFirmware(
                f"bay-{index + 1:02d}",
                clock=clock,
                signing_key=SigningKey.from_pem(item["lock_key"].encode()),
                sealing_key=SealingKey.from_pem(item["sealing_key"].encode()),
            )
            firmware.install(bytes.fromhex(item["installation"]))
            lock = _zigbee_lock(firmware, index)
            car_park.bays.append(SimulatedBay(name=item["name"], owner=item["owner"], lock=lock))
        return car_park

    def bay(self, name: str) -> SimulatedBay:
        """The bay with this name."""
        for bay in self.bays:
            if bay.name == name:
                return bay
        raise KeyError(name)

    def issue_ekey(
        self,
        bay: SimulatedBay,
        *,
        subject: str,
        holder_key: PublicKey,
        not_before: int,
        expires: int,
        max_uses: int | None = None,
        may_share: bool = True,
    ) -> bytes:
        """What the bay owner's key server does: sign an e-key bound to the driver's key."""
        grant = Grant(
            issuer=bay.owner,
            subject=subject,
            audience=bay.lock_id,
            not_before=not_before,
            expires=expires,
            issued_at=min(not_before, bay.firmware.clock.now()),
            grant_id=secrets.token_bytes(16),
            holder_key=holder_key,
            kind=GrantKind.EKEY,
            max_uses=max_uses,
            may_share=may_share,
        )
        return issue_grant(grant, self.owners[bay.owner])

    def power_on(self) -> None:
        """Join every Zigbee bay's lock to the network and start its timers."""
        medium = get_medium(self.path)
        for bay in self.bays:
            if isinstance(bay.lock, SimulatedParkingLock):
                medium.join(bay.lock)
                bay.lock.power_on()

    async def power_on_ble(self) -> None:
        """Power the BLE bays' locks on: they advertise on the building's BLE air."""
        for bay in self.bays:
            if isinstance(bay.lock, BleParkingLock):
                await bay.lock.power_on()

    def power_off(self) -> None:
        """Stop every Zigbee lock's timers."""
        for bay in self.bays:
            if isinstance(bay.lock, SimulatedParkingLock):
                bay.lock.power_off()

    async def power_off_ble(self) -> None:
        """Stop the BLE bays' locks advertising."""
        for bay in self.bays:
            if isinstance(bay.lock, BleParkingLock):
                await bay.lock.power_off()


def _zigbee_lock(firmware: ParkingLockFirmware, index: int) -> SimulatedParkingLock:
    return SimulatedParkingLock(
        firmware, ieee=f"00:1b:b0:00:00:01:00:{index + 1:02x}", nwk=0x2000 + index
    )


async def start_car_park(path: str, directory: Path) -> SimulatedCarPark | None:
    """The car park saved in ``directory``, powered on once on ``path`` (None if there is none)."""
    if path in _CAR_PARKS:
        return _CAR_PARKS[path]
    if not (directory / CAR_PARK_FILE).exists():
        return None
    loop = asyncio.get_running_loop()
    car_park = await loop.run_in_executor(None, SimulatedCarPark.load, path, directory)
    if path in _CAR_PARKS:  # started by someone else while this one was reading the file
        return _CAR_PARKS[path]
    _CAR_PARKS[path] = car_park
    car_park.power_on()
    return car_park


def stop_car_park(path: str) -> None:
    """Power the car park on ``path`` off and forget it."""
    car_park = _CAR_PARKS.pop(path, None)
    if car_park is not None:
        car_park.power_off()
