"""BLE bay locks, only through Home Assistant's bluetooth integration.

Advertisements arrive by a passive callback (our manufacturer id): the first one from a
lock the hub does not manage yet brings it in, later ones carry its occupancy and barrier
state. Connections go through the glue's ``ble_connection``, so whichever adapter or
proxy hears the lock best carries the link; BLE locks behind the radio path itself (the
simulated building's) are heard through the radio backend's airway.
"""

from __future__ import annotations

from homeassistant.components import bluetooth
from homeassistant.core import HomeAssistant, callback

from buildinghub.radio.cluster import MANUFACTURER_CODE
from buildinghub_ha.ble import async_register_airway, ble_connection
from buildinghub_ha.const import CONF_RADIO_PATH

from .const import DOMAIN
from .coordinator import ParkingLockConfigEntry


async def async_setup_ble(hass: HomeAssistant, entry: ParkingLockConfigEntry) -> None:
    """Listen for BLE bay locks (when the bluetooth integration runs)."""
    if "bluetooth" not in hass.config.components:
        return
    hub = entry.runtime_data.hub
    await async_register_airway(hass, entry, entry.data[CONF_RADIO_PATH])

    @callback
    def advertised(
        service_info: bluetooth.BluetoothServiceInfoBleak, _change: bluetooth.BluetoothChange
    ) -> None:
        data = service_info.manufacturer_data.get(MANUFACTURER_CODE)
        address = service_info.address
        if data is None or hub.ble_advertised(address, data):
            return
        # In the background: taking a lock over means connecting to it, which lasts until
        # the lock next advertises; nothing else waits for it, and unloading cancels it.
        entry.async_create_background_task(
            hass,
            hub.async_add_ble_bay(address, ble_connection(hass, address)),
            f"{DOMAIN} add BLE bay {address}",
        )

    entry.async_on_unload(
        bluetooth.async_register_callback(
            hass,
            advertised,
            bluetooth.BluetoothCallbackMatcher(manufacturer_id=MANUFACTURER_CODE),
            bluetooth.BluetoothScanningMode.PASSIVE,
        )
    )
