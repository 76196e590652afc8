"""Rental Lock: landlord-signed grants for the door locks of rented flats."""

from __future__ import annotations

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.typing import ConfigType

from buildinghub.radio.network import BuildingNetwork
from buildinghub_ha.access_groups import ResidentGroups, async_remove_groups
from buildinghub_ha.actions import async_register_actions
from buildinghub_ha.dashboards import async_show_on_pages
from buildinghub_ha.landlords import LandlordLogins
from buildinghub_ha.manager_actions import SET_MANAGERS
from buildinghub_ha.network import async_start_hub

from .biometric_services import BIOMETRIC_ACTIONS
from .const import DOMAIN
from .coordinator import RentalLockConfigEntry, RentalLockRuntimeData
from .hub import RentalHub
from .landlord_services import LANDLORD_ACTIONS
from .residents import flat_residents
from .services import GRANT_ACTIONS
from .tenancy import HubTenancy
from .tenancy_services import TENANCY_ACTIONS

PLATFORMS = [Platform.CALENDAR, Platform.EVENT, Platform.LOCK, Platform.SENSOR]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the actions (grants, fingerprints, tenancy), which exist before an entry loads."""
    async_register_actions(
        hass,
        DOMAIN,
        (*GRANT_ACTIONS, *BIOMETRIC_ACTIONS, *TENANCY_ACTIONS, *LANDLORD_ACTIONS, SET_MANAGERS),
    )
    return True


async def async_setup_entry(hass: HomeAssistant, entry: RentalLockConfigEntry) -> bool:
    """Open the building network and take over its door locks."""

    async def make_hub(network: BuildingNetwork) -> RentalHub:
        hub = RentalHub(hass, entry, network)
        landlords = LandlordLogins(hass, f"{DOMAIN}.{entry.entry_id}.landlords", DOMAIN)
        await landlords.async_load()
        entry.runtime_data = RentalLockRuntimeData(
            hub=hub, tenancy=HubTenancy(hass, entry, hub), landlords=landlords
        )
        return hub

    hub = await async_start_hub(hass, entry, make_hub)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    async_show_on_pages(hass, entry, hub)
    # After the platforms: the rent event entities must hear notices missed while stopped.
    await entry.runtime_data.tenancy.async_start()
    hub = entry.runtime_data.hub
    landlords = entry.runtime_data.landlords
    ResidentGroups(hass, entry).async_follow(
        lambda: flat_residents(hub, landlords), hub.signal("grants"), landlords.signal
    )
    return True


async def async_unload_entry(hass: HomeAssistant, entry: RentalLockConfigEntry) -> bool:
    """Remove the entities; the hub and, if no other integration uses it, the radio follow."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: RentalLockConfigEntry) -> None:
    """The residents' groups of a removed entry go with it."""
    await async_remove_groups(hass, entry)
