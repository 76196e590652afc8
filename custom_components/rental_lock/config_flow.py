"""Config flow of Rental Lock: the building network's radio, tested before use; the options."""

from __future__ import annotations

from typing import Any

import probatio
from homeassistant.config_entries import (
    ConfigEntry,
    ConfigFlowResult,
    OptionsFlowWithReload,
)
from homeassistant.core import callback
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    TextSelector,
    TextSelectorConfig,
)

from buildinghub_ha.const import CONF_RADIO_PATH
from buildinghub_ha.radio_flow import BuildingNetworkFlow, network_title

from .biometrics_options import biometrics_options_schema, check_biometrics_options
from .const import (
    CONF_BUILDING,
    CONF_LEDGER_URL,
    CONF_LOG_KEY,
    CONF_LOG_ORIGIN,
    CONF_QUORUM,
    CONF_WITNESSES,
    DOMAIN,
)
from .ledger import LedgerOptionError, LedgerOptions


class RentalLockConfigFlow(BuildingNetworkFlow, domain=DOMAIN):
    """Choose an EZSP coordinator's serial port or the simulated building."""

    VERSION = 1

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> RentalLockOptionsFlow:
        """The key ledger and fingerprint options."""
        return RentalLockOptionsFlow()

    async def async_radio_chosen(self, path: str) -> ConfigFlowResult:
        """The radio answered: the entry is the hub on it."""
        return self.async_create_entry(title=network_title(path), data={CONF_RADIO_PATH: path})


def _ledger_schema(current: dict[str, Any]) -> probatio.Schema:
    return probatio.Schema(
        {
            probatio.Optional(
                CONF_LEDGER_URL, default=current.get(CONF_LEDGER_URL, "")
            ): TextSelector(),
            probatio.Optional(
                CONF_BUILDING, default=current.get(CONF_BUILDING, "")
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
