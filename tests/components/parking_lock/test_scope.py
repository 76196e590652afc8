"""SPEC S7 in Parking Lock: each action acts as, and tells only, the person it is for.

The attacks are made as a person would make them: over Home Assistant's websocket, logged in
as an ordinary user, with the commands the frontend sends.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.calendar import DOMAIN as CALENDAR_DOMAIN
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import Context, HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    MockUser,
)
from pytest_homeassistant_custom_component.typing import (
    MockHAClientWebSocket,
    WebSocketGenerator,
)

from buildinghub.parking.bookings import MAX_LIVE_BOOKINGS_PER_USER
from buildinghub_sim.car_park import SimulatedBay, SimulatedCarPark
from custom_components.parking_lock.const import EVENT_STEP_UP_CODE
from tests.blueprints.helpers import async_notifications
from tests.components.settling import settle

from .conftest import START, appoint_manager_key, call
from .test_bookings import CALENDAR
from .test_keys import give_ekey, share, unlock_as

CLIENT_ID = "https://example.com/app"


async def app_of(
    hass: HomeAssistant, user: MockUser, hass_ws_client: WebSocketGenerator
) -> MockHAClientWebSocket:
    """The person's app, logged in as them."""
    refresh = await hass.auth.async_create_refresh_token(user, CLIENT_ID)
    return await hass_ws_client(hass, hass.auth.async_create_access_token(refresh))


async def command(socket: MockHAClientWebSocket, message: dict[str, Any]) -> dict[str, Any]:
    await socket.send_json_auto_id(message)
    answer: dict[str, Any] = await socket.receive_json()
    return answer


def slot(start: timedelta, end: timedelta) -> dict[str, str]:
    return {
        "summary": "Parking",
        "dtstart": (START + start).isoformat(),
        "dtend": (START + end).isoformat(),
    }


def stored_bookings(entry: MockConfigEntry) -> list[tuple[str, int, int, bool]]:
    """Every booking the hub holds: who, when, cancelled."""
    hub = entry.runtime_data.hub
    return sorted((b.user, b.start, b.end, b.cancelled) for b in hub.bookings._bookings.values())


async def read_calendar(hass: HomeAssistant, user: MockUser) -> None:
    """``user`` looks at the bay's calendar through the calendar action (which sets the
    calendar entity's context to theirs)."""
    await hass.services.async_call(
        CALENDAR_DOMAIN,
        "get_events",
        {ATTR_ENTITY_ID: CALENDAR, "start_date_time": START.isoformat(), "duration": {"days": 1}},
        blocking=True,
        return_response=True,
        context=Context(user_id=user.id),
    )


async def test_a_calendar_booking_over_the_websocket_is_the_connections_users(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    driver: MockUser,
    friend: MockUser,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """Dana looked at the calendar last; Femi's booking from his app is still Femi's."""
    femi = await app_of(hass, friend, hass_ws_client)
    await read_calendar(hass, driver)

    answer = await command(
        femi,
        {
            "type": "calendar/event/create",
            "entity_id": CALENDAR,
            "event": slot(timedelta(hours=1), timedelta(hours=2)),
        },
    )
    await settle(hass)

    assert answer["success"], answer
    start = int((START + timedelta(hours=1)).timestamp())
    assert stored_bookings(init_integration) == [(friend.id, start, start + 3600, False)]


async def test_a_calendar_delete_over_the_websocket_cancels_only_the_users_own_booking(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    driver: MockUser,
    friend: MockUser,
    hass_ws_client: WebSocketGenerator,
) -> None:
    dana = await app_of(hass, driver, hass_ws_client)
    femi = await app_of(hass, friend, hass_ws_client)
    made = await command(
        dana,
        {
            "type": "calendar/event/create",
            "entity_id": CALENDAR,
            "event": slot(timedelta(hours=1), timedelta(hours=2)),
        },
    )
    assert made["success"], made
    [uid] = [b.booking_id for b in init_integration.runtime_data.hub.bookings.all_live()]
    before = stored_bookings(init_integration)
    await read_calendar(hass, driver)  # the entity's context is Dana's now

    refused = await command(
        femi, {"type": "calendar/event/delete", "entity_id": CALENDAR, "uid": uid}
    )

    assert not refused["success"]
    assert "only the person who booked" in refused["error"]["message"]
    assert stored_bookings(init_integration) == before

    cancelled = await command(
        dana, {"type": "calendar/event/delete", "entity_id": CALENDAR, "uid": uid}
    )
    await settle(hass)
    assert cancelled["success"], cancelled
    assert [b[3] for b in stored_bookings(init_integration)] == [True]


async def test_step_up_codes_and_manager_notices_reach_administrators_only(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    car_park: SimulatedCarPark,
    bay: SimulatedBay,
    driver: MockUser,
    friend: MockUser,
    hass_admin_user: MockUser,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """Femi, an ordinary user, opens his app and tries to read what the manager is told."""
    assert await async_setup_component(hass, "persistent_notification", {})
    femi = await app_of(hass, friend, hass_ws_client)
    manager = await app_of(hass, hass_admin_user, hass_ws_client)
    listened = await command(femi, {"type": "subscribe_events", "event_type": EVENT_STEP_UP_CODE})
    manager_listens = await command(
        manager, {"type": "subscribe_events", "event_type": EVENT_STEP_UP_CODE}
    )
    await appoint_manager_key(hass, car_park, bay, hass_admin_user)  # the owner lets him
    own = await give_ekey(hass, car_park, bay, driver, hass_admin_user)
    await unlock_as(hass, driver)  # a manager notice: "Bay P1 was unlocked by driver:Dana."
    shared = await share(hass, own, driver, friend)

    await call(
        hass, "request_confirmation", {"action": "remove", "grant_id": shared}, hass_admin_user
    )
    told = await manager.receive_json()

    assert not listened["success"]
    assert listened["error"]["code"] == "unauthorized"
    assert manager_listens["success"]
    code = told["event"]["data"]
    assert (code["user_id"], code["action"], code["member"]) == (
        hass_admin_user.id,
        "remove",
        shared,
    )
    assert await async_notifications(femi) == []  # nothing in the panel every user reads
    # The code works for the manager who asked, once.
    await call(
        hass,
        "manage_member",
        {"action": "remove", "grant_id": shared, "confirmation": code["code"]},
        hass_admin_user,
    )
    assert init_integration.runtime_data.hub.book.get(bytes.fromhex(shared)) is None


async def test_a_driver_cannot_fill_the_calendar(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    driver: MockUser,
    freezer: FrozenDateTimeFactory,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """Dana's app books slot after slot (SPEC S6): the hub keeps a bounded number per person,
    refuses the next with a clear error and stores nothing for it."""
    dana = await app_of(hass, driver, hass_ws_client)
    for n in range(MAX_LIVE_BOOKINGS_PER_USER):
        made = await command(
            dana,
            {
                "type": "calendar/event/create",
                "entity_id": CALENDAR,
                "event": slot(timedelta(hours=n + 1), timedelta(hours=n + 1, minutes=30)),
            },
        )
        assert made["success"], made
    before = stored_bookings(init_integration)

    refused = await command(
        dana,
        {
            "type": "calendar/event/create",
            "entity_id": CALENDAR,
            "event": slot(timedelta(days=3), timedelta(days=3, hours=1)),
        },
    )

    assert not refused["success"]
    assert f"at most {MAX_LIVE_BOOKINGS_PER_USER} upcoming bookings" in refused["error"]["message"]
    assert stored_bookings(init_integration) == before
