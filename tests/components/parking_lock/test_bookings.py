"""Bookings in Home Assistant: the calendar, first come first served, the sensor, the map."""

from __future__ import annotations

from datetime import timedelta

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.calendar import DOMAIN as CALENDAR_DOMAIN
from homeassistant.components.image import DATA_COMPONENT as IMAGE_COMPONENT
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    MockUser,
    async_fire_time_changed,
)

from buildinghub_sim.car_park import SimulatedBay, SimulatedCarPark
from custom_components.parking_lock.const import DOMAIN
from scripts.demo_people import car_park_plan
from tests.buildinghub.parking.test_car_park_map import PLAN
from tests.components.settling import settle

from .conftest import START
from .test_keys import give_ekey

CALENDAR = "calendar.bay_p1_bookings"
BOOKING_EVENT = "event.bay_p1_booking"
MAP = "image.car_park_map"
STATE = "sensor.bay_p1_state"


async def book(hass: HomeAssistant, user: MockUser, start: timedelta, end: timedelta) -> None:
    """``user`` books Bay P1 in the calendar, relative to the test's start."""
    await hass.services.async_call(
        CALENDAR_DOMAIN,
        "create_event",
        {
            ATTR_ENTITY_ID: CALENDAR,
            "summary": "Parking",
            "start_date_time": (START + start).isoformat(),
            "end_date_time": (START + end).isoformat(),
        },
        blocking=True,
        context=Context(user_id=user.id),
    )
    await settle(hass)


async def bookings(hass: HomeAssistant) -> list[dict[str, object]]:
    """What the calendar shows for the day."""
    answer = await hass.services.async_call(
        CALENDAR_DOMAIN,
        "get_events",
        {ATTR_ENTITY_ID: CALENDAR, "start_date_time": START.isoformat(), "duration": {"days": 1}},
        blocking=True,
        return_response=True,
    )
    assert answer is not None
    return list(answer[CALENDAR]["events"])  # type: ignore[index,call-overload]


async def move_to(hass: HomeAssistant, freezer: FrozenDateTimeFactory, at: timedelta) -> None:
    """Let time reach START + at, firing Home Assistant's timers."""
    freezer.move_to(START + at)
    async_fire_time_changed(hass, START + at)
    await settle(hass)


@pytest.mark.usefixtures("init_integration")
async def test_the_first_booking_wins_and_the_second_gets_a_clear_error(
    hass: HomeAssistant, driver: MockUser, friend: MockUser
) -> None:
    await book(hass, driver, timedelta(hours=1), timedelta(hours=3))

    with pytest.raises(HomeAssistantError) as lost:
        await book(hass, friend, timedelta(hours=2), timedelta(hours=4))

    assert lost.value.translation_key == "booking_conflict"
    local = dt_util.as_local(START)
    assert lost.value.translation_placeholders == {
        "bay": "Bay P1",
        "start": (local + timedelta(hours=1)).strftime("%Y-%m-%d %H:%M"),
        "end": (local + timedelta(hours=3)).strftime("%Y-%m-%d %H:%M"),
    }
    shown = await bookings(hass)
    assert [(e["start"], e["end"]) for e in shown] == [
        ("2026-11-02T10:00:00+00:00", "2026-11-02T12:00:00+00:00")
    ]
    assert shown[0]["summary"] == "Bay P1: held"


async def cancel(hass: HomeAssistant, user: MockUser, booking_id: object) -> bool:
    """``user`` cancels a booking from the app; True if it was free."""
    answer = await hass.services.async_call(
        DOMAIN,
        "cancel_booking",
        {"booking_id": booking_id},
        blocking=True,
        context=Context(user_id=user.id),
        return_response=True,
    )
    await settle(hass)
    assert answer is not None
    return bool(answer["free"])


@pytest.mark.usefixtures("init_integration")
async def test_only_the_booker_cancels_and_the_slot_is_free_again(
    hass: HomeAssistant, driver: MockUser, friend: MockUser
) -> None:
    await book(hass, driver, timedelta(hours=1), timedelta(hours=3))
    uid = str((await bookings(hass))[0]["description"]).split()[1].rstrip(";")

    with pytest.raises(ServiceValidationError, match="only the person"):
        await cancel(hass, friend, uid)
    assert await cancel(hass, driver, uid)  # inside the hold: free

    await book(hass, friend, timedelta(hours=2), timedelta(hours=4))
    assert len(await bookings(hass)) == 1


@pytest.mark.usefixtures("init_integration")
async def test_cancelling_after_the_hold_is_not_free(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, driver: MockUser
) -> None:
    await book(hass, driver, timedelta(hours=1), timedelta(hours=3))
    uid = str((await bookings(hass))[0]["description"]).split()[1].rstrip(";")
    await move_to(hass, freezer, timedelta(minutes=16))

    assert not await cancel(hass, driver, uid)


@pytest.mark.usefixtures("init_integration")
async def test_overstay_is_flagged_at_the_right_minute(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    bay: SimulatedBay,
    driver: MockUser,
) -> None:
    await book(hass, driver, timedelta(minutes=10), timedelta(hours=1))
    bay.lock.vehicle_present(True)
    await settle(hass)
    assert hass.states.get(BOOKING_EVENT).state == "unknown"  # type: ignore[union-attr]

    await move_to(hass, freezer, timedelta(minutes=10))
    started = hass.states.get(BOOKING_EVENT)
    assert started is not None
    assert started.attributes["event_type"] == "booking_started"

    await move_to(hass, freezer, timedelta(minutes=64))
    assert hass.states.get(BOOKING_EVENT).attributes["event_type"] == "booking_started"  # type: ignore[union-attr]
    await move_to(hass, freezer, timedelta(minutes=65))
    overstay = hass.states.get(BOOKING_EVENT)
    assert overstay is not None
    assert overstay.attributes["event_type"] == "overstay"
    assert overstay.attributes["at"] == int((START + timedelta(minutes=65)).timestamp())


@pytest.mark.usefixtures("init_integration")
async def test_leaving_early_ends_the_booking_early(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    bay: SimulatedBay,
    driver: MockUser,
) -> None:
    await book(hass, driver, timedelta(0), timedelta(hours=2))
    bay.lock.vehicle_present(True)
    await settle(hass)
    await move_to(hass, freezer, timedelta(minutes=30))

    bay.lock.vehicle_present(False)
    await settle(hass)

    assert hass.states.get(BOOKING_EVENT).attributes["event_type"] == "booking_ended_early"  # type: ignore[union-attr]


async def test_the_map_marks_the_bay_of_the_new_ekey_with_the_way_there(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    car_park: SimulatedCarPark,
    bay: SimulatedBay,
    driver: MockUser,
    hass_admin_user: MockUser,
) -> None:
    assert hass.states.get(MAP).state == "unavailable"  # type: ignore[union-attr]
    await hass.services.async_call(
        DOMAIN,
        "set_layout",
        {"layout": PLAN},
        blocking=True,
        context=Context(user_id=hass_admin_user.id),
    )
    await give_ekey(hass, car_park, bay, driver, hass_admin_user)

    state = hass.states.get(MAP)
    assert state is not None
    assert state.attributes["bay"] == "P1"
    assert state.attributes["coordinates"] == [20, 10]
    assert state.attributes["directions"] == "Second on the left"
    assert state.attributes["route"] == [[0, 15], [5, 15], [20, 15], [20, 10]]
    entity = hass.data[IMAGE_COMPONENT].get_entity(MAP)
    assert entity is not None
    image = await entity.async_image()
    assert image is not None
    assert b'id="bay-bay-01" x="187.5" y="75" width="25" height="50" fill="#e4572e"' in image
    assert b'fill="#ffffff"' in image  # bay P2 is not marked


async def test_a_bad_plan_is_refused_clearly(
    hass: HomeAssistant, init_integration: MockConfigEntry, hass_admin_user: MockUser
) -> None:
    with pytest.raises(ServiceValidationError) as refused:
        await hass.services.async_call(
            DOMAIN,
            "set_layout",
            {"layout": {**PLAN, "entrance": [99, 0]}},
            blocking=True,
            context=Context(user_id=hass_admin_user.id),
        )
    assert refused.value.translation_key == "layout_invalid"
    assert hass.states.get(MAP).state == "unavailable"  # type: ignore[union-attr]


@pytest.mark.usefixtures("init_integration")
async def test_the_bays_state_is_held_then_booked_then_available(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, driver: MockUser
) -> None:
    assert hass.states.get(STATE).state == "available"  # type: ignore[union-attr]
    await book(hass, driver, timedelta(0), timedelta(hours=1))
    assert hass.states.get(STATE).state == "held"  # type: ignore[union-attr]

    await move_to(hass, freezer, timedelta(minutes=16))
    assert hass.states.get(STATE).state == "booked"  # type: ignore[union-attr]
    await move_to(hass, freezer, timedelta(minutes=61))
    assert hass.states.get(STATE).state == "available"  # type: ignore[union-attr]


async def test_the_demos_car_park_plan_draws_every_bay(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    car_park: SimulatedCarPark,
    hass_admin_user: MockUser,
) -> None:
    """What scripts/demo gives its car park: the map is an image, not a broken one."""
    await hass.services.async_call(
        DOMAIN,
        "set_layout",
        {"layout": car_park_plan(car_park)},
        blocking=True,
        context=Context(user_id=hass_admin_user.id),
    )

    assert hass.states.get(MAP).state != "unavailable"  # type: ignore[union-attr]
    entity = hass.data[IMAGE_COMPONENT].get_entity(MAP)
    assert entity is not None
    image = await entity.async_image()
    assert image is not None
    assert image.startswith(b"<svg")
    for bay in car_park.bays:
        assert f'id="bay-{bay.lock_id}"'.encode() in image
