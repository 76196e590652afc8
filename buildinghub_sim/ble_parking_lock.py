"""A simulated BLE parking lock: the reference firmware as a Bumble GATT peripheral.

It advertises its state (vehicle present, barrier locked) in manufacturer data under our
company id, so a passive scanner sees occupancy without connecting, and serves the request
and answer characteristics of buildinghub.radio.ble_link to a connected hub.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from bumble.core import AdvertisingData
from bumble.device import Connection
from bumble.gatt import Characteristic, CharacteristicValue, Service

from buildinghub.credentials import CredentialError
from buildinghub.radio.ble_link import (
    ANSWER_UUID,
    REQUEST_UUID,
    SERVICE_UUID,
    LinkError,
    Operation,
    Reassembly,
    advertisement,
    decode_request,
    encode_answer,
    frame,
)
from buildinghub.radio.cluster import MANUFACTURER_CODE, Reason

from .ble_air import BleAir, new_device
from .door_lock import reason_code
from .door_lock_firmware import LockRefusal
from .parking_lock_firmware import ParkingLockFirmware

_LOGGER = logging.getLogger(__name__)


class BleParkingLock:
    """One bay's lock on the building's simulated BLE air."""

    def __init__(self, firmware: ParkingLockFirmware, *, air: BleAir, address: str) -> None:
        """Put ``firmware`` behind a Bumble peripheral at ``address``."""
        self.firmware = firmware
        self.address = address
        self.device = new_device(air.link, firmware.lock_id, address)
        self._answer = Characteristic(
            ANSWER_UUID, Characteristic.Properties.NOTIFY, Characteristic.READABLE, b""
        )
        request: Characteristic[bytes] = Characteristic(
            REQUEST_UUID,
            Characteristic.Properties.WRITE,
            Characteristic.WRITEABLE,
            CharacteristicValue(write=self._on_write),
        )
        self.device.add_service(Service(SERVICE_UUID, [request, self._answer]))
        self._reassembly: dict[int, Reassembly] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._powered = False
        firmware.add_occupancy_listener(lambda _present: self._readvertise())

    @property
    def parking(self) -> ParkingLockFirmware:
        """The firmware (named as on the Zigbee lock)."""
        return self.firmware

    async def power_on(self) -> None:
        """Start the controller and advertise."""
        await self.device.power_on()
        self._powered = True
        await self.device.start_advertising(
            auto_restart=True, advertising_data=self._advertising_data()
        )

    async def power_off(self) -> None:
        """Stop advertising and let the tasks finish."""
        self._powered = False
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        # Advertising restarts by itself after a disconnection: stop it after the links.
        for connection in list(self.device.connections.values()):
            await connection.disconnect()
        # Bumble restarts advertising by itself after a link ends: let that finish first.
        for _ in range(20):
            await asyncio.sleep(0)
        await self.device.stop_advertising()

    def vehicle_present(self, present: bool) -> None:
        """A car arrives in (True) or leaves (False) the bay."""
        self.firmware.vehicle_present(present)

    def _advertising_data(self) -> bytes:
        flags = advertisement(self.firmware.occupied, self.firmware.locked)
        return bytes(
            AdvertisingData(
                [
                    (AdvertisingData.COMPLETE_LOCAL_NAME, self.firmware.lock_id.encode()),
                    (
                        AdvertisingData.MANUFACTURER_SPECIFIC_DATA,
                        MANUFACTURER_CODE.to_bytes(2, "little") + flags,
                    ),
                ]
            )
        )

    def _readvertise(self) -> None:
        if self._powered:
            self._spawn(self._async_readvertise())

    async def _async_readvertise(self) -> None:
        advertising_set = self.device.legacy_advertising_set
        if advertising_set is not None:
            # New data on the same set (a new set would leave the old one to be restarted by
            # Bumble when a link made through it ends, advertising on after power_off).
            await advertising_set.set_advertising_data(self._advertising_data())
            if not self.device.connections:
                # Restarted so the change goes out at once. While a link is up the set is
                # paused, and Bumble restarts it when the link ends: starting it here too
                # would run two advertising timers.
                if advertising_set.enabled:
                    await advertising_set.stop()
                await advertising_set.start()
            return
        await self.device.stop_advertising()
        await self.device.start_advertising(
            auto_restart=True, advertising_data=self._advertising_data()
        )

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- GATT -------------------------------------------------------------------------------

    def _on_write(self, connection: Connection | None, value: bytes) -> None:
        if connection is None:
            return
        reassembly = self._reassembly.setdefault(connection.handle, Reassembly())
        try:
            message = reassembly.add(bytes(value))
        except LinkError as err:
            _LOGGER.debug("%s dropped a bad frame: %s", self.firmware.lock_id, err)
            return
        if message is not None:
            self._spawn(self._answer_to(connection, message))

    async def _answer_to(self, connection: Connection, message: bytes) -> None:
        try:
            operation, argument = decode_request(message)
            answer = self._handle(operation, argument)
        except LinkError:
            answer = encode_answer(Reason.malformed)
        for chunk in frame(answer, connection.att_mtu):
            await self.device.notify_subscriber(connection, self._answer, chunk)

    def _handle(self, operation: Operation, argument: object) -> bytes:
        firmware = self.firmware
        try:
            if operation is Operation.read_installation:
                return encode_answer(Reason.none, firmware.installation_bytes)
            if operation is Operation.challenge:
                return encode_answer(Reason.none, firmware.challenge())
            if operation is Operation.status:
                return encode_answer(
                    Reason.none,
                    [
                        firmware.locked,
                        firmware.occupied,
                        firmware.clock.now(),
                        len(firmware.grants),
                    ],
                )
            if operation is Operation.lock:
                firmware.lock()
                self._readvertise()
                return encode_answer(Reason.none)
            if operation is Operation.purge_expired:
                return encode_answer(Reason.none, firmware.purge_expired())
            if not isinstance(argument, bytes):
                return encode_answer(Reason.malformed)
            return self._handle_object(operation, argument)
        except (CredentialError, LockRefusal) as err:
            return encode_answer(reason_code(err.reason))

    def _handle_object(self, operation: Operation, argument: bytes) -> bytes:
        firmware = self.firmware
        if operation is Operation.install_grant:
            firmware.apply_grant(argument)
        elif operation is Operation.revoke:
            firmware.revoke(argument)
        elif operation in (Operation.freeze, Operation.unfreeze):
            firmware.set_frozen(argument, operation is Operation.freeze)
        elif operation is Operation.unlock:
            event = firmware.remote_unlock(argument)
            if not event.granted:
                return encode_answer(reason_code(event.reason))
            self._readvertise()
        else:
            return encode_answer(Reason.unsupported)
        return encode_answer(Reason.none)
