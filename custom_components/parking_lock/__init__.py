"""Parking Lock: e-keys for shared parking bays, shared, transferred and frozen."""

from __future__ import annotations

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.typing import ConfigType

from buildinghub.radio.network import BuildingNetwork
from buildinghub_ha.access_groups import ResidentGroups, async_remove_groups
from buildinghub_ha.actions import async_register_actions
from buildinghub_ha.dashboards import async_show_on_pages
from buildinghub_ha.manager_actions import SET_MANAGERS
from buildinghub_ha.network import async_start_hub

from .ble import async_setup_ble
from .const import DOMAIN
from .coordinator import ParkingLockConfigEntry, ParkingLockRuntimeData
from .hub import ParkingHub
from .residents import bay_residents, open_bays
from .services import ACTIONS

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
    async_register_actions(hass, DOMAIN, (*ACTIONS, SET_MANAGERS))
    return True


async def async_setup_entry(hass: HomeAssistant, entry: ParkingLockConfigEntry) -> bool:
    """Open the building network (shared with the other Building Hub integrations)."""

    async def make_hub(network: BuildingNetwork) -> ParkingHub:
        hub = ParkingHub(hass, entry, network)
        entry.runtime_data = ParkingLockRuntimeData(hub=hub)
        return hub

    hub = await async_start_hub(hass, entry, make_hub)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    async_show_on_pages(hass, entry, hub)
    await async_setup_ble(hass, entry)
    ResidentGroups(hass, entry).async_follow(
        lambda: bay_residents(hub), hub.signal("bookings"), shared=lambda: open_bays(hub)
    )
    return True


async def async_unload_entry(hass: HomeAssistant, entry: ParkingLockConfigEntry) -> bool:
    """Remove the entities; the bays and, if no other integration uses it, the radio follow."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: ParkingLockConfigEntry) -> None:
    """The residents' groups of a removed entry go with it."""
    await async_remove_groups(hass, entry)
