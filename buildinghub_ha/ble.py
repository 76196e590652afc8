"""BLE devices, only through Home Assistant's bluetooth integration.

Connections go through ``async_ble_device_from_address`` and
``bleak_retry_connector.establish_connection``, so whichever adapter or proxy
hears a device best carries the link. BLE devices that no adapter of the hub can
hear (the simulated building's, behind its radio path) come as the radio
backend's airway, which is registered here as a remote scanner whose connector
is the airway's bleak client backend, exactly as a Bluetooth proxy registers
itself.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import bleak_retry_connector
from homeassistant.components import bluetooth
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback

from buildinghub.devices.ble_parking_lock import GattClient
from buildinghub.radio.errors import DeviceUnreachable
from buildinghub.radio.schemes import HeardAdvertisement, backend_for

# Links the remote scanner of an airway may hold at once.
AIRWAY_CONNECTION_SLOTS = 4


class AirwayScanner(bluetooth.BaseHaRemoteScanner):
    """A radio backend's BLE airway as Home Assistant's bluetooth hears it."""

    @callback
    def heard(self, advertisement: HeardAdvertisement) -> None:
        """One advertisement the airway heard."""
        self._async_on_advertisement(
            advertisement.address,
            advertisement.rssi,
            advertisement.local_name,
            advertisement.service_uuids,
            {},
            advertisement.manufacturer_data,
            None,
            {},
            bluetooth.MONOTONIC_TIME(),
        )


async def async_register_airway(hass: HomeAssistant, entry: ConfigEntry[Any], path: str) -> None:
    """Hear the BLE devices behind the radio on ``path``, if its backend brings any.

    Registered for as long as ``entry`` is loaded.
    """
    airway = backend_for(path).ble_airway(path)
    if airway is None:
        return
    scanner = AirwayScanner(
        airway.name,
        airway.name,
        bluetooth.HaBluetoothConnector(
            client=airway.client_class(), source=airway.name, can_connect=lambda: True
        ),
        True,
    )
    entry.async_on_unload(
        bluetooth.async_register_scanner(hass, scanner, connection_slots=AIRWAY_CONNECTION_SLOTS)
    )
    entry.async_on_unload(scanner.async_setup())
    entry.async_on_unload(airway.add_listener(scanner.heard))
    await airway.start()
    entry.async_on_unload(airway.stop)


def ble_connection(hass: HomeAssistant, address: str) -> Callable[[], Awaitable[GattClient]]:
    """A way to open a GATT link to the device at ``address``, through whichever adapter or
    proxy hears it (raises DeviceUnreachable when none does)."""

    async def connect() -> GattClient:
        device = bluetooth.async_ble_device_from_address(hass, address, connectable=True)
        if device is None:
            raise DeviceUnreachable(address)
        # Looked up at each call: the bluetooth integration swaps in its own client
        # class (which routes through the best adapter or proxy) when it starts.
        return await bleak_retry_connector.establish_connection(
            bleak_retry_connector.BleakClientWithServiceCache, device, address, max_attempts=2
        )

    return connect
