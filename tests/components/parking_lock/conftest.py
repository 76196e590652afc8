"""A simulated car park on the building network, and a Parking Lock hub on it."""

from __future__ import annotations

import base64
import itertools
from collections.abc import AsyncGenerator
from datetime import UTC, datetime

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import Context, Event, HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser

from buildinghub.credentials import MonotonicClock, PublicKey, SigningKey
from buildinghub.credentials.lock_command import Appointment, appoint_manager
from buildinghub_ha.const import CONF_RADIO_PATH
from buildinghub_sim.building import SimulatedBuilding, forget_building, register_building
from buildinghub_sim.car_park import SimulatedBay, SimulatedCarPark
from buildinghub_sim.medium import drop_medium
from custom_components.parking_lock.const import DOMAIN, EVENT_MANAGER_NOTICE, EVENT_STEP_UP_CODE
from tests.components.settling import set_up, settle
from tests.components.users import ordinary_user

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
HOUR = 3600
_paths = itertools.count()


@pytest.fixture
def start_time(freezer: FrozenDateTimeFactory) -> int:
    """Every test starts at the same instant, with time under its control."""
    freezer.move_to(START)
    return int(START.timestamp())


@pytest.fixture
async def car_park(hass: HomeAssistant, start_time: int) -> AsyncGenerator[SimulatedCarPark]:
    """Two bays with their locks and owners, on a building network of their own."""
    path = f"sim://test-car-park-{next(_paths)}"
    building = SimulatedBuilding.create(path, flats=0, clock=MonotonicClock())
    register_building(building)
    made = SimulatedCarPark.create(path, bays=2, clock=MonotonicClock())
    made.power_on()
    yield made
    for entry in hass.config_entries.async_entries(DOMAIN):
        if entry.state is ConfigEntryState.LOADED:
            await hass.config_entries.async_unload(entry.entry_id)
    made.power_off()
    forget_building(path)
    await drop_medium(path)


@pytest.fixture
def bay(car_park: SimulatedCarPark) -> SimulatedBay:
    """The first bay."""
    return car_park.bays[0]


@pytest.fixture
def config_entry(car_park: SimulatedCarPark) -> MockConfigEntry:
    """An entry on the car park's radio."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Simulated car park",
        data={CONF_RADIO_PATH: car_park.path},
        unique_id=car_park.path,
    )


@pytest.fixture
async def init_integration(hass: HomeAssistant, config_entry: MockConfigEntry) -> MockConfigEntry:
    """The hub, set up and running."""
    return await set_up(hass, config_entry)


async def _user(hass: HomeAssistant, name: str) -> MockUser:
    return await ordinary_user(hass, name)


@pytest.fixture
async def driver(hass: HomeAssistant) -> MockUser:
    """A driver: an ordinary (non-administrator) Home Assistant user."""
    return await _user(hass, "Dana")


@pytest.fixture
async def friend(hass: HomeAssistant) -> MockUser:
    """The driver's friend, another ordinary user."""
    return await _user(hass, "Femi")


async def call(
    hass: HomeAssistant, service: str, data: dict[str, object], user: MockUser
) -> dict[str, object] | None:
    """Call one of Parking Lock's actions as ``user``, with its answer when it has one."""
    response = await hass.services.async_call(
        DOMAIN,
        service,
        data,
        blocking=True,
        context=Context(user_id=user.id),
        return_response=service
        in {"holder_key", "share", "add_key", "listing_key", "list_bay", "appoint_manager"},
    )
    await settle(hass)
    return response


async def holder_key(hass: HomeAssistant, user: MockUser) -> PublicKey:
    """The user's holder key on the hub, as the app shows it to a bay owner."""
    answer = await call(hass, "holder_key", {}, user)
    assert answer is not None
    text = str(answer["public_key"])
    return PublicKey.from_bytes(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))


def b64(data: bytes) -> str:
    """base64url without padding, as the app sends keys."""
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


async def appoint_manager_key(
    hass: HomeAssistant,
    car_park: SimulatedCarPark,
    bay: SimulatedBay,
    admin: MockUser,
    *,
    owner: SigningKey | None = None,
) -> dict[str, object] | None:
    """The bay owner's app: read the hub's manager (listing) key, sign an appointment of it
    for the bay's lock (with the bay owner's own key by default), and hand it to the manager,
    who calls the action as ``admin``."""
    answer = await call(hass, "listing_key", {}, admin)
    assert answer is not None
    text = str(answer["public_key"])
    manager = PublicKey.from_bytes(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    appointment = appoint_manager(
        Appointment(lock=bay.lock_id, manager_key=manager, expires=int(START.timestamp()) + 86400),
        owner or car_park.owners[bay.owner],
    )
    return await call(hass, "appoint_manager", {"appointment": b64(appointment)}, admin)


_TOLD = "administrators_told"
"""Where the autouse fixture keeps what administrators were told (read by the helpers)."""


@pytest.fixture(autouse=True)
def administrators_told(hass: HomeAssistant) -> list[Event]:
    """What the manager's app hears: the events only administrators may subscribe to."""
    told: list[Event] = []
    for event_type in (EVENT_MANAGER_NOTICE, EVENT_STEP_UP_CODE):
        hass.bus.async_listen(event_type, told.append)
    hass.data[_TOLD] = told
    return told
