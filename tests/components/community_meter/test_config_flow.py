"""Config flow: the radio, then enrolment with the cloud connector."""

from __future__ import annotations

from homeassistant import config_entries
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from pytest_homeassistant_custom_component.common import MockConfigEntry
from sqlalchemy import select

from buildinghub_ha.const import CONF_RADIO_PATH, CONF_RADIO_TYPE, RADIO_SIMULATED, SIMULATED_PATH
from buildinghub_sim.building import SimulatedBuilding, forget_building, register_building
from buildinghub_sim.medium import drop_medium
from cloud_connector.schema import hubs
from custom_components.community_meter.const import CONF_CLOUD_URL, CONF_TOKEN, DOMAIN

from .conftest import BUILDING, Cloud


async def _to_cloud_step(hass: HomeAssistant) -> str:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_RADIO_TYPE: RADIO_SIMULATED}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "cloud"
    return str(result["flow_id"])


async def test_the_hub_enrols_with_a_one_time_token(hass: HomeAssistant, cloud: Cloud) -> None:
    try:
        flow_id = await _to_cloud_step(hass)

        result = await hass.config_entries.flow.async_configure(
            flow_id, {CONF_CLOUD_URL: cloud.url, CONF_TOKEN: await cloud.token()}
        )

        assert result["type"] is FlowResultType.CREATE_ENTRY
        assert result["title"] == BUILDING
        assert result["data"][CONF_RADIO_PATH] == SIMULATED_PATH
        assert "PRIVATE KEY" in result["data"]["hub_key"]
        assert cloud.running is not None
        async with cloud.running.engine.connect() as connection:
            assert (await connection.execute(select(hubs.c.building))).scalars().all() == [BUILDING]
    finally:
        for entry in hass.config_entries.async_entries(DOMAIN):
            await hass.config_entries.async_unload(entry.entry_id)
        forget_building(SIMULATED_PATH)
        await drop_medium(SIMULATED_PATH)


async def test_a_wrong_or_used_token_is_refused_and_can_be_corrected(
    hass: HomeAssistant, cloud: Cloud
) -> None:
    building = SimulatedBuilding.create(SIMULATED_PATH, flats=1)
    register_building(building)
    try:
        flow_id = await _to_cloud_step(hass)

        wrong = await hass.config_entries.flow.async_configure(
            flow_id, {CONF_CLOUD_URL: cloud.url, CONF_TOKEN: "not-a-token"}
        )
        assert wrong["errors"] == {"base": "invalid_token"}

        right = await hass.config_entries.flow.async_configure(
            flow_id, {CONF_CLOUD_URL: cloud.url, CONF_TOKEN: await cloud.token()}
        )
        assert right["type"] is FlowResultType.CREATE_ENTRY
    finally:
        for entry in hass.config_entries.async_entries(DOMAIN):
            await hass.config_entries.async_unload(entry.entry_id)
        forget_building(SIMULATED_PATH)
        await drop_medium(SIMULATED_PATH)


async def test_an_unreachable_cloud_is_reported(hass: HomeAssistant, cloud: Cloud) -> None:
    building = SimulatedBuilding.create(SIMULATED_PATH, flats=1)
    register_building(building)
    try:
        flow_id = await _to_cloud_step(hass)
        url = cloud.url
        await cloud.stop()

        result = await hass.config_entries.flow.async_configure(
            flow_id, {CONF_CLOUD_URL: url, CONF_TOKEN: "whatever"}
        )

        assert result["errors"] == {"base": "cloud_unreachable"}
        assert hass.config_entries.async_entries(DOMAIN) == []
    finally:
        forget_building(SIMULATED_PATH)
        await drop_medium(SIMULATED_PATH)


async def test_a_radio_that_already_has_a_hub_is_refused(hass: HomeAssistant) -> None:
    MockConfigEntry(
        domain=DOMAIN, data={CONF_RADIO_PATH: SIMULATED_PATH}, unique_id=SIMULATED_PATH
    ).add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_USER}
    )

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_RADIO_TYPE: RADIO_SIMULATED}
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
