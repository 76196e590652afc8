"""Config flow of Rental Lock: pick the building network's radio, tested before use."""

from __future__ import annotations

import logging
from typing import Any

import probatio
from homeassistant.config_entries import (
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlowWithReload,
)
from homeassistant.core import callback
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
)

from buildinghub.radio.errors import RadioUnavailable

from .biometrics_options import biometrics_options_schema, check_biometrics_options
from .const import (
    CONF_LEDGER_URL,
    CONF_LOG_KEY,
    CONF_LOG_ORIGIN,
    CONF_QUORUM,
    CONF_RADIO_PATH,
    CONF_RADIO_TYPE,
    CONF_WITNESSES,
    DOMAIN,
    RADIO_EZSP,
    RADIO_SIMULATED,
    SIMULATED_PATH,
)
from .ledger import LedgerOptionError, LedgerOptions
from .radio import async_probe

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


class RentalLockConfigFlow(ConfigFlow, domain=DOMAIN):
    """Choose an EZSP coordinator's serial port or the simulated building."""

    VERSION = 1

    def __init__(self) -> None:
        """Start with nothing chosen."""
        self._reconfiguring = False

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> RentalLockOptionsFlow:
        """The key ledger options."""
        return RentalLockOptionsFlow()

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask which radio."""
        if user_input is None:
            return self.async_show_form(step_id="user", data_schema=RADIO_SCHEMA)
        if user_input[CONF_RADIO_TYPE] == RADIO_SIMULATED:
            return await self._async_use_path(SIMULATED_PATH, "user", RADIO_SCHEMA)
        return await self.async_step_serial()

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Move the hub to another radio."""
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
        if self._reconfiguring:
            self._abort_if_unique_id_mismatch_or_configured()
        else:
            self._abort_if_unique_id_configured()
        errors: dict[str, str] = {}
        try:
            await async_probe(self.hass, path)
        except RadioUnavailable:
            errors["base"] = "cannot_connect"
        except Exception:
            _LOGGER.exception("Unexpected error while opening %s", path)
            errors["base"] = "unknown"
        if errors:
            return self.async_show_form(step_id=step_id, data_schema=schema, errors=errors)
        data = {CONF_RADIO_PATH: path}
        if self._reconfiguring:
            return self.async_update_reload_and_abort(
                self._get_reconfigure_entry(), unique_id=path, data=data
            )
        title = "Simulated building" if path == SIMULATED_PATH else f"Building network ({path})"
        return self.async_create_entry(title=title, data=data)

    def _abort_if_unique_id_mismatch_or_configured(self) -> None:
        entry = self._get_reconfigure_entry()
        if entry.unique_id != self.unique_id:
            self._abort_if_unique_id_configured()


def _ledger_schema(current: dict[str, Any]) -> probatio.Schema:
    return probatio.Schema(
        {
            probatio.Optional(
                CONF_LEDGER_URL, default=current.get(CONF_LEDGER_URL, "")
            ): TextSelector(),
            probatio.Optional(
                CONF_LOG_ORIGIN, default=current.get(CONF_LOG_ORIGIN, "")
            ): TextSelector(),
            probatio.Optional(CONF_LOG_KEY, default=current.get(CONF_LOG_KEY, "")): TextSelector(),
            probatio.Optional(
                CONF_WITNESSES, default=current.get(CONF_WITNESSES, "")
            ): TextSelector(TextSelectorConfig(multiline=True)),
            probatio.Optional(CONF_QUORUM, default=current.get(CONF_QUORUM, 1)): NumberSelector(
                NumberSelectorConfig(min=1, max=32, step=1, mode=NumberSelectorMode.BOX)
            ),
            **biometrics_options_schema(current),
        }
    )


class RentalLockOptionsFlow(OptionsFlowWithReload):
    """Take landlord keys from a key ledger: its URL, log key, witnesses and quorum.

    Changed options reload the entry, which starts again with them.
    """

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the ledger (an empty URL keeps trusting installation records only)."""
        errors: dict[str, str] = {}
        if user_input is not None:
            options = {**user_input, CONF_QUORUM: int(user_input.get(CONF_QUORUM, 1))}
            try:
                LedgerOptions.from_options(options)
                check_biometrics_options(options)
            except LedgerOptionError as err:
                errors[err.field] = f"invalid_{err.field}"
            else:
                return self.async_create_entry(data=options)
        current = user_input or dict(self.config_entry.options)
        return self.async_show_form(
            step_id="init", data_schema=_ledger_schema(current), errors=errors
        )
