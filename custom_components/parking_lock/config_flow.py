"""Config flow of Parking Lock: the building network's radio, tested before use."""

from __future__ import annotations

from homeassistant.config_entries import ConfigFlowResult

from buildinghub_ha.const import CONF_RADIO_PATH
from buildinghub_ha.radio_flow import BuildingNetworkFlow

from .const import DOMAIN


class ParkingLockConfigFlow(BuildingNetworkFlow, domain=DOMAIN):
    """The radio the car park's locks are on: a coordinator's serial port, or simulated."""

    VERSION = 1

    async def async_radio_chosen(self, path: str) -> ConfigFlowResult:
        """The radio answered: the entry is the car park on it."""
        return self.async_create_entry(title=f"Car park ({path})", data={CONF_RADIO_PATH: path})
