"""Community Meter: meters whose readings leave them only once the cloud holds them."""

from __future__ import annotations

import time
from pathlib import Path

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from buildinghub.credentials import PublicKey, SigningKey
from buildinghub.radio.errors import RadioUnavailable
from buildinghub.radio.shared import acquire_network, shared_registry
from buildinghub.telemetry.cloud_client import CloudClient
from buildinghub.telemetry.outbox import Outbox
from buildinghub.telemetry.relay import Relay

from .const import (
    CONF_CLOUD_KEY,
    CONF_CLOUD_URL,
    CONF_HUB_KEY,
    CONF_RADIO_PATH,
    DOMAIN,
    OUTBOX_FILE,
)
from .coordinator import CommunityMeterConfigEntry, CommunityMeterRuntimeData
from .hub import MeterHub

PLATFORMS = [Platform.BINARY_SENSOR, Platform.BUTTON, Platform.EVENT, Platform.SENSOR]


async def async_setup_entry(hass: HomeAssistant, entry: CommunityMeterConfigEntry) -> bool:
    """Open the building network, the outbox and the way to the cloud; take over the meters."""
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
    outbox = await Outbox.open(Path(hass.config.path(OUTBOX_FILE.format(entry_id=entry.entry_id))))
    cloud = CloudClient(
        async_get_clientsession(hass),
        entry.data[CONF_CLOUD_URL],
        SigningKey.from_pem(entry.data[CONF_HUB_KEY].encode()),
        cloud_key=PublicKey.from_bytes(bytes.fromhex(entry.data[CONF_CLOUD_KEY])),
    )
    hub = MeterHub(hass, entry, network, Relay(outbox, cloud, clock=time.monotonic), cloud)
    entry.runtime_data = CommunityMeterRuntimeData(network=network, hub=hub)
    try:
        await hub.async_start()
    except BaseException:
        await hub.async_stop()
        await registry.release(network)
        raise
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    hub.entities_ready = True
    hub.schedule(hub.async_relay())
    return True


async def async_unload_entry(hass: HomeAssistant, entry: CommunityMeterConfigEntry) -> bool:
    """Let go of the meters, close the outbox and, if no one else uses it, the radio."""
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    if unloaded:
        await entry.runtime_data.hub.async_stop()
        await shared_registry(hass.data).release(entry.runtime_data.network)
    return unloaded
