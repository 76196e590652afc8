"""A bay where nothing happens says nothing: no access event, no notice to the manager."""

from __future__ import annotations

from datetime import timedelta

import pytest
from homeassistant.core import Event, HomeAssistant
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from tests.components.settling import settle

ACCESS = "event.bay_p1_access"


@pytest.mark.usefixtures("init_integration")
async def test_an_idle_bay_fires_no_event_and_tells_the_manager_nothing(
    hass: HomeAssistant, administrators_told: list[Event]
) -> None:
    await settle(hass)
    before = hass.states.get(ACCESS)
    assert before is not None
    told = len(administrators_told)
    now = dt_util.utcnow()
    for minute in range(1, 6):
        async_fire_time_changed(hass, now + timedelta(minutes=minute, seconds=1))
        await settle(hass)
    after = hass.states.get(ACCESS)
    assert after is not None
    assert after.state == before.state, after.attributes
    assert administrators_told[told:] == []
