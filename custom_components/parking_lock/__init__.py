"""Parking Lock: e-keys for shared parking bays, shared, transferred and frozen."""

from __future__ import annotations

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.typing import ConfigType

from buildinghub.radio.errors import RadioUnavailable
from buildinghub.radio.shared import acquire_network, shared_registry

from .ble import async_setup_ble
from .const import CONF_RADIO_PATH, DOMAIN
from .coordinator import ParkingLockConfigEntry, ParkingLockRuntimeData
from .hub import ParkingHub
from .services import async_setup_services

PLATFORMS = [
    Platform.BINARY_SENSOR,
    Platform.CALENDAR,
    Platform.EVENT,
    Platform.IMAGE,
    Platform.LOCK,
    Platform.SENSOR,
]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the actions, which exist even before an entry is loaded."""
    async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: ParkingLockConfigEntry) -> bool:
    """Open the building network (shared with the other Building Hub integrations)."""
    path = entry.data[CONF_RADIO_PATH]
    registry = shared_registry(hass.data)
    try:
        network = await acquire_network(registry, path, hass.config.config_dir)
    except RadioUnavailable as err:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="radio_unavailable",
            translation_placeholders={"path": path},
        ) from err
    hub = ParkingHub(hass, entry, network)
    entry.runtime_data = ParkingLockRuntimeData(network=network, hub=hub)
    try:
        await hub.async_start()
    except BaseException:
        await hub.async_stop()
        await registry.release(network)
        raise
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    await async_setup_ble(hass, entry)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: ParkingLockConfigEntry) -> bool:
    """Let go of the bays and, if no other integration uses it, of the radio."""
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    if unloaded:
        await entry.runtime_data.hub.async_stop()
        await shared_registry(hass.data).release(entry.runtime_data.network)
    return unloaded
