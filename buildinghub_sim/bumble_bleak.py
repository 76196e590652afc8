"""A bleak client backend whose connections are made by the simulated air's Bumble central.

Home Assistant's bluetooth integration picks a backend per scanner: a remote scanner's
connector names its client class (as ESPHome's Bluetooth proxies do). Registering the
simulated air's scanner with this class makes ``establish_connection`` and every bleak call
of the integration run over a real Bumble GATT client against the lock's GATT server.

bleak (3.x) resolves characteristic and descriptor specifiers itself and hands the
backend the objects this backend built at service discovery: bleak's own service,
characteristic and descriptor classes, each holding its Bumble proxy as ``obj``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Final

from bleak.args import SizedBuffer
from bleak.assigned_numbers import CharacteristicPropertyName
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient, NotifyCallback
from bleak.backends.descriptor import BleakGATTDescriptor
from bleak.backends.device import BLEDevice
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection
from bleak.exc import BleakError
from bumble.core import UUID
from bumble.device import Connection, Peer
from bumble.gatt_client import CharacteristicProxy
from bumble.hci import Address

from .ble_air import BleAir, find_ble_air

_LOGGER = logging.getLogger(__name__)

REQUESTED_MTU: Final = 247
"""What the central asks for: room for a whole 244-byte chunk per write or notification."""
DEFAULT_MTU: Final = 23
_PROPERTIES: Final[dict[int, CharacteristicPropertyName]] = {
    0x01: "broadcast",
    0x02: "read",
    0x04: "write-without-response",
    0x08: "write",
    0x10: "notify",
    0x20: "indicate",
    0x40: "authenticated-signed-writes",
    0x80: "extended-properties",
}


def _uuid(uuid: UUID) -> str:
    """bleak's form of a UUID: 128-bit, lower case, with dashes."""
    return str(uuid.to_hex_str("-")).lower()


def _air_of(device: BLEDevice | str) -> BleAir:
    """The air named by the device's ``source`` (the remote scanner that heard it)."""
    details = device.details if isinstance(device, BLEDevice) else None
    source = details.get("source") if isinstance(details, dict) else None
    air = find_ble_air(str(source)) if source else None
    if air is None:
        raise BleakError(f"no simulated BLE air is called {source!r}")
    return air


class BumbleBleakClient(BaseBleakClient):
    """bleak's client interface over the simulated air's Bumble central."""

    def __init__(self, address_or_ble_device: BLEDevice | str, **kwargs: Any) -> None:
        """Connect through the air named by the device's ``source`` (the scanner id)."""
        super().__init__(address_or_ble_device, **kwargs)
        self._air = _air_of(address_or_ble_device)
        self._name = (
            address_or_ble_device.name if isinstance(address_or_ble_device, BLEDevice) else None
        )
        self._connection: Connection | None = None
        self._peer: Peer | None = None
        self._subscribers: dict[int, Callable[[bytes], None]] = {}

    @property
    def name(self) -> str:
        """The name the lock advertises, else its address."""
        return self._name or self.address

    @property
    def mtu_size(self) -> int:
        """The ATT MTU agreed with the lock."""
        return int(self._connection.att_mtu) if self._connection else DEFAULT_MTU

    @property
    def is_connected(self) -> bool:
        """Whether the link is up."""
        return self._connection is not None

    async def connect(self, pair: bool, **kwargs: Any) -> None:
        """Open the LE connection, agree the MTU and discover the services."""
        if pair:
            # bleak asks backends that cannot pair to say so and carry on.
            _LOGGER.debug("%s: Building Hub locks do not pair; connecting without", self.address)
        connection = await self._air.central.connect(Address(self.address))
        connection.on("disconnection", self._on_disconnection)
        self._connection = connection
        self._peer = Peer(connection)
        await self._peer.request_mtu(REQUESTED_MTU)
        self.services = await self._discover()

    async def disconnect(self) -> None:
        """Close the connection."""
        if self._connection is not None:
            await self._connection.disconnect()

    async def pair(self, *args: Any, **kwargs: Any) -> None:
        """Our locks authenticate every request themselves: no pairing."""
        raise NotImplementedError("Building Hub locks do not pair")

    async def unpair(self) -> None:
        """See pair."""
        raise NotImplementedError("Building Hub locks do not pair")

    async def _discover(self) -> BleakGATTServiceCollection:
        """The lock's services, characteristics and descriptors, as bleak describes them."""
        peer = self._require_peer()
        collection = BleakGATTServiceCollection()
        for proxy in await peer.discover_services():
            service = BleakGATTService(proxy, proxy.handle, _uuid(proxy.uuid))
            collection.add_service(service)
            for found in await proxy.discover_characteristics():
                characteristic = BleakGATTCharacteristic(
                    found,
                    found.handle,
                    _uuid(found.uuid),
                    [name for bit, name in _PROPERTIES.items() if int(found.properties) & bit],
                    lambda: self.mtu_size - 3,
                    service,
                )
                collection.add_characteristic(characteristic)
                for descriptor in await found.discover_descriptors():
                    collection.add_descriptor(
                        BleakGATTDescriptor(
                            descriptor, descriptor.handle, _uuid(descriptor.type), characteristic
                        )
                    )
        return collection

    async def read_gatt_char(
        self, characteristic: BleakGATTCharacteristic, *, use_cached: bool = False, **kwargs: Any
    ) -> bytearray:
        """Read a characteristic's value (always from the lock: nothing is cached)."""
        return bytearray(await self._require_peer().read_value(_proxy(characteristic)))

    async def read_gatt_descriptor(
        self, descriptor: BleakGATTDescriptor, *, use_cached: bool = False, **kwargs: Any
    ) -> bytearray:
        """Read a descriptor's value (always from the lock: nothing is cached)."""
        return bytearray(await self._require_peer().read_value(descriptor.obj))

    async def write_gatt_char(
        self, characteristic: BleakGATTCharacteristic, data: SizedBuffer, response: bool
    ) -> None:
        """Write a value (with response: the lock acknowledges it)."""
        await self._require_peer().write_value(
            _proxy(characteristic), bytes(data), with_response=response
        )

    async def write_gatt_descriptor(
        self, descriptor: BleakGATTDescriptor, data: SizedBuffer
    ) -> None:
        """Write a descriptor's value (with response, as GATT writes descriptors)."""
        await self._require_peer().write_value(descriptor.obj, bytes(data), with_response=True)

    async def start_notify(
        self, characteristic: BleakGATTCharacteristic, callback: NotifyCallback, **kwargs: Any
    ) -> None:
        """Subscribe (writes the CCCD) and pass each notification on."""

        def notified(value: bytes) -> None:
            callback(bytearray(value))

        await self._require_peer().subscribe(_proxy(characteristic), notified)
        self._subscribers[characteristic.handle] = notified

    async def stop_notify(self, characteristic: BleakGATTCharacteristic) -> None:
        """Unsubscribe."""
        notified = self._subscribers.pop(characteristic.handle, None)
        await self._require_peer().unsubscribe(_proxy(characteristic), notified)

    def _require_peer(self) -> Peer:
        if self._peer is None:
            raise BleakError("not connected")
        return self._peer

    def _on_disconnection(self, _reason: int) -> None:
        self._connection = None
        self._peer = None
        self._subscribers.clear()
        self.services = None
        if self._disconnected_callback is not None:
            self._disconnected_callback()


def _proxy(characteristic: BleakGATTCharacteristic) -> CharacteristicProxy[bytes]:
    proxy = characteristic.obj
    if not isinstance(proxy, CharacteristicProxy):
        raise BleakError(f"{characteristic} was not discovered by this backend")
    return proxy
