"""BLE bay locks, only through Home Assistant's bluetooth integration.

Advertisements arrive by a passive callback (our manufacturer id): the first one from a
lock the hub does not manage yet brings it in, later ones carry its occupancy and barrier
state. Connections go through ``async_ble_device_from_address`` and
``bleak_retry_connector.establish_connection``, so whichever adapter or proxy hears the
lock best carries the link.

On the simulated building the locks are Bumble GATT peripherals on the building's BLE air;
its central is registered here as a remote scanner whose connector is the Bumble bleak
backend, exactly as an ESPHome Bluetooth proxy registers itself.
"""

from __future__ import annotations

import logging
import time

import bleak_retry_connector
from homeassistant.components import bluetooth
from homeassistant.core import HomeAssistant, callback

from buildinghub.devices.ble_parking_lock import GattClient
from buildinghub.radio.cluster import MANUFACTURER_CODE
from buildinghub.radio.errors import DeviceUnreachable
from buildinghub_sim.ble_air import BleAir, HeardAdvertisement, find_ble_air
from buildinghub_sim.bumble_bleak import BumbleBleakClient

from .const import CONF_RADIO_PATH, DOMAIN
from .coordinator import ParkingLockConfigEntry

_LOGGER = logging.getLogger(__name__)


async def async_setup_ble(hass: HomeAssistant, entry: ParkingLockConfigEntry) -> None:
    """Listen for BLE bay locks (when the bluetooth integration runs)."""
    if "bluetooth" not in hass.config.components:
        return
    hub = entry.runtime_data.hub
    air = find_ble_air(entry.data[CONF_RADIO_PATH])
    if air is not None:
        await _async_register_simulated_air(hass, entry, air)

    @callback
    def advertised(
        service_info: bluetooth.BluetoothServiceInfoBleak, _change: bluetooth.BluetoothChange
    ) -> None:
        data = service_info.manufacturer_data.get(MANUFACTURER_CODE)
        if data is None or hub.ble_advertised(service_info.address, data):
            return
        address = service_info.address

        async def connect() -> GattClient:
            device = bluetooth.async_ble_device_from_address(hass, address, connectable=True)
            if device is None:
                raise DeviceUnreachable(address)
            # Looked up at each call: the bluetooth integration swaps in its own client
            # class (which routes through the best adapter or proxy) when it starts.
            return await bleak_retry_connector.establish_connection(
                bleak_retry_connector.BleakClientWithServiceCache, device, address, max_attempts=2
            )

        entry.async_create_task(
            hass, hub.async_add_ble_bay(address, connect), f"{DOMAIN} add BLE bay {address}"
        )

    entry.async_on_unload(
        bluetooth.async_register_callback(
            hass,
            advertised,
            bluetooth.BluetoothCallbackMatcher(manufacturer_id=MANUFACTURER_CODE),
            bluetooth.BluetoothScanningMode.PASSIVE,
        )
    )


async def _async_register_simulated_air(
    hass: HomeAssistant, entry: ParkingLockConfigEntry, air: BleAir
) -> None:
    scanner = bluetooth.BaseHaRemoteScanner(
        air.name,
        "Building Hub simulated BLE",
        bluetooth.HaBluetoothConnector(
            client=BumbleBleakClient, source=air.name, can_connect=lambda: True
        ),
        True,
    )
    entry.async_on_unload(bluetooth.async_register_scanner(hass, scanner, connection_slots=4))
    entry.async_on_unload(scanner.async_setup())

    def heard(advertisement: HeardAdvertisement) -> None:
        scanner._async_on_advertisement(
            advertisement.address,
            advertisement.rssi,
            advertisement.local_name,
            advertisement.service_uuids,
            {},
            advertisement.manufacturer_data,
            None,
            {},
            time.monotonic(),
        )

    entry.async_on_unload(air.add_listener(heard))
    await air.start()
    entry.async_on_unload(air.stop)
