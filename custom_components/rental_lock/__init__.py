"""Rental Lock: landlord-signed grants for the door locks of rented flats."""

from __future__ import annotations

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.typing import ConfigType

from buildinghub.radio.errors import RadioUnavailable

from .biometric_services import async_setup_biometric_services
from .const import CONF_RADIO_PATH, DOMAIN
from .coordinator import RentalLockConfigEntry, RentalLockRuntimeData
from .hub import RentalHub
from .radio import async_acquire_network, async_release_network
from .services import async_setup_services
from .tenancy import HubTenancy
from .tenancy_services import async_setup_tenancy_services

PLATFORMS = [Platform.CALENDAR, Platform.EVENT, Platform.LOCK, Platform.SENSOR]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the actions, which exist even before an entry is loaded."""
    async_setup_services(hass)
    async_setup_biometric_services(hass)
    async_setup_tenancy_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: RentalLockConfigEntry) -> bool:
    """Open the building network and take over its door locks."""
    path = entry.data[CONF_RADIO_PATH]
    try:
        network = await async_acquire_network(hass, path)
    except RadioUnavailable as err:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="radio_unavailable",
            translation_placeholders={"path": path},
        ) from err
    hub = RentalHub(hass, entry, network)
    tenancy = HubTenancy(hass, entry, hub)
    entry.runtime_data = RentalLockRuntimeData(network=network, hub=hub, tenancy=tenancy)
    try:
        await hub.async_start()
    except BaseException:
        await hub.async_stop()
        await async_release_network(hass, network)
        raise
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    # After the platforms: the rent event entities must hear notices missed while stopped.
    await tenancy.async_start()
    return True


async def async_unload_entry(hass: HomeAssistant, entry: RentalLockConfigEntry) -> bool:
    """Let go of the locks and, if no other integration uses it, of the radio."""
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    if unloaded:
        await entry.runtime_data.hub.async_stop()
        await async_release_network(hass, entry.runtime_data.network)
    return unloaded
