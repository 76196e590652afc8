"""The logbook reads as sentences: who opened which bay, and the bay locking again."""

from __future__ import annotations

import pytest
from homeassistant.components.lock import DOMAIN as LOCK_DOMAIN
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from buildinghub_sim.car_park import SimulatedBay, SimulatedCarPark
from tests.components.logbook_lines import lines, logbook_entries
from tests.components.settling import settle

from .test_keys import EVENT, LOCK, give_ekey, unlock_as


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    recorder_mock: object, enable_custom_integrations: None
) -> None:
    """The recorder must start before hass, which enabling custom integrations needs."""


async def test_the_logbook_says_who_opened_the_bay_and_that_it_locked(
    hass: HomeAssistant,
    recorder_mock: object,
    init_integration: MockConfigEntry,
    car_park: SimulatedCarPark,
    bay: SimulatedBay,
    driver: MockUser,
    hass_admin_user: MockUser,
    hass_ws_client: WebSocketGenerator,
) -> None:
    assert await async_setup_component(hass, "logbook", {})
    await give_ekey(hass, car_park, bay, driver, hass_admin_user)
    await unlock_as(hass, driver)
    await hass.services.async_call(LOCK_DOMAIN, "lock", {ATTR_ENTITY_ID: LOCK}, blocking=True)
    await settle(hass)

    entries = await logbook_entries(hass, hass_ws_client, [EVENT])
    assert lines(entries) == ["Dana opened Bay P1 from the app", "Bay P1 locked"]
