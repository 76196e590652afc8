"""The Energy dashboard accepts the meters' sensors (Home Assistant's own validation)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from homeassistant.components.energy import data as energy_data
from homeassistant.components.energy.validate import async_validate
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
    do_adhoc_statistics,
    get_start_time,
)

from buildinghub.telemetry.reading import Quantity
from custom_components.community_meter.const import DOMAIN

from .conftest import Cloud, Site, settle, start_hub


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    recorder_mock: object, enable_custom_integrations: None
) -> None:
    """The recorder must start before hass, which enabling custom integrations needs."""


async def test_the_energy_dashboard_accepts_electricity_water_and_gas(
    recorder_mock: object,
    hass: HomeAssistant,
    cloud: Cloud,
    site: Site,
    config_entry: MockConfigEntry,
) -> None:
    assert await async_setup_component(hass, "energy", {})
    for quantity, amount in (
        (Quantity.ELECTRICITY, 1200),
        (Quantity.WATER, 300),
        (Quantity.GAS, 40),
    ):
        site.meter(quantity).measure(amount)
    await start_hub(hass, config_entry, site)
    registry = er.async_get(hass)
    energy, water, gas = (
        registry.async_get_entity_id("sensor", DOMAIN, unique_id)
        for unique_id in ("meter-1a-e_energy", "meter-1a-w_water", "meter-2b-g_gas")
    )
    assert energy is not None
    assert water is not None
    assert gas is not None
    manager = await energy_data.async_get_manager(hass)
    await manager.async_update(
        {
            "energy_sources": [
                {
                    "type": "grid",
                    "flow_from": [
                        {
                            "stat_energy_from": energy,
                            "stat_cost": None,
                            "entity_energy_price": None,
                            "number_energy_price": None,
                        }
                    ],
                    "flow_to": [],
                    "cost_adjustment_day": 0,
                },
                {"type": "water", "stat_energy_from": water},
                {"type": "gas", "stat_energy_from": gas},
            ],
            "device_consumption": [],
        }
    )
    # The recorder compiles the five minutes the states fell in: the statistics exist.
    await async_wait_recording_done(hass)
    do_adhoc_statistics(hass, start=get_start_time(dt_util.utcnow() - timedelta(minutes=5)))
    do_adhoc_statistics(hass, start=get_start_time(dt_util.utcnow()))
    await async_wait_recording_done(hass)
    await settle(hass)

    validation = (await async_validate(hass)).as_dict()

    assert validation == {"energy_sources": [[], [], []], "device_consumption": []}
