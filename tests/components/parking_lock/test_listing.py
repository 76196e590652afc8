"""Listing a bay: the hub shares the owner's listing e-key with each booker, policy, free times."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError, Unauthorized
from homeassistant.helpers import area_registry as ar
from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser

from buildinghub.credentials import PublicKey
from buildinghub_sim.car_park import SimulatedBay, SimulatedCarPark
from tests.components.settling import settle

from .conftest import HOUR, START, b64, call
from .test_bookings import STATE, book, bookings, cancel, move_to
from .test_keys import LOCK, unlock_as


async def list_bay(
    hass: HomeAssistant,
    car_park: SimulatedCarPark,
    bay: SimulatedBay,
    admin: MockUser,
    *,
    hours: int = 48,
    **data: object,
) -> dict[str, object]:
    """The owner issues a listing e-key to the hub's key; the manager lists the bay with it."""
    answer = await call(hass, "listing_key", {}, admin)
    assert answer is not None
    text = str(answer["public_key"])
    hub_key = PublicKey.from_bytes(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    start = int(START.timestamp())
    ekey = car_park.issue_ekey(
        bay,
        subject="hub:listings",
        holder_key=hub_key,
        not_before=start,
        expires=start + hours * HOUR,
        may_share=True,
    )
    listed = await call(hass, "list_bay", {"entity_id": LOCK, "links": [b64(ekey)], **data}, admin)
    assert listed is not None
    return listed


@pytest.mark.usefixtures("init_integration")
async def test_a_booking_of_a_listed_bay_opens_it_only_during_the_booking(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    car_park: SimulatedCarPark,
    bay: SimulatedBay,
    driver: MockUser,
    friend: MockUser,
    hass_admin_user: MockUser,
) -> None:
    listed = await list_bay(
        hass,
        car_park,
        bay,
        hass_admin_user,
        area="Level -1",
        price_per_hour=250,
        currency="EUR",
        vehicle_type="car",
    )
    assert listed["issues_keys"] is True
    assert listed["listed_until"] == int(START.timestamp()) + 48 * HOUR

    await book(hass, driver, timedelta(hours=1), timedelta(hours=3))
    assert "e-key" in str((await bookings(hass))[0]["description"])

    with pytest.raises(ServiceValidationError) as early:
        await unlock_as(hass, driver)
    assert early.value.translation_key == "key_refused"
    assert bay.firmware.locked

    await move_to(hass, freezer, timedelta(hours=1, minutes=30))
    with pytest.raises(ServiceValidationError) as other:
        await unlock_as(hass, friend)
    assert other.value.translation_key == "no_usable_key"
    await unlock_as(hass, driver)
    assert not bay.firmware.locked

    await move_to(hass, freezer, timedelta(hours=3, minutes=1))
    # The booking is over: Dana no longer has the bay, so Home Assistant refuses her.
    with pytest.raises(Unauthorized):
        await unlock_as(hass, driver)

    state = hass.states.get(STATE)
    assert state is not None
    assert state.attributes["area"] == "Level -1"
    assert state.attributes["price_per_hour"] == 250
    assert state.attributes["currency"] == "EUR"
    assert state.attributes["vehicle_type"] == "car"
    assert state.attributes["issues_keys"] is True
    assert state.attributes["policy"] == "anyone"


@pytest.mark.usefixtures("init_integration")
async def test_cancelling_a_booking_revokes_its_key(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    car_park: SimulatedCarPark,
    bay: SimulatedBay,
    driver: MockUser,
    hass_admin_user: MockUser,
) -> None:
    await list_bay(hass, car_park, bay, hass_admin_user)
    await book(hass, driver, timedelta(hours=1), timedelta(hours=3))
    uid = str((await bookings(hass))[0]["description"]).split()[1].rstrip(";")

    assert await cancel(hass, driver, uid)  # inside the hold: free

    await move_to(hass, freezer, timedelta(hours=2))
    # Cancelled, the booking no longer gives Dana the bay: Home Assistant refuses her.
    with pytest.raises(Unauthorized):
        await unlock_as(hass, driver)
    assert bay.firmware.locked


@pytest.mark.usefixtures("init_integration")
async def test_a_bay_listed_without_a_key_takes_bookings_without_keys(
    hass: HomeAssistant, driver: MockUser, hass_admin_user: MockUser
) -> None:
    listed = await call(hass, "list_bay", {"entity_id": LOCK, "area": "Yard"}, hass_admin_user)
    assert listed == {"issues_keys": False, "listed_from": None, "listed_until": None}

    await book(hass, driver, timedelta(hours=1), timedelta(hours=3))

    assert "no e-key" in str((await bookings(hass))[0]["description"])
    state = hass.states.get(STATE)
    assert state is not None
    assert state.attributes["issues_keys"] is False
    assert state.attributes["area"] == "Yard"


@pytest.mark.usefixtures("init_integration")
async def test_a_booking_outside_the_listing_period_is_refused(
    hass: HomeAssistant,
    car_park: SimulatedCarPark,
    bay: SimulatedBay,
    driver: MockUser,
    hass_admin_user: MockUser,
) -> None:
    await list_bay(hass, car_park, bay, hass_admin_user, hours=4)

    with pytest.raises(ServiceValidationError) as refused:
        await book(hass, driver, timedelta(hours=3), timedelta(hours=5))

    assert refused.value.translation_key == "booking_refused"
    assert await bookings(hass) == []


@pytest.mark.usefixtures("init_integration")
async def test_a_booking_outside_the_free_times_is_refused(
    hass: HomeAssistant, driver: MockUser, hass_admin_user: MockUser
) -> None:
    await hass.config.async_set_time_zone("UTC")
    free = [{"days": ["mon"], "start": "09:00", "end": "12:00"}]  # START is Monday 09:00 UTC
    await call(hass, "list_bay", {"entity_id": LOCK, "free_times": free}, hass_admin_user)

    with pytest.raises(ServiceValidationError) as refused:
        await book(hass, driver, timedelta(hours=2), timedelta(hours=4))
    assert refused.value.translation_key == "outside_free_times"
    assert refused.value.translation_placeholders["detail"].startswith(
        "the bay is not free at Mon 12:00"
    )

    await book(hass, driver, timedelta(hours=1), timedelta(hours=3))
    assert len(await bookings(hass)) == 1
    state = hass.states.get(STATE)
    assert state is not None
    assert state.attributes["free_times"] == [{"days": ["mon"], "start": "09:00", "end": "12:00"}]


@pytest.mark.usefixtures("init_integration")
async def test_the_policy_refuses_people_it_does_not_admit(
    hass: HomeAssistant,
    car_park: SimulatedCarPark,
    bay: SimulatedBay,
    driver: MockUser,
    friend: MockUser,
    hass_admin_user: MockUser,
) -> None:
    await list_bay(hass, car_park, bay, hass_admin_user)
    await call(
        hass,
        "set_policy",
        {
            "entity_id": LOCK,
            "mode": "authorised",
            "owner_user_id": hass_admin_user.id,
            "user_ids": [driver.id],
        },
        hass_admin_user,
    )

    with pytest.raises(ServiceValidationError) as refused:
        await book(hass, friend, timedelta(hours=1), timedelta(hours=2))
    assert refused.value.translation_key == "policy_refused"
    await book(hass, driver, timedelta(hours=1), timedelta(hours=2))
    assert len(await bookings(hass)) == 1

    area = ar.async_get(hass).async_create("Block B")
    await call(
        hass,
        "set_policy",
        {"entity_id": LOCK, "mode": "area", "area_id": area.id, "user_ids": [friend.id]},
        hass_admin_user,
    )
    with pytest.raises(ServiceValidationError) as outsider:
        await book(hass, driver, timedelta(hours=3), timedelta(hours=4))
    assert outsider.value.translation_key == "policy_refused"
    await book(hass, friend, timedelta(hours=3), timedelta(hours=4))
    state = hass.states.get(STATE)
    assert state is not None
    assert state.attributes["policy"] == "area"
    assert state.attributes["policy_area"] == area.id


@pytest.mark.usefixtures("init_integration")
async def test_listing_and_policy_are_for_managers_and_checked(
    hass: HomeAssistant,
    car_park: SimulatedCarPark,
    bay: SimulatedBay,
    driver: MockUser,
    hass_admin_user: MockUser,
) -> None:
    with pytest.raises(Unauthorized):
        await call(hass, "list_bay", {"entity_id": LOCK}, driver)
    with pytest.raises(Unauthorized):
        await call(hass, "set_policy", {"entity_id": LOCK, "mode": "anyone"}, driver)

    with pytest.raises(ServiceValidationError) as no_area:
        await call(
            hass,
            "set_policy",
            {"entity_id": LOCK, "mode": "area", "area_id": "nowhere"},
            hass_admin_user,
        )
    assert no_area.value.translation_key == "unknown_area"
    with pytest.raises(ServiceValidationError) as bad_times:
        await call(
            hass,
            "list_bay",
            {
                "entity_id": LOCK,
                "free_times": [{"days": ["mon"], "start": "18:00", "end": "08:00"}],
            },
            hass_admin_user,
        )
    assert bad_times.value.translation_key == "listing_invalid"

    # An e-key bound to a driver, not to the hub's listing key, does not list the bay.
    start = int(START.timestamp())
    answer = await call(hass, "holder_key", {}, driver)
    assert answer is not None
    text = str(answer["public_key"])
    ekey = car_park.issue_ekey(
        bay,
        subject="driver",
        not_before=start,
        expires=start + HOUR,
        holder_key=PublicKey.from_bytes(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))),
    )
    with pytest.raises(ServiceValidationError) as not_listing:
        await call(hass, "list_bay", {"entity_id": LOCK, "links": [b64(ekey)]}, hass_admin_user)
    assert not_listing.value.translation_key == "not_a_listing_key"
    state = hass.states.get(STATE)
    assert state is not None
    assert state.attributes["issues_keys"] is False


async def test_the_listing_policy_and_booking_keys_survive_a_hub_restart(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    car_park: SimulatedCarPark,
    bay: SimulatedBay,
    driver: MockUser,
    friend: MockUser,
    hass_admin_user: MockUser,
) -> None:
    await list_bay(hass, car_park, bay, hass_admin_user, vehicle_type="motorbike")
    await call(
        hass,
        "set_policy",
        {"entity_id": LOCK, "mode": "authorised", "owner_user_id": driver.id},
        hass_admin_user,
    )
    await book(hass, driver, timedelta(hours=1), timedelta(hours=3))
    uid = str((await bookings(hass))[0]["description"]).split()[1].rstrip(";")

    assert await hass.config_entries.async_reload(init_integration.entry_id)
    await settle(hass)

    state = hass.states.get(STATE)
    assert state is not None
    assert state.attributes["vehicle_type"] == "motorbike"
    assert state.attributes["issues_keys"] is True
    with pytest.raises(ServiceValidationError) as refused:
        await book(hass, friend, timedelta(hours=4), timedelta(hours=5))
    assert refused.value.translation_key == "policy_refused"
    await cancel(hass, driver, uid)
    await move_to(hass, freezer, timedelta(hours=2))
    # Cancelled, the booking no longer gives Dana the bay: Home Assistant refuses her.
    with pytest.raises(Unauthorized):
        await unlock_as(hass, driver)
