"""A bleak client backend whose connections are made by the simulated air's Bumble central.

Home Assistant's bluetooth integration picks a backend per scanner: a remote scanner's
connector names its client class (as ESPHome's Bluetooth proxies do). Registering the
simulated air's scanner with this class makes ``establish_connection`` and every bleak call
of the integration run over a real Bumble GATT client against the lock's GATT server.
"""

from __future__ import annotations

import uuid as std_uuid
from collections.abc import Callable
from typing import Any

from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient, NotifyCallback
from bleak.backends.descriptor import BleakGATTDescriptor
from bleak.backends.device import BLEDevice
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection
from bleak.exc import BleakError
from bumble.core import UUID
from bumble.device import Connection, Peer
from bumble.gatt_client import CharacteristicProxy, ServiceProxy
from bumble.hci import Address

from .ble_air import find_ble_air

# What the central asks for: room for a whole 244-byte chunk per write or notification.
REQUESTED_MTU = 247
_PROPERTIES = {
    0x02: "read",
    0x04: "write-without-response",
    0x08: "write",
    0x10: "notify",
    0x20: "indicate",
}


class _Characteristic(BleakGATTCharacteristic):
    def __init__(self, proxy: CharacteristicProxy[Any], service: _Service, mtu: int) -> None:
        super().__init__(proxy, lambda: mtu - 3)
        self._service = service

    @property
    def service_uuid(self) -> str:
        return self._service.uuid

    @property
    def service_handle(self) -> int:
        return self._service.handle

    @property
    def handle(self) -> int:
        return int(self.obj.handle)

    @property
    def uuid(self) -> str:
        return str(self.obj.uuid.to_hex_str("-")).lower()

    @property
    def properties(self) -> list[str]:
        return [name for bit, name in _PROPERTIES.items() if int(self.obj.properties) & bit]

    @property
    def descriptors(self) -> list[BleakGATTDescriptor]:
        return []

    def get_descriptor(self, specifier: int | str | std_uuid.UUID) -> BleakGATTDescriptor | None:
        return None

    def add_descriptor(self, descriptor: BleakGATTDescriptor) -> None:
        return None


class _Service(BleakGATTService):
    def __init__(self, proxy: ServiceProxy) -> None:
        super().__init__(proxy)
        self._characteristics: list[BleakGATTCharacteristic] = []

    @property
    def handle(self) -> int:
        return int(self.obj.handle)

    @property
    def uuid(self) -> str:
        return str(self.obj.uuid.to_hex_str("-")).lower()

    @property
    def characteristics(self) -> list[BleakGATTCharacteristic]:
        return self._characteristics

    def add_characteristic(self, characteristic: BleakGATTCharacteristic) -> None:
        self._characteristics.append(characteristic)


class BumbleBleakClient(BaseBleakClient):
    """bleak's client interface over the simulated air's Bumble central."""

    def __init__(self, address_or_ble_device: BLEDevice | str, **kwargs: Any) -> None:
        """Connect through the air named by the device's ``source`` (the scanner id)."""
        super().__init__(address_or_ble_device, **kwargs)
        source = None
        if isinstance(address_or_ble_device, BLEDevice):
            details = address_or_ble_device.details
            source = details.get("source") if isinstance(details, dict) else None
        air = find_ble_air(str(source)) if source else None
        if air is None:
            raise BleakError(f"no simulated BLE air is called {source!r}")
        self._air = air
        self._connection: Connection | None = None
        self._peer: Peer | None = None
        self._proxies: dict[int, CharacteristicProxy[Any]] = {}
        self._disconnected: Callable[[], None] | None = kwargs.get("disconnected_callback")

    @property
    def mtu_size(self) -> int:
        """The ATT MTU agreed with the lock."""
        return int(self._connection.att_mtu) if self._connection else 23

    @property
    def is_connected(self) -> bool:
        """Whether the link is up."""
        return self._connection is not None

    async def connect(self, **kwargs: Any) -> bool:
        """Open the LE connection, agree the MTU and discover the services."""
        connection = await self._air.central.connect(Address(self.address))
        connection.on("disconnection", self._on_disconnection)
        self._connection = connection
        self._peer = Peer(connection)
        await self._peer.request_mtu(REQUESTED_MTU)
        self.services = await self.get_services()
        return True

    async def disconnect(self) -> bool:
        """Close the connection."""
        if self._connection is not None:
            await self._connection.disconnect()
        return True

    async def pair(self, *args: Any, **kwargs: Any) -> bool:
        """Our locks authenticate every request themselves: no pairing."""
        raise NotImplementedError("Building Hub locks do not pair")

    async def unpair(self) -> bool:
        """See pair."""
        raise NotImplementedError("Building Hub locks do not pair")

    async def get_services(self, **kwargs: Any) -> BleakGATTServiceCollection:
        """Discover the lock's services and characteristics (once per connection)."""
        if self.services is not None:
            return self.services
        peer = self._require_peer()
        collection = BleakGATTServiceCollection()
        for proxy in await peer.discover_services():
            service = _Service(proxy)
            collection.add_service(service)
            for characteristic in await proxy.discover_characteristics():
                wrapped = _Characteristic(characteristic, service, self.mtu_size)
                self._proxies[wrapped.handle] = characteristic
                collection.add_characteristic(wrapped)
        return collection

    async def read_gatt_char(self, char_specifier: Any, **kwargs: Any) -> bytearray:
        """Read a characteristic's value."""
        value = await self._require_peer().read_value(self._proxy(char_specifier))
        return bytearray(value)

    async def read_gatt_descriptor(self, handle: int, **kwargs: Any) -> bytearray:
        """Our locks have no descriptors to read."""
        raise BleakError("descriptors are not supported")

    async def write_gatt_char(
        self, characteristic: BleakGATTCharacteristic, data: Any, response: bool
    ) -> None:
        """Write a value (with response: the lock acknowledges it)."""
        await self._require_peer().write_value(
            self._proxy(characteristic), bytes(data), with_response=response
        )

    async def write_gatt_descriptor(self, handle: int, data: Any) -> None:
        """Our locks have no descriptors to write."""
        raise BleakError("descriptors are not supported")

    async def start_notify(
        self, characteristic: BleakGATTCharacteristic, callback: NotifyCallback, **kwargs: Any
    ) -> None:
        """Subscribe (writes the CCCD) and pass each notification on."""
        await self._require_peer().subscribe(
            self._proxy(characteristic), lambda value: callback(bytearray(value))
        )

    async def stop_notify(self, char_specifier: Any) -> None:
        """Unsubscribe."""
        await self._require_peer().unsubscribe(self._proxy(char_specifier))

    def _proxy(self, specifier: Any) -> CharacteristicProxy[Any]:
        if isinstance(specifier, BleakGATTCharacteristic):
            return self._proxies[specifier.handle]
        if isinstance(specifier, int):
            return self._proxies[specifier]
        wanted = UUID(str(specifier))
        for proxy in self._proxies.values():
            if proxy.uuid == wanted:
                return proxy
        raise BleakError(f"characteristic {specifier} not found")

    def _require_peer(self) -> Peer:
        if self._peer is None:
            raise BleakError("not connected")
        return self._peer

    def _on_disconnection(self, _reason: int) -> None:
        self._connection = None
        self._peer = None
        self.services = None
        if self._disconnected is not None:
            self._disconnected()
