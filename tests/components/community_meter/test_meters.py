"""Meters in Home Assistant: their sensors, the relay to the cloud, erasure, losses."""

from __future__ import annotations

import asyncio
import logging

import pytest
from homeassistant.const import STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import area_registry as ar
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)

from buildinghub.devices.meter_scaling import MeterUnit
from buildinghub.telemetry.reading import Quantity
from buildinghub.telemetry.relay import MIN_BACKOFF_S
from buildinghub_sim.meter_register import MeterRegister
from custom_components.community_meter.const import (
    BUS_EVENT_READINGS_LOST,
    DOMAIN,
    RELAY_INTERVAL,
)

from .conftest import Cloud, Site, settle, start_hub


def entity_id(hass: HomeAssistant, meter_id: str, key: str) -> str:
    found = er.async_get(hass).async_get_entity_id("sensor", DOMAIN, f"{meter_id}_{key}")
    assert found is not None
    return found


async def test_each_meter_is_a_device_with_its_total_in_energy_dashboard_units(
    hass: HomeAssistant, cloud: Cloud, site: Site, config_entry: MockConfigEntry
) -> None:
    site.meter(Quantity.ELECTRICITY).measure(1500)
    site.meter(Quantity.WATER).measure(250)
    site.meter(Quantity.GAS).measure(75)

    await start_hub(hass, config_entry, site)

    devices = dr.async_entries_for_config_entry(dr.async_get(hass), config_entry.entry_id)
    areas = ar.async_get(hass)
    # Each meter is named for what it measures, in its dwelling's area.
    assert {
        (area.name if (area := areas.async_get_area(d.area_id or "")) else None, d.name)
        for d in devices
    } >= {("Flat 1A", "Electricity meter"), ("Flat 1A", "Water meter"), ("Flat 2B", "Gas meter")}
    energy = hass.states.get(entity_id(hass, "meter-1a-e", "energy"))
    water = hass.states.get(entity_id(hass, "meter-1a-w", "water"))
    gas = hass.states.get(entity_id(hass, "meter-2b-g", "gas"))
    assert energy is not None
    assert water is not None
    assert gas is not None
    assert (energy.state, energy.attributes["unit_of_measurement"]) == ("1.5", "kWh")
    assert (water.state, water.attributes["unit_of_measurement"]) == ("0.25", "m³")
    assert (gas.state, gas.attributes["unit_of_measurement"]) == ("0.075", "m³")
    assert {s.attributes["state_class"] for s in (energy, water, gas)} == {"total_increasing"}
    assert [s.attributes["device_class"] for s in (energy, water, gas)] == [
        "energy",
        "water",
        "gas",
    ]


@pytest.mark.parametrize(
    ("registers", "problem"),
    [
        ({Quantity.ELECTRICITY: MeterRegister(MeterUnit.KILOWATT_HOURS, 1, 0)}, "divisor is 0"),
        ({Quantity.ELECTRICITY: MeterRegister(0x42, 1, 1000)}, "unit of measure 0x42 is not"),
    ],
    ids=["divisor_0", "unknown_unit"],
)
async def test_a_meter_stating_an_unusable_scaling_shows_no_total_and_the_log_says_why(
    hass: HomeAssistant,
    cloud: Cloud,
    site: Site,
    config_entry: MockConfigEntry,
    problem: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    site.meter(Quantity.ELECTRICITY).measure(1500)
    site.meter(Quantity.WATER).measure(250)

    await start_hub(hass, config_entry, site)

    energy = hass.states.get(entity_id(hass, "meter-1a-e", "energy"))
    held = hass.states.get(entity_id(hass, "meter-1a-e", "pending_readings"))
    water = hass.states.get(entity_id(hass, "meter-1a-w", "water"))
    assert energy is not None
    assert held is not None
    assert water is not None
    assert energy.state == STATE_UNKNOWN
    assert held.state.isdigit()
    assert water.state == "0.25"
    said = [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING and problem in r.getMessage()
    ]
    assert len(said) == 1
    assert str(site.meter(Quantity.ELECTRICITY).ieee) in said[0]


async def test_readings_go_to_the_cloud_and_are_erased_from_the_meters(
    hass: HomeAssistant, cloud: Cloud, site: Site, config_entry: MockConfigEntry
) -> None:
    await start_hub(hass, config_entry, site)
    meter = site.meter(Quantity.ELECTRICITY)

    for _ in range(4):
        meter.measure(100)
    await settle(hass)
    await config_entry.runtime_data.hub.async_relay()
    await settle(hass)

    assert await cloud.stored() == 4
    assert meter.firmware.memory == {}
    held = hass.states.get(entity_id(hass, "meter-1a-e", "pending_readings"))
    assert held is not None
    assert held.state == "0"


async def test_the_relay_runs_on_its_schedule_when_nothing_else_wakes_it(
    hass: HomeAssistant, cloud: Cloud, site: Site, config_entry: MockConfigEntry
) -> None:
    """Readings held while the cloud was down go out on the relay's 30-second schedule."""
    await start_hub(hass, config_entry, site)
    await cloud.stop()
    meter = site.meter(Quantity.ELECTRICITY)
    meter.measure(100)
    meter.measure(100)
    await settle(hass)
    assert len(meter.firmware.memory) == 2
    await cloud.start()
    # The failed upload's backoff runs on the event loop's clock: let it pass, then show that
    # nothing runs the relay until Home Assistant's time reaches its next slot.
    await asyncio.sleep(MIN_BACKOFF_S)
    await settle(hass)
    assert await cloud.stored() == 0

    async_fire_time_changed(hass, dt_util.utcnow() + RELAY_INTERVAL)
    await settle(hass)

    assert await cloud.stored() == 2
    assert meter.firmware.memory == {}


async def test_readings_reported_between_rounds_are_held_then_relayed_together_on_schedule(
    hass: HomeAssistant, cloud: Cloud, site: Site, config_entry: MockConfigEntry
) -> None:
    await start_hub(hass, config_entry, site)
    meters = [site.meter(quantity) for quantity in Quantity]
    for meter in meters:
        meter.measure(10)
        meter.measure(10)
    await settle(hass)
    outbox = er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, f"{config_entry.entry_id}_outbox_pending"
    )
    assert outbox is not None
    assert hass.states.get(outbox).state == "6"  # type: ignore[union-attr]
    assert await cloud.stored() == 0

    async_fire_time_changed(hass, dt_util.utcnow() + RELAY_INTERVAL)
    await settle(hass)

    assert await cloud.stored() == 6
    assert all(meter.firmware.memory == {} for meter in meters)
    assert hass.states.get(outbox).state == "0"  # type: ignore[union-attr]


async def test_the_outbox_survives_a_restart_while_the_cloud_is_down(
    hass: HomeAssistant, cloud: Cloud, site: Site, config_entry: MockConfigEntry
) -> None:
    await start_hub(hass, config_entry, site)
    await cloud.stop()
    meter = site.meter(Quantity.WATER)
    for _ in range(3):
        meter.measure(20)
    await settle(hass)
    await config_entry.runtime_data.hub.async_relay()
    await settle(hass)
    outbox = er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, f"{config_entry.entry_id}_outbox_pending"
    )
    assert outbox is not None
    assert hass.states.get(outbox).state == "3"  # type: ignore[union-attr]
    assert len(meter.firmware.memory) == 3

    # Home Assistant restarts (the entry reloads), then the cloud comes back.
    assert await hass.config_entries.async_unload(config_entry.entry_id)
    await hass.async_block_till_done()
    await start_hub(hass, config_entry, site)
    assert hass.states.get(outbox).state == "3"  # type: ignore[union-attr]
    await cloud.start()
    # The relay backs off after the failures while the cloud was down; its next rounds
    # after the backoff deliver the backlog.
    for _ in range(80):
        await config_entry.runtime_data.hub.async_relay()
        await settle(hass)
        if not meter.firmware.memory:
            break
        await asyncio.sleep(0.25)

    assert await cloud.stored() == 3
    assert meter.firmware.memory == {}
    assert hass.states.get(outbox).state == "0"  # type: ignore[union-attr]


async def test_readings_a_meter_erased_without_a_receipt_are_reported(
    hass: HomeAssistant, cloud: Cloud, site: Site, config_entry: MockConfigEntry
) -> None:
    await start_hub(hass, config_entry, site)
    lost = async_capture_events(hass, BUS_EVENT_READINGS_LOST)
    meter = site.meter(Quantity.GAS)
    await cloud.stop()
    meter.measure(5)
    for _ in range(meter.firmware.retry_limit + 1):
        meter.firmware.retry_tick()

    await config_entry.runtime_data.hub.meters["meter-2b-g"].coordinator.async_refresh()
    await settle(hass)

    sensor = hass.states.get(entity_id(hass, "meter-2b-g", "readings_lost"))
    assert sensor is not None
    assert sensor.state == "1"
    assert [e.data for e in lost] == [{"meter_id": "meter-2b-g", "dwelling": "2B", "count": 1}]
    event = er.async_get(hass).async_get_entity_id("event", DOMAIN, "meter-2b-g_loss")
    assert event is not None
    state = hass.states.get(event)
    assert state is not None
    assert state.attributes["event_type"] == "readings_lost"
    await cloud.start()
