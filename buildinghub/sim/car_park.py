"""A simulated car park: parking bays, their owners' keys and their locks on the radio.

It shares the building's simulated Zigbee network (the hub is the car park's gateway,
SPEC P1). Each bay's owner holds their own signing key, signed the installation record of
the bay's lock, and issues e-keys to drivers, as the cloud key server does for them.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

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

from .ble_air import get_ble_air
from .ble_parking_lock import BleParkingLock
from .medium import get_medium
from .parking_lock import SimulatedParkingLock
from .parking_lock_firmware import ParkingLockFirmware


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
                lock = SimulatedParkingLock(
                    firmware, ieee=f"00:1b:b0:00:00:01:00:{index + 1:02x}", nwk=0x2000 + index
                )
            else:
                lock = BleParkingLock(
                    firmware, air=get_ble_air(path), address=f"F0:B0:1B:00:01:{index + 1:02X}"
                )
            car_park.bays.append(SimulatedBay(name=name, owner=owner, lock=lock))
        return car_park

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
