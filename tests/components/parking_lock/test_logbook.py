"""The logbook reads as sentences: who opened which bay, and the bay locking again."""

from __future__ import annotations

from datetime import timedelta

import pytest
from homeassistant.components.lock import DOMAIN as LOCK_DOMAIN
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from buildinghub_sim.car_park import SimulatedBay, SimulatedCarPark

from .conftest import settle
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

    await async_wait_recording_done(hass)
    client = await hass_ws_client(hass)
    now = dt_util.utcnow()
    await client.send_json_auto_id(
        {
            "type": "logbook/get_events",
            "start_time": (now - timedelta(hours=1)).isoformat(),
            "end_time": (now + timedelta(hours=1)).isoformat(),
            "entity_ids": [EVENT],
        }
    )
    answer = await client.receive_json()
    assert answer["success"], answer
    lines = [f"{e['name']} {e['message']}" for e in answer["result"] if "message" in e]
    assert lines == ["Dana opened Bay P1 from the app", "Bay P1 locked"]
