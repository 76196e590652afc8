"""What everyone sees of a bay: occupancy from the vehicle sensor, setup and diagnostics."""

from __future__ import annotations

import pytest
from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser

from buildinghub.credentials import MonotonicClock
from buildinghub_ha.const import CONF_RADIO_PATH, CONF_RADIO_TYPE, RADIO_EZSP
from buildinghub_sim.building import SimulatedBuilding, forget_building, register_building
from buildinghub_sim.car_park import SimulatedBay, SimulatedCarPark
from buildinghub_sim.medium import drop_medium
from custom_components.parking_lock.const import DOMAIN
from custom_components.parking_lock.diagnostics import async_get_config_entry_diagnostics
from tests.components.settling import settle

from .test_keys import give_ekey

OCCUPANCY = "binary_sensor.bay_p1_occupancy"


@pytest.mark.usefixtures("init_integration")
async def test_occupancy_follows_the_vehicle_sensor(hass: HomeAssistant, bay: SimulatedBay) -> None:
    assert hass.states.get(OCCUPANCY).state == STATE_OFF  # type: ignore[union-attr]

    bay.lock.vehicle_present(True)
    await settle(hass)
    assert hass.states.get(OCCUPANCY).state == STATE_ON  # type: ignore[union-attr]

    bay.lock.vehicle_present(False)
    await settle(hass)
    assert hass.states.get(OCCUPANCY).state == STATE_OFF  # type: ignore[union-attr]


async def test_the_config_flow_checks_the_radio(
    hass: HomeAssistant, car_park: SimulatedCarPark
) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.FORM
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_RADIO_TYPE: RADIO_EZSP}
    )
    assert result["step_id"] == "serial"

    created = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_RADIO_PATH: car_park.path}
    )
    await settle(hass)

    assert created["type"] is FlowResultType.CREATE_ENTRY
    assert created["data"] == {CONF_RADIO_PATH: car_park.path}


async def test_a_radio_that_does_not_answer_is_reported(hass: HomeAssistant) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_RADIO_TYPE: RADIO_EZSP}
    )

    failed = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_RADIO_PATH: "/dev/does-not-exist"}
    )

    assert failed["type"] is FlowResultType.FORM
    assert failed["errors"] == {"base": "cannot_connect"}


async def test_reconfigure_moves_the_car_park_to_another_radio(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    other = f"{init_integration.data[CONF_RADIO_PATH]}-annexe"
    annexe = SimulatedBuilding.create(other, flats=0, clock=MonotonicClock())
    register_building(annexe)
    annexe.power_on()
    try:
        result = await init_integration.start_reconfigure_flow(hass)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_RADIO_TYPE: RADIO_EZSP}
        )
        refused = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_RADIO_PATH: "/dev/does-not-exist"}
        )
        assert refused["errors"] == {"base": "cannot_connect"}

        moved = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_RADIO_PATH: other}
        )
        await settle(hass)

        assert moved["type"] is FlowResultType.ABORT
        assert moved["reason"] == "reconfigure_successful"
        assert init_integration.data == {CONF_RADIO_PATH: other}
        assert init_integration.unique_id == other
    finally:
        await hass.config_entries.async_unload(init_integration.entry_id)
        forget_building(other)
        await drop_medium(other)


async def test_diagnostics_redact_people(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    car_park: SimulatedCarPark,
    bay: SimulatedBay,
    driver: MockUser,
    hass_admin_user: MockUser,
) -> None:
    await give_ekey(hass, car_park, bay, driver, hass_admin_user)

    # Called directly: the frozen test clock makes HTTP access tokens look issued in the future.
    diagnostics = await async_get_config_entry_diagnostics(hass, init_integration)

    assert diagnostics["entry"][CONF_RADIO_PATH] == "**REDACTED**"
    assert [key["holder"] for key in diagnostics["keys"]] == ["**REDACTED**"]
    assert diagnostics["keys"][0]["uses_left"] == 20
    assert "Dana" not in str(diagnostics)
    assert {b["bay"] for b in diagnostics["bays"]} == {"Bay P1", "Bay P2"}
