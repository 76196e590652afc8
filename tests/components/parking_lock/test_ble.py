"""A BLE bay lock, reached only through Home Assistant's bluetooth integration."""

from __future__ import annotations

import itertools
from collections.abc import AsyncGenerator
from datetime import timedelta

import pytest
from homeassistant.components.lock import LockState
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    MockUser,
    async_fire_time_changed,
)

from buildinghub.credentials import MonotonicClock
from buildinghub.devices.ble_parking_lock import LINK_IDLE_S
from buildinghub_sim.ble_air import drop_ble_air
from buildinghub_sim.ble_parking_lock import BleParkingLock
from buildinghub_sim.building import SimulatedBuilding, forget_building, register_building
from buildinghub_sim.car_park import SimulatedBay, SimulatedCarPark
from buildinghub_sim.medium import drop_medium
from custom_components.parking_lock.const import DOMAIN
from tests.components.settling import settle

from .test_keys import give_ekey, unlock_as

LOCK = "lock.bay_p2"
OCCUPANCY = "binary_sensor.bay_p2_occupancy"
_paths = itertools.count()


@pytest.fixture
async def car_park(hass: HomeAssistant, start_time: int) -> AsyncGenerator[SimulatedCarPark]:
    """One Zigbee bay (P1) and one BLE bay (P2) whose lock runs in Bumble."""
    path = f"sim://test-ble-car-park-{next(_paths)}"
    building = SimulatedBuilding.create(path, flats=0, clock=MonotonicClock())
    register_building(building)
    made = SimulatedCarPark.create(path, bays=1, ble_bays=1, clock=MonotonicClock())
    made.power_on()
    await made.power_on_ble()
    yield made
    for entry in hass.config_entries.async_entries(DOMAIN):
        if entry.state is ConfigEntryState.LOADED:
            await hass.config_entries.async_unload(entry.entry_id)
    await made.power_off_ble()
    await drop_ble_air(path)
    made.power_off()
    forget_building(path)
    await drop_medium(path)


@pytest.fixture
def ble_bay(car_park: SimulatedCarPark) -> SimulatedBay:
    """The BLE bay."""
    return car_park.bays[1]


def links_to(bay: SimulatedBay) -> int:
    """How many centrals hold a link to the BLE bay's lock."""
    assert isinstance(bay.lock, BleParkingLock)
    return len(bay.lock.device.connections)


async def until(hass: HomeAssistant, check: object) -> None:
    """Let the BLE air and Home Assistant run until ``check()`` holds (bounded).

    Time is frozen: the locks' advertising timers (Bumble's controllers) fire when Home
    Assistant's test clock says their interval is due.
    """
    for _ in range(50):
        await settle(hass)
        if check():  # type: ignore[operator]
            return
        async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=3))
    raise AssertionError("the BLE bay did not get there")


@pytest.mark.usefixtures("enable_bluetooth")
async def test_a_ble_bay_is_found_and_opened_by_the_keys_holder(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    car_park: SimulatedCarPark,
    ble_bay: SimulatedBay,
    driver: MockUser,
    friend: MockUser,
    hass_admin_user: MockUser,
) -> None:
    await until(hass, lambda: hass.states.get(LOCK) is not None)
    assert hass.states.get(LOCK).state == LockState.LOCKED  # type: ignore[union-attr]
    await give_ekey(hass, car_park, ble_bay, driver, hass_admin_user)

    with pytest.raises(ServiceValidationError) as refused:
        await unlock_as(hass, friend, LOCK)
    assert refused.value.translation_key == "no_usable_key"
    await unlock_as(hass, driver, LOCK)

    assert not ble_bay.firmware.locked
    assert hass.states.get(LOCK).state == LockState.UNLOCKED  # type: ignore[union-attr]


@pytest.mark.usefixtures("enable_bluetooth")
async def test_ble_occupancy_comes_from_advertisements(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    ble_bay: SimulatedBay,
) -> None:
    await until(hass, lambda: hass.states.get(OCCUPANCY) is not None)
    assert links_to(ble_bay) == 1  # the hub read the lock when it took it over

    # Nothing to ask for a while: the hub lets the link go, and the lock advertises again.
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=LINK_IDLE_S))
    await until(hass, lambda: links_to(ble_bay) == 0)
    assert isinstance(ble_bay.lock, BleParkingLock)
    links_made: list[object] = []
    ble_bay.lock.device.on(ble_bay.lock.device.EVENT_CONNECTION, links_made.append)
    ble_bay.lock.vehicle_present(True)

    await until(hass, lambda: hass.states.get(OCCUPANCY).state == STATE_ON)  # type: ignore[union-attr]
    # The hub learned it from the advertisement alone: it never connected to ask, then or
    # in the seconds after (a connection takes a few advertising intervals to be made).
    for _ in range(5):
        async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=3))
        await settle(hass)
    assert links_made == []
    assert links_to(ble_bay) == 0
