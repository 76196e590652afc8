"""A simulated parking lock: the reference firmware behind the simulated Zigbee radio.

The same DoorLock and Building Hub clusters as the door lock (the barrier is the bolt),
plus the standard OccupancySensing cluster for the vehicle sensor, whose changes the lock
reports as they happen. Freeze and unfreeze arrive as transfers of a signed command
naming one member.
"""

from __future__ import annotations

import asyncio
import logging

from zigpy.zcl.clusters.measurement import OccupancySensing

from buildinghub.credentials import CredentialError
from buildinghub.radio.cluster import ObjectKind, TransferStatus
from buildinghub.radio.transfer import StatusReply

from .door_lock import ENDPOINT_ID, SimulatedDoorLock, reason_code
from .door_lock_firmware import LockRefusal
from .parking_lock_firmware import ParkingLockFirmware

_LOGGER = logging.getLogger(__name__)


class SimulatedParkingLock(SimulatedDoorLock):
    """One bay's lock on the simulated building network."""

    def __init__(self, firmware: ParkingLockFirmware, *, ieee: str, nwk: int) -> None:
        """Put ``firmware`` behind a radio at ``ieee``/``nwk``."""
        super().__init__(
            firmware,
            ieee=ieee,
            nwk=nwk,
            model="Parking bay lock (simulated)",
            extra_clusters=(OccupancySensing.cluster_id,),
        )
        self.parking = firmware
        self.set_attribute(ENDPOINT_ID, OccupancySensing.cluster_id, "occupancy", 0)
        # Ultrasonic: what bay sensors under a car use.
        self.set_attribute(
            ENDPOINT_ID, OccupancySensing.cluster_id, "occupancy_sensor_type_bitmap", 0b010
        )
        firmware.add_occupancy_listener(self._on_occupancy)

    def vehicle_present(self, present: bool) -> None:
        """A car arrives in (True) or leaves (False) the bay."""
        self.parking.vehicle_present(present)

    def _apply(self, transfer_id: int, kind: ObjectKind, payload: bytes) -> StatusReply:
        if kind in (ObjectKind.freeze, ObjectKind.unfreeze):
            try:
                self.parking.set_frozen(payload, kind is ObjectKind.freeze)
            except (CredentialError, LockRefusal) as err:
                return StatusReply(transfer_id, TransferStatus.rejected, 0, reason_code(err.reason))
            return StatusReply(transfer_id, TransferStatus.accepted, len(payload))
        return super()._apply(transfer_id, kind, payload)

    def _on_occupancy(self, present: bool) -> None:
        task = asyncio.get_running_loop().create_task(self._report_occupancy(present))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _report_occupancy(self, present: bool) -> None:
        try:
            await self.report_attributes(
                ENDPOINT_ID, OccupancySensing.cluster_id, {"occupancy": int(present)}
            )
        except Exception as err:  # a lost report must not crash the lock
            _LOGGER.debug("%s could not report occupancy: %s", self.parking.lock_id, err)
