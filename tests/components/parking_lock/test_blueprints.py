"""The parking blueprints (overstay, bay access), end to end on a simulated bay."""

from __future__ import annotations

from datetime import timedelta

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.lock import DOMAIN as LOCK_DOMAIN
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockUser
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from buildinghub_sim.car_park import SimulatedBay, SimulatedCarPark
from tests.blueprints.helpers import async_notifications, async_use_blueprint
from tests.components.settling import settle

from .conftest import START
from .test_bookings import BOOKING_EVENT, book, move_to
from .test_keys import give_ekey, unlock_as

ACCESS_EVENT = "event.bay_p1_access"


def _clock(offset: timedelta) -> str:
    """A time of day as the manager's Home Assistant shows it."""
    return dt_util.as_local(START + offset).strftime("%H:%M")


async def _manager_is_told(hass: HomeAssistant, blueprint: str, inputs: dict[str, object]) -> None:
    assert await async_setup_component(hass, "persistent_notification", {})
    await async_use_blueprint(
        hass, blueprint, {**inputs, "notify_action": "persistent_notification.create"}
    )


async def _told(hass: HomeAssistant, hass_ws_client: WebSocketGenerator) -> list[tuple[str, str]]:
    """What the manager's app shows about Bay P1 when they open it now (logging in anew)."""
    manager_user = next(user for user in await hass.auth.async_get_users() if user.is_admin)
    refresh = await hass.auth.async_create_refresh_token(manager_user, "https://example.com/app")
    manager = await hass_ws_client(hass, hass.auth.async_create_access_token(refresh))
    return [note for note in await async_notifications(manager) if note[0] == "Bay P1"]


@pytest.mark.usefixtures("init_integration")
async def test_the_manager_is_told_of_an_overstay_at_its_minute(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    bay: SimulatedBay,
    driver: MockUser,
    hass_ws_client: WebSocketGenerator,
) -> None:
    await _manager_is_told(
        hass, "parking_overstay_notification", {"booking_events": [BOOKING_EVENT]}
    )
    await book(hass, driver, timedelta(minutes=10), timedelta(hours=1))
    bay.lock.vehicle_present(True)
    await settle(hass)
    await move_to(hass, freezer, timedelta(minutes=10))  # the booking starts: not reported

    await move_to(hass, freezer, timedelta(minutes=64))
    assert not await _told(hass, hass_ws_client)
    await move_to(hass, freezer, timedelta(minutes=65))

    told = await _told(hass, hass_ws_client)
    assert told == [
        (
            "Bay P1",
            f"Overstay: the booking ended at {_clock(timedelta(hours=1))} "
            "and the vehicle is still in the bay.",
        )
    ]


@pytest.mark.usefixtures("init_integration")
async def test_arrivals_are_reported_when_asked_for(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    bay: SimulatedBay,
    driver: MockUser,
    hass_ws_client: WebSocketGenerator,
) -> None:
    await _manager_is_told(
        hass,
        "parking_overstay_notification",
        {"booking_events": [BOOKING_EVENT], "include_arrivals_and_early_ends": True},
    )
    await book(hass, driver, timedelta(minutes=10), timedelta(hours=1))
    bay.lock.vehicle_present(True)
    await settle(hass)

    await move_to(hass, freezer, timedelta(minutes=10))

    told = await _told(hass, hass_ws_client)
    booked = f"{_clock(timedelta(minutes=10))}-{_clock(timedelta(hours=1))}"
    assert told == [("Bay P1", f"The vehicle booked {booked} has arrived.")]


@pytest.mark.usefixtures("init_integration")
async def test_the_bay_manager_is_told_of_unlock_and_lock(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    car_park: SimulatedCarPark,
    bay: SimulatedBay,
    driver: MockUser,
    hass_admin_user: MockUser,
    hass_ws_client: WebSocketGenerator,
) -> None:
    await _manager_is_told(hass, "bay_access_notification", {"access_events": [ACCESS_EVENT]})
    await give_ekey(hass, car_park, bay, driver, hass_admin_user)

    await unlock_as(hass, driver)
    freezer.tick(5)
    await hass.services.async_call(
        LOCK_DOMAIN, "lock", {ATTR_ENTITY_ID: "lock.bay_p1"}, blocking=True
    )
    await settle(hass)

    assert await _told(hass, hass_ws_client) == [
        ("Bay P1", "Unlocked by driver:Dana."),
        ("Bay P1", "Locked."),
    ]
