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
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from buildinghub.devices.meter_scaling import MeterUnit
from buildinghub.telemetry.reading import Quantity
from buildinghub_sim.meter_register import MeterRegister
from custom_components.community_meter.const import DOMAIN
from scripts.demo_people import energy_preferences
from tests.components.users import ordinary_user

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

    assert validation == {
        "energy_sources": [[], [], []],
        "device_consumption": [],
        "device_consumption_water": [],
    }


OWN_SCALING = {
    # 10 Wh a count; half-litres (5 tenths); hundredths of a cubic foot.
    Quantity.ELECTRICITY: MeterRegister(MeterUnit.KILOWATT_HOURS, multiplier=1, divisor=100),
    Quantity.WATER: MeterRegister(MeterUnit.LITRES, multiplier=5, divisor=10),
    Quantity.GAS: MeterRegister(MeterUnit.CUBIC_FEET, multiplier=1, divisor=100),
}


@pytest.mark.parametrize("registers", [OWN_SCALING])
async def test_meters_with_their_own_scaling_show_their_own_values_and_units(
    recorder_mock: object,
    hass: HomeAssistant,
    cloud: Cloud,
    site: Site,
    config_entry: MockConfigEntry,
) -> None:
    site.meter(Quantity.ELECTRICITY).measure(1234)  # Wh: the register counts 123
    site.meter(Quantity.WATER).measure(301)  # litres: 602 half-litres
    site.meter(Quantity.GAS).measure(40)  # litres: 141 hundredths of a cubic foot

    await start_hub(hass, config_entry, site)

    registry = er.async_get(hass)
    shown: dict[str, tuple[str, str]] = {}
    for unique_id in ("meter-1a-e_energy", "meter-1a-w_water", "meter-2b-g_gas"):
        entity_id = registry.async_get_entity_id("sensor", DOMAIN, unique_id)
        assert entity_id is not None
        state = hass.states.get(entity_id)
        assert state is not None
        shown[unique_id] = (state.state, state.attributes["unit_of_measurement"])
    gas_state, gas_unit = shown.pop("meter-2b-g_gas")
    assert shown == {"meter-1a-e_energy": ("1.23", "kWh"), "meter-1a-w_water": ("301", "L")}
    # Home Assistant shows gas in the metric unit system's m³: the meter's 1.41 ft³.
    assert gas_unit == "m³"
    assert float(gas_state) == pytest.approx(1.41 * 0.028316846592)


async def test_the_demos_energy_dashboard_saves_and_validates_through_the_websocket(
    recorder_mock: object,
    hass: HomeAssistant,
    cloud: Cloud,
    site: Site,
    config_entry: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """What scripts/demo does: the meters' sensors saved as the dashboard's sources with
    energy/save_prefs, then energy/validate finds nothing wrong."""
    assert await async_setup_component(hass, "energy", {})
    for quantity, amount in ((Quantity.ELECTRICITY, 800), (Quantity.WATER, 90), (Quantity.GAS, 7)):
        site.meter(quantity).measure(amount)
    await start_hub(hass, config_entry, site)
    registry = er.async_get(hass)
    sensors = {"energy": [], "water": [], "gas": []}
    for entry in er.async_entries_for_config_entry(registry, config_entry.entry_id):
        for quantity, found in sensors.items():
            if entry.unique_id.endswith(f"_{quantity}"):
                found.append(entry.entity_id)
    assert all(sensors.values()), sensors
    client = await hass_ws_client(hass)

    await client.send_json_auto_id({"type": "energy/save_prefs", **energy_preferences(sensors)})
    saved = await client.receive_json()
    await async_wait_recording_done(hass)
    do_adhoc_statistics(hass, start=get_start_time(dt_util.utcnow() - timedelta(minutes=5)))
    do_adhoc_statistics(hass, start=get_start_time(dt_util.utcnow()))
    await async_wait_recording_done(hass)
    await settle(hass)
    await client.send_json_auto_id({"type": "energy/validate"})
    validation = await client.receive_json()

    assert saved["success"], saved
    assert validation["success"], validation
    issues = [
        issue
        for group in (
            *validation["result"]["energy_sources"],
            *validation["result"]["device_consumption"],
        )
        for issue in group
    ]
    assert issues == []


async def test_a_resident_gets_the_statistics_of_their_own_meters_only(
    recorder_mock: object,
    hass: HomeAssistant,
    cloud: Cloud,
    site: Site,
    config_entry: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """The recorder's statistics check no permission themselves: the integrations scope them."""
    for quantity, amount in ((Quantity.ELECTRICITY, 1200), (Quantity.GAS, 40)):
        site.meter(quantity).measure(amount)
    await start_hub(hass, config_entry, site)
    alice = await ordinary_user(hass, "Alice")
    await hass.services.async_call(
        DOMAIN, "set_residents", {"dwelling": "1A", "residents": [alice.id]}, blocking=True
    )
    registry = er.async_get(hass)
    own = registry.async_get_entity_id("sensor", DOMAIN, "meter-1a-e_energy")
    other = registry.async_get_entity_id("sensor", DOMAIN, "meter-2b-g_gas")
    await async_wait_recording_done(hass)
    do_adhoc_statistics(hass, start=get_start_time(dt_util.utcnow() - timedelta(minutes=5)))
    do_adhoc_statistics(hass, start=get_start_time(dt_util.utcnow()))
    await async_wait_recording_done(hass)
    await settle(hass)
    refresh = await hass.auth.async_create_refresh_token(alice, "https://example.com/app")
    app = await hass_ws_client(hass, hass.auth.async_create_access_token(refresh))
    start = (dt_util.utcnow() - timedelta(hours=1)).isoformat()

    answers = []
    for message in (
        {"type": "recorder/statistics_during_period", "statistic_ids": [own, other]},
        {"type": "recorder/statistics_during_period", "statistic_ids": [other]},
        {"type": "recorder/get_statistics_metadata"},
    ):
        await app.send_json_auto_id(
            {"start_time": start, "period": "5minute", **message}
            if "during" in message["type"]
            else message
        )
        answers.append(await app.receive_json())
    await app.send_json_auto_id({"type": "recorder/statistic_during_period", "statistic_id": other})
    single = await app.receive_json()

    both, only_other, metadata = (answer["result"] for answer in answers)
    assert set(both) == {own}
    assert only_other == {}
    listed = {m["statistic_id"] for m in metadata}
    assert own in listed
    of_1a = {e.entity_id for e in registry.entities.values() if e.unique_id.startswith("meter-1a-")}
    assert listed <= of_1a  # 1A's meters only
    assert single["error"]["code"] == "unauthorized"
