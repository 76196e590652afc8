"""Config flow of Community Meter: the building network's radio, then the cloud enrolment."""

from __future__ import annotations

import logging
from typing import Any

import probatio
from homeassistant.config_entries import ConfigFlowResult
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

from buildinghub.credentials import SigningKey
from buildinghub.telemetry.cloud_client import CloudClient, CloudRefused, CloudUnavailable
from buildinghub.telemetry.request_signing import hub_id
from buildinghub_ha.const import CONF_RADIO_PATH
from buildinghub_ha.radio_flow import BuildingNetworkFlow

from .const import (
    CONF_BUILDING,
    CONF_CLOUD_KEY,
    CONF_CLOUD_URL,
    CONF_HUB_KEY,
    CONF_TOKEN,
    DOMAIN,
)

_LOGGER = logging.getLogger(__name__)

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


class CommunityMeterConfigFlow(BuildingNetworkFlow, domain=DOMAIN):
    """Radio (EZSP or simulated building), then the cloud connector and its enrolment token."""

    VERSION = 1

    def __init__(self) -> None:
        """Start with nothing chosen."""
        super().__init__()
        self._path = ""

    async def async_radio_chosen(self, path: str) -> ConfigFlowResult:
        """The radio answered: on to the cloud."""
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
