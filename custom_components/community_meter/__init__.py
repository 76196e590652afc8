"""Community Meter: meters whose readings leave them only once the cloud holds them."""

from __future__ import annotations

import time
from pathlib import Path

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.typing import ConfigType

from buildinghub.credentials import PublicKey, SigningKey
from buildinghub.radio.network import BuildingNetwork
from buildinghub.telemetry.cloud_client import CloudClient
from buildinghub.telemetry.outbox import Outbox
from buildinghub.telemetry.relay import Relay
from buildinghub_ha.access_groups import ResidentGroups, async_remove_groups
from buildinghub_ha.actions import async_register_actions
from buildinghub_ha.dashboards import async_show_on_pages
from buildinghub_ha.manager_actions import SET_MANAGERS
from buildinghub_ha.network import async_start_hub

from .const import CONF_CLOUD_KEY, CONF_CLOUD_URL, CONF_HUB_KEY, DOMAIN, OUTBOX_FILE
from .coordinator import CommunityMeterConfigEntry, CommunityMeterRuntimeData
from .hub import MeterHub
from .residents import dwelling_residents
from .services import ACTIONS

PLATFORMS = [Platform.BINARY_SENSOR, Platform.BUTTON, Platform.EVENT, Platform.SENSOR]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the actions, which exist before an entry loads."""
    async_register_actions(hass, DOMAIN, (*ACTIONS, SET_MANAGERS))
    return True


async def async_setup_entry(hass: HomeAssistant, entry: CommunityMeterConfigEntry) -> bool:
    """Open the building network, the outbox and the way to the cloud; take over the meters."""

    async def make_hub(network: BuildingNetwork) -> MeterHub:
        outbox_path = hass.config.path(OUTBOX_FILE.format(entry_id=entry.entry_id))
        outbox = await Outbox.open(Path(outbox_path))
        cloud = CloudClient(
            async_get_clientsession(hass),
            entry.data[CONF_CLOUD_URL],
            SigningKey.from_pem(entry.data[CONF_HUB_KEY].encode()),
            cloud_key=PublicKey.from_bytes(bytes.fromhex(entry.data[CONF_CLOUD_KEY])),
        )
        hub = MeterHub(hass, entry, network, Relay(outbox, cloud, clock=time.monotonic), cloud)
        entry.runtime_data = CommunityMeterRuntimeData(hub=hub)
        return hub

    hub = await async_start_hub(hass, entry, make_hub)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    async_show_on_pages(hass, entry, hub)
    hub.entities_ready = True
    hub.schedule(hub.async_relay())
    groups = ResidentGroups(hass, entry)
    groups.async_follow(lambda: dwelling_residents(hub), hub.residents.signal)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: CommunityMeterConfigEntry) -> bool:
    """Remove the entities; the meters, the outbox and (if no one else uses it) the radio follow."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: CommunityMeterConfigEntry) -> None:
    """The residents' groups of a removed entry go with it."""
    await async_remove_groups(hass, entry)
