"""The first steps of every Building Hub config flow: the building network's radio.

The user picks an EZSP coordinator by its serial path or, where the simulator is
installed, the simulated building; the radio must answer before anything is
saved. Reconfiguring moves an entry to another radio. What follows the radio
(creating the entry, or more steps) is the integration's
:meth:`BuildingNetworkFlow.async_radio_chosen`.
"""

from __future__ import annotations

import logging
from abc import abstractmethod
from typing import Any

import probatio
from homeassistant.config_entries import ConfigFlow, ConfigFlowResult
from homeassistant.helpers.selector import (
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
)

from buildinghub.radio.errors import RadioUnavailable
from buildinghub.radio.schemes import installed_schemes

from .const import (
    CONF_RADIO_PATH,
    CONF_RADIO_TYPE,
    RADIO_EZSP,
    RADIO_SIMULATED,
    SIMULATED_PATH,
    SIMULATOR_SCHEME,
)
from .network import async_probe_network

_LOGGER = logging.getLogger(__name__)

RADIO_SCHEMA = probatio.Schema(
    {
        probatio.Required(CONF_RADIO_TYPE, default=RADIO_EZSP): SelectSelector(
            SelectSelectorConfig(
                options=[RADIO_EZSP, RADIO_SIMULATED],
                translation_key=CONF_RADIO_TYPE,
                mode=SelectSelectorMode.LIST,
            )
        )
    }
)
PATH_SCHEMA = probatio.Schema({probatio.Required(CONF_RADIO_PATH): TextSelector()})


def network_title(path: str) -> str:
    """An entry's title for the building network on ``path``."""
    return "Simulated building" if path == SIMULATED_PATH else f"Building network ({path})"


class BuildingNetworkFlow(ConfigFlow):
    """Steps ``user`` (which radio), ``serial`` (its path) and ``reconfigure``."""

    def __init__(self) -> None:
        """Start with nothing chosen."""
        self._reconfiguring = False

    @abstractmethod
    async def async_radio_chosen(self, path: str) -> ConfigFlowResult:
        """The radio on ``path`` answered and is not in use by another entry: go on."""

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask which radio; straight to the serial path where no simulator is installed."""
        schemes = await self.hass.async_add_executor_job(installed_schemes)
        if SIMULATOR_SCHEME not in schemes:
            return await self.async_step_serial()
        if user_input is None:
            return self.async_show_form(step_id="user", data_schema=RADIO_SCHEMA)
        if user_input[CONF_RADIO_TYPE] == RADIO_SIMULATED:
            return await self._async_use_path(SIMULATED_PATH, "user", RADIO_SCHEMA)
        return await self.async_step_serial()

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Move the entry to another radio."""
        self._reconfiguring = True
        return await self.async_step_user(user_input)

    async def async_step_serial(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the coordinator's serial path."""
        if user_input is None:
            return self.async_show_form(step_id="serial", data_schema=PATH_SCHEMA)
        return await self._async_use_path(
            user_input[CONF_RADIO_PATH].strip(), "serial", PATH_SCHEMA
        )

    async def _async_use_path(
        self, path: str, step_id: str, schema: probatio.Schema
    ) -> ConfigFlowResult:
        await self.async_set_unique_id(path)
        if not self._reconfiguring or self._get_reconfigure_entry().unique_id != path:
            self._abort_if_unique_id_configured()
        errors: dict[str, str] = {}
        try:
            await async_probe_network(self.hass, path)
        except RadioUnavailable:
            errors["base"] = "cannot_connect"
        except Exception:
            _LOGGER.exception("Unexpected error while opening %s", path)
            errors["base"] = "unknown"
        if errors:
            return self.async_show_form(step_id=step_id, data_schema=schema, errors=errors)
        if self._reconfiguring:
            return self.async_update_reload_and_abort(
                self._get_reconfigure_entry(), unique_id=path, data_updates={CONF_RADIO_PATH: path}
            )
        return await self.async_radio_chosen(path)
