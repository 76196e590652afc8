"""Config flow of Community Meter: the building network's radio, then the cloud enrolment."""

from __future__ import annotations

import logging
from typing import Any

import probatio
from homeassistant.config_entries import ConfigFlow, ConfigFlowResult
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

from buildinghub.credentials import SigningKey
from buildinghub.radio.errors import RadioUnavailable
from buildinghub.radio.shared import probe_network, shared_registry
from buildinghub.telemetry.cloud_client import CloudClient, CloudRefused, CloudUnavailable
from buildinghub.telemetry.request_signing import hub_id

from .const import (
    CONF_BUILDING,
    CONF_CLOUD_KEY,
    CONF_CLOUD_URL,
    CONF_HUB_KEY,
    CONF_RADIO_PATH,
    CONF_RADIO_TYPE,
    CONF_TOKEN,
    DOMAIN,
    RADIO_EZSP,
    RADIO_SIMULATED,
    SIMULATED_PATH,
)

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
CLOUD_SCHEMA = probatio.Schema(
    {
        probatio.Required(CONF_CLOUD_URL): TextSelector(
            TextSelectorConfig(type=TextSelectorType.URL)
        ),
        probatio.Required(CONF_TOKEN): TextSelector(
            TextSelectorConfig(type=TextSelectorType.PASSWORD)
        ),
    }
)


class CommunityMeterConfigFlow(ConfigFlow, domain=DOMAIN):
    """Radio (EZSP or simulated building), then the cloud connector and its enrolment token."""

    VERSION = 1

    def __init__(self) -> None:
        """Start with nothing chosen."""
        self._path = ""

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask which radio."""
        if user_input is None:
            return self.async_show_form(step_id="user", data_schema=RADIO_SCHEMA)
        if user_input[CONF_RADIO_TYPE] == RADIO_SIMULATED:
            return await self._async_use_path(SIMULATED_PATH, "user", RADIO_SCHEMA)
        return await self.async_step_serial()

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
        self._abort_if_unique_id_configured()
        try:
            await probe_network(shared_registry(self.hass.data), path, self.hass.config.config_dir)
        except RadioUnavailable:
            return self.async_show_form(
                step_id=step_id, data_schema=schema, errors={"base": "cannot_connect"}
            )
        self._path = path
        return await self.async_step_cloud()

    async def async_step_cloud(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Enrol the hub with the cloud connector: a new hub key, a one-time token."""
        errors: dict[str, str] = {}
        if user_input is not None:
            url = user_input[CONF_CLOUD_URL].strip().rstrip("/")
            hub_key = SigningKey.generate()
            client = CloudClient(async_get_clientsession(self.hass), url, hub_key)
            try:
                cloud_key = await client.fetch_cloud_key()
                building = await client.enrol(user_input[CONF_TOKEN].strip())
            except CloudUnavailable:
                errors["base"] = "cloud_unreachable"
            except CloudRefused as err:
                errors["base"] = "invalid_token" if err.status in (401, 409) else "cloud_refused"
            except Exception:
                _LOGGER.exception("Unexpected error while enrolling with %s", url)
                errors["base"] = "unknown"
            else:
                return self.async_create_entry(
                    title=building,
                    data={
                        CONF_RADIO_PATH: self._path,
                        CONF_CLOUD_URL: url,
                        CONF_HUB_KEY: hub_key.to_pem().decode(),
                        CONF_CLOUD_KEY: cloud_key.to_bytes().hex(),
                        CONF_BUILDING: building,
                    },
                    description_placeholders={"hub_id": hub_id(hub_key.public_key)},
                )
        return self.async_show_form(
            step_id="cloud",
            data_schema=self.add_suggested_values_to_schema(CLOUD_SCHEMA, user_input),
            errors=errors,
        )
