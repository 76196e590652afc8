"""SPEC H7 in Parking Lock: a driver sees and operates only the bays they hold a key for.

Dana holds an e-key for bay P1, Femi one for bay P2; both are ordinary users asking through
the websocket with their own tokens, as the app does.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.auth.const import GROUP_ID_USER
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    MockUser,
)
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from buildinghub_sim.car_park import SimulatedCarPark

from .conftest import call, settle
from .test_bookings import move_to
from .test_keys import give_ekey
from .test_scope import app_of, command, slot

P1 = ("lock.bay_p1", "calendar.bay_p1_bookings", "binary_sensor.bay_p1_occupancy")
MAP = "image.car_park_map"


async def states(socket: Any) -> set[str]:
    answer = await command(socket, {"type": "get_states"})
    return {state["entity_id"] for state in answer["result"]}


def of_bay(entity_ids: set[str], bay: str) -> set[str]:
    return {e for e in entity_ids if e.partition(".")[2].startswith(f"bay_{bay}")}


@pytest.fixture
async def keys(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    car_park: SimulatedCarPark,
    driver: MockUser,
    friend: MockUser,
    hass_admin_user: MockUser,
) -> None:
    """Dana holds P1's key for 8 hours, Femi P2's; each bay is only for its owner's people
    (a bay open to anyone is every resident's to see and book)."""
    await give_ekey(hass, car_park, car_park.bays[0], driver, hass_admin_user)
    await give_ekey(hass, car_park, car_park.bays[1], friend, hass_admin_user)
    for bay, user in (("p1", driver), ("p2", friend)):
        await authorised_only(hass, bay, user, hass_admin_user)


async def authorised_only(hass: HomeAssistant, bay: str, user: MockUser, owner: MockUser) -> None:
    policy = {"mode": "authorised", "owner_user_id": owner.id, "user_ids": [user.id]}
    await call(hass, "set_policy", {"entity_id": f"lock.bay_{bay}", **policy}, owner)
    await settle(hass)


async def test_each_driver_sees_only_their_own_bay_and_the_map(
    hass: HomeAssistant,
    keys: None,
    driver: MockUser,
    friend: MockUser,
    hass_ws_client: WebSocketGenerator,
) -> None:
    dana = await states(await app_of(hass, driver, hass_ws_client))
    femi = await states(await app_of(hass, friend, hass_ws_client))

    assert {*P1, MAP} <= dana
    assert not of_bay(dana, "p2")
    assert of_bay(femi, "p2")
    assert not of_bay(femi, "p1")


async def test_a_driver_cannot_operate_another_drivers_bay(
    hass: HomeAssistant, keys: None, driver: MockUser, hass_ws_client: WebSocketGenerator
) -> None:
    dana = await app_of(hass, driver, hass_ws_client)

    answer = await command(
        dana,
        {
            "type": "call_service",
            "domain": "lock",
            "service": "unlock",
            "target": {"entity_id": "lock.bay_p2"},
        },
    )

    assert answer["error"] == {"code": "home_assistant_error", "message": "Unauthorized"}
    assert hass.states.get("lock.bay_p2").state == "locked"


async def test_when_the_key_ends_the_bay_goes_with_it(
    hass: HomeAssistant,
    keys: None,
    driver: MockUser,
    freezer: FrozenDateTimeFactory,
    hass_ws_client: WebSocketGenerator,
) -> None:
    for hour in range(1, 9):
        await move_to(hass, freezer, timedelta(hours=hour, seconds=1))

    dana = await states(await app_of(hass, driver, hass_ws_client))

    assert not of_bay(dana, "p1")
    assert MAP not in dana
    assert GROUP_ID_USER not in {g.id for g in driver.groups}


async def test_every_resident_sees_and_books_a_bay_open_to_anyone_but_not_its_keys(
    hass: HomeAssistant,
    keys: None,
    driver: MockUser,
    friend: MockUser,
    hass_admin_user: MockUser,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """SPEC P10: P2 opens to anyone; Dana (who holds P1's key only) sees P2's bookings calendar
    and state and books it as herself; not P2's lock, occupancy or events, nor Femi's
    booking's e-key. Closed again, P2 goes from her view."""
    open_p2 = {"entity_id": "lock.bay_p2", "mode": "anyone"}
    await call(hass, "set_policy", open_p2, hass_admin_user)
    await settle(hass)
    femi = await app_of(hass, friend, hass_ws_client)
    femis = await command(
        femi,
        {"type": "calendar/event/create", "entity_id": "calendar.bay_p2_bookings",
         "event": slot(timedelta(hours=1), timedelta(hours=2))},
    )  # fmt: skip
    dana = await app_of(hass, driver, hass_ws_client)

    sees = await states(dana)
    unlock = await command(
        dana,
        {"type": "call_service", "domain": "lock", "service": "unlock",
         "target": {"entity_id": "lock.bay_p2"}},
    )  # fmt: skip
    listed = await command(
        dana,
        {"type": "call_service", "domain": "calendar", "service": "get_events",
         "target": {"entity_id": "calendar.bay_p2_bookings"},
         "service_data": {"duration": {"hours": 24}}, "return_response": True},
    )  # fmt: skip
    await authorised_only(hass, "p2", friend, hass_admin_user)
    closed = await states(dana)
    await call(hass, "set_policy", open_p2, hass_admin_user)
    await settle(hass)
    booked = await command(
        dana,
        {"type": "calendar/event/create", "entity_id": "calendar.bay_p2_bookings",
         "event": slot(timedelta(hours=3), timedelta(hours=4))},
    )  # fmt: skip

    assert femis["success"], femis
    assert {"calendar.bay_p2_bookings", "sensor.bay_p2_state", MAP} <= sees
    assert of_bay(sees, "p2") == {"calendar.bay_p2_bookings", "sensor.bay_p2_state"}
    assert unlock["error"]["message"] == "Unauthorized"
    (event,) = listed["result"]["response"]["calendar.bay_p2_bookings"]["events"]
    assert "the e-key, if any, is the driver's" in event["description"]  # Femi's booking
    assert not of_bay(closed, "p2")
    assert booked["success"], booked
