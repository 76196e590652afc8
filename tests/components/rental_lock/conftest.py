"""A simulated building and a Rental Lock hub on it."""

from __future__ import annotations

import base64
import itertools
from collections.abc import AsyncGenerator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser

from buildinghub.credentials import GrantKind, MonotonicClock, PublicKey, SigningKey
from buildinghub.credentials.lock_command import Appointment, appoint_manager
from buildinghub_ha.const import CONF_RADIO_PATH
from buildinghub_sim.building import (
    SimulatedBuilding,
    SimulatedFlat,
    forget_building,
    register_building,
)
from buildinghub_sim.medium import drop_medium
from custom_components.rental_lock.const import DOMAIN
from tests.components.settling import set_up
from tests.components.users import ordinary_user

from .tenants import Tenant, authorise, lease

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
HOUR = 3600
DAY = 24 * HOUR
_paths = itertools.count()


@pytest.fixture
def start_time(freezer: FrozenDateTimeFactory) -> int:
    """Every test starts at the same instant, with time under its control."""
    freezer.move_to(START)
    return int(START.timestamp())


@pytest.fixture
async def building(hass: HomeAssistant, start_time: int) -> AsyncGenerator[SimulatedBuilding]:
    """Two flats with their locks, landlords and tenants, on their own simulated radio."""
    path = f"sim://test-building-{next(_paths)}"
    made = SimulatedBuilding.create(path, flats=2, clock=MonotonicClock())
    register_building(made)
    made.power_on()
    yield made
    # The hub lets go of the radio before the building is torn down.
    for entry in hass.config_entries.async_entries(DOMAIN):
        if entry.state is ConfigEntryState.LOADED:
            await hass.config_entries.async_unload(entry.entry_id)
    forget_building(path)
    await drop_medium(path)


@pytest.fixture
def flat(building: SimulatedBuilding) -> SimulatedFlat:
    """The first flat."""
    return building.flats[0]


@pytest.fixture
def config_entry(building: SimulatedBuilding) -> MockConfigEntry:
    """An entry on the building's radio."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Simulated building",
        data={CONF_RADIO_PATH: building.path},
        unique_id=building.path,
    )


@pytest.fixture
async def init_integration(hass: HomeAssistant, config_entry: MockConfigEntry) -> MockConfigEntry:
    """The hub, set up and running."""
    return await set_up(hass, config_entry)


@pytest.fixture
def tenant_key() -> SigningKey:
    """The key on the tenant's own phone."""
    return SigningKey.generate()


type IssueGrant = Callable[..., bytes]


@pytest.fixture
def issue(building: SimulatedBuilding, start_time: int, tenant_key: SigningKey) -> IssueGrant:
    """The landlord's app: sign a grant for a flat, relative to the test's start."""

    def make(
        flat: SimulatedFlat,
        *,
        kind: GrantKind = GrantKind.VIEWING,
        start: int = 0,
        end: int = 2 * HOUR,
        pin: str | None = None,
        holder_key: PublicKey | None = None,
        subject: str | None = None,
    ) -> bytes:
        return building.issue_grant(
            flat,
            kind=kind,
            subject=subject or flat.viewer,
            not_before=start_time + start,
            expires=start_time + end,
            holder_key=holder_key or tenant_key.public_key,
            pin=pin,
        )

    return make


type AppointHub = Callable[..., Awaitable[dict[str, object]]]


@pytest.fixture
def appoint_hub(
    hass: HomeAssistant, init_integration: MockConfigEntry, building: SimulatedBuilding
) -> AppointHub:
    """The landlord's app: read the hub's key, sign an appointment of it for the flat's lock
    (by default with the flat's own landlord key), and hand it to the manager's action."""

    async def appoint(
        flat: SimulatedFlat, *, landlord: SigningKey | None = None, **call: Any
    ) -> dict[str, object]:
        answer = await hass.services.async_call(
            DOMAIN, "hub_key", {}, blocking=True, return_response=True
        )
        assert answer is not None
        text = str(answer["public_key"])
        hub_key = PublicKey.from_bytes(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        appointment = appoint_manager(
            Appointment(
                lock=flat.lock_id, manager_key=hub_key, expires=int(START.timestamp()) + 365 * DAY
            ),
            landlord or building.landlords[flat.landlord],
        )
        response = await hass.services.async_call(
            DOMAIN,
            "appoint_hub",
            {"appointment": base64.b64encode(appointment).decode()},
            blocking=True,
            return_response=True,
            **call,
        )
        assert response is not None
        return dict(response)

    return appoint


async def make_resident(hass: HomeAssistant, name: str) -> MockUser:
    """An ordinary (non-administrator) Home Assistant user."""
    return await ordinary_user(hass, name)


@pytest.fixture
async def resident(hass: HomeAssistant) -> MockUser:
    """A resident: an ordinary (non-administrator) Home Assistant user."""
    return await make_resident(hass, "Resident")


@pytest.fixture
async def tenant(
    hass: HomeAssistant,
    building: SimulatedBuilding,
    flat: SimulatedFlat,
    issue: IssueGrant,
    tenant_key: SigningKey,
    resident: MockUser,
    start_time: int,
) -> Tenant:
    """Tess holds the lease of flat 1A (her phone's key), and the hub is authorised there."""
    await lease(hass, issue, flat, tenant_key, resident)
    await authorise(hass, building, flat, start_time)
    return Tenant(flat, tenant_key, resident, "Tess", start_time)
