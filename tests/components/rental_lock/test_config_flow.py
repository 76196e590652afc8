"""The config flow: pick a radio, tested before anything is saved."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator
from unittest.mock import AsyncMock, patch

import pytest
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from pytest_homeassistant_custom_component.common import MockConfigEntry

from buildinghub_ha.const import (
    CONF_RADIO_PATH,
    CONF_RADIO_TYPE,
    RADIO_EZSP,
    RADIO_SIMULATED,
    SIMULATED_PATH,
)
from buildinghub_sim.building import SimulatedBuilding, forget_building, register_building
from buildinghub_sim.medium import drop_medium, get_medium
from custom_components.rental_lock.const import DOMAIN

MISSING_PORT = "/dev/serial/by-id/usb-no-such-coordinator"
OTHER_SIM = "sim://flow-other"


@pytest.fixture(autouse=True)
async def buildings() -> AsyncGenerator[None]:
    """The embedded simulated building, and a second one to move to."""
    for path in (SIMULATED_PATH, OTHER_SIM):
        building = SimulatedBuilding.create(path, flats=1)
        register_building(building)
        building.power_on()
    yield
    for path in (SIMULATED_PATH, OTHER_SIM):
        forget_building(path)
        await drop_medium(path)


@pytest.fixture(autouse=True)
def no_setup(request: pytest.FixtureRequest) -> Generator[AsyncMock | None]:
    """The flow alone: the created entry is not set up, unless the test runs the hub."""
    if "running_hub" in request.fixturenames:
        yield None
        return
    with patch("custom_components.rental_lock.async_setup_entry", return_value=True) as setup_entry:
        yield setup_entry


@pytest.fixture
async def running_hub(hass: HomeAssistant) -> AsyncGenerator[MockConfigEntry]:
    """A hub set up and running on the embedded simulated building's radio."""
    entry = MockConfigEntry(
        domain=DOMAIN, data={CONF_RADIO_PATH: SIMULATED_PATH}, unique_id=SIMULATED_PATH
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    yield entry
    if entry.state is ConfigEntryState.LOADED:
        await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()


async def test_simulated_building_creates_an_entry(hass: HomeAssistant) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_RADIO_TYPE: RADIO_SIMULATED}
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Simulated building"
    assert result["data"] == {CONF_RADIO_PATH: SIMULATED_PATH}
    assert result["result"].unique_id == SIMULATED_PATH


async def test_unreachable_coordinator_shows_an_error_and_a_good_path_recovers(
    hass: HomeAssistant,
) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_RADIO_TYPE: RADIO_EZSP}
    )
    assert result["step_id"] == "serial"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_RADIO_PATH: MISSING_PORT}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}
    assert not hass.config_entries.async_entries(DOMAIN)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_RADIO_PATH: OTHER_SIM}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {CONF_RADIO_PATH: OTHER_SIM}
    assert result["title"] == f"Building network ({OTHER_SIM})"


async def test_unexpected_error_is_reported_and_recoverable(hass: HomeAssistant) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    with patch("buildinghub_ha.radio_flow.async_probe_network", side_effect=RuntimeError("boom")):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_RADIO_TYPE: RADIO_SIMULATED}
        )
    assert result["errors"] == {"base": "unknown"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_RADIO_TYPE: RADIO_SIMULATED}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_same_radio_twice_is_refused(hass: HomeAssistant) -> None:
    MockConfigEntry(
        domain=DOMAIN, data={CONF_RADIO_PATH: SIMULATED_PATH}, unique_id=SIMULATED_PATH
    ).add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_RADIO_TYPE: RADIO_SIMULATED}
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_reconfigure_moves_the_hub_to_another_radio(
    hass: HomeAssistant, running_hub: MockConfigEntry
) -> None:
    entry = running_hub
    assert get_medium(SIMULATED_PATH).coordinator is not None
    result = await entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "user"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_RADIO_TYPE: RADIO_EZSP}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_RADIO_PATH: MISSING_PORT}
    )
    assert result["errors"] == {"base": "cannot_connect"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_RADIO_PATH: OTHER_SIM}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data == {CONF_RADIO_PATH: OTHER_SIM}
    assert entry.unique_id == OTHER_SIM
    # The running hub moved: it owns the other radio and let go of the first.
    assert entry.state is ConfigEntryState.LOADED
    network = entry.runtime_data.hub.network
    assert (network.path, network.running) == (OTHER_SIM, True)
    assert get_medium(OTHER_SIM).coordinator is not None
    assert get_medium(SIMULATED_PATH).coordinator is None


async def test_reconfigure_to_a_radio_another_entry_uses_is_refused(hass: HomeAssistant) -> None:
    MockConfigEntry(
        domain=DOMAIN, data={CONF_RADIO_PATH: OTHER_SIM}, unique_id=OTHER_SIM
    ).add_to_hass(hass)
    entry = MockConfigEntry(
        domain=DOMAIN, data={CONF_RADIO_PATH: SIMULATED_PATH}, unique_id=SIMULATED_PATH
    )
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_RADIO_TYPE: RADIO_EZSP}
    )

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_RADIO_PATH: OTHER_SIM}
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.data == {CONF_RADIO_PATH: SIMULATED_PATH}


async def test_reconfigure_to_the_same_radio_is_allowed(hass: HomeAssistant) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN, data={CONF_RADIO_PATH: SIMULATED_PATH}, unique_id=SIMULATED_PATH
    )
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_RADIO_TYPE: RADIO_SIMULATED}
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"


async def test_without_the_simulator_the_flow_asks_for_the_coordinator_only(
    hass: HomeAssistant,
) -> None:
    # A hub with only buildinghub installed: no radio backend for sim:// paths.
    with patch("buildinghub_ha.radio_flow.installed_schemes", return_value=frozenset()):
        result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "serial"
    assert list(result["data_schema"].schema) == [CONF_RADIO_PATH]
