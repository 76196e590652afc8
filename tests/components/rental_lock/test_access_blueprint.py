"""The landlord's access notification blueprint, end to end on a simulated flat."""

from __future__ import annotations

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from buildinghub_sim.building import SimulatedFlat
from tests.blueprints.helpers import async_notifications, async_use_blueprint
from tests.components.settling import settle

from .conftest import HOUR, IssueGrant
from .test_grants import PIN, install

EVENT = "event.flat_1a_door_access"


async def _at_the_door(
    hass: HomeAssistant,
    flat: SimulatedFlat,
    pin: str,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Someone types a PIN, a few seconds after the last person."""
    freezer.tick(5)
    flat.lock.keypad(pin)
    await settle(hass)


async def _use_blueprint(hass: HomeAssistant, *, include_refusals: bool) -> None:
    assert await async_setup_component(hass, "persistent_notification", {})
    await async_use_blueprint(
        hass,
        "landlord_access_notification",
        {
            "access_events": [EVENT],
            "notify_action": "persistent_notification.create",
            "include_refusals": include_refusals,
        },
    )


@pytest.mark.usefixtures("init_integration")
async def test_landlord_is_told_who_opened_the_door_and_who_was_refused(
    hass: HomeAssistant,
    flat: SimulatedFlat,
    issue: IssueGrant,
    freezer: FrozenDateTimeFactory,
    hass_ws_client: WebSocketGenerator,
) -> None:
    landlord = await hass_ws_client(hass)
    await install(hass, issue(flat, start=0, end=HOUR, pin=PIN))
    await _use_blueprint(hass, include_refusals=True)

    await _at_the_door(hass, flat, PIN, freezer)
    await _at_the_door(hass, flat, "000000", freezer)

    notes = await async_notifications(landlord)
    assert ("Flat 1A Door", f"{flat.viewer} opened the door (keypad).") in notes
    assert ("Flat 1A Door", "Refused at the door (keypad): unknown credential.") in notes
    assert len(notes) == 2


@pytest.mark.usefixtures("init_integration")
async def test_refusals_can_be_left_out(
    hass: HomeAssistant,
    flat: SimulatedFlat,
    issue: IssueGrant,
    freezer: FrozenDateTimeFactory,
    hass_ws_client: WebSocketGenerator,
) -> None:
    landlord = await hass_ws_client(hass)
    await install(hass, issue(flat, start=0, end=HOUR, pin=PIN))
    await _use_blueprint(hass, include_refusals=False)

    await _at_the_door(hass, flat, "000000", freezer)
    assert await async_notifications(landlord) == []

    await _at_the_door(hass, flat, PIN, freezer)
    assert await async_notifications(landlord) == [
        ("Flat 1A Door", f"{flat.viewer} opened the door (keypad).")
    ]
