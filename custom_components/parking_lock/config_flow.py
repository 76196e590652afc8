"""Config flow of Parking Lock: the building network's radio path, tested before use."""

from __future__ import annotations

import logging
from typing import Any

import probatio
from homeassistant.config_entries import ConfigFlow, ConfigFlowResult
from homeassistant.helpers.selector import TextSelector

from buildinghub.radio.errors import RadioUnavailable
from buildinghub.radio.shared import probe_network, shared_registry

from .const import CONF_RADIO_PATH, DOMAIN, SIMULATED_PATH

_LOGGER = logging.getLogger(__name__)
SCHEMA = probatio.Schema(
    {probatio.Required(CONF_RADIO_PATH, default=SIMULATED_PATH): TextSelector()}
)


class ParkingLockConfigFlow(ConfigFlow, domain=DOMAIN):
    """The radio the car park's locks are on: a coordinator's serial port or sim://..."""

    VERSION = 1

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the radio path and check it answers."""
        errors: dict[str, str] = {}
        if user_input is not None:
            path = user_input[CONF_RADIO_PATH].strip()
            await self.async_set_unique_id(path)
            self._abort_if_unique_id_configured()
            try:
                await probe_network(
                    shared_registry(self.hass.data), path, self.hass.config.config_dir
                )
            except RadioUnavailable:
                errors["base"] = "cannot_connect"
            except Exception:
                _LOGGER.exception("Unexpected error while opening %s", path)
                errors["base"] = "unknown"
            else:
                return self.async_create_entry(
                    title=f"Car park ({path})", data={CONF_RADIO_PATH: path}
                )
        return self.async_show_form(step_id="user", data_schema=SCHEMA, errors=errors)
