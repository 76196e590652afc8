"""The lock entity: who may open a door from the app, and what everyone sees."""

from __future__ import annotations

from datetime import timedelta

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.lock import DOMAIN as LOCK_DOMAIN
from homeassistant.components.lock import LockState
from homeassistant.const import ATTR_ENTITY_ID, SERVICE_LOCK, SERVICE_UNLOCK
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import ServiceValidationError, Unauthorized
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    MockUser,
    async_fire_time_changed,
)

from buildinghub.credentials import GrantKind
from buildinghub_sim.building import SimulatedBuilding, SimulatedFlat
from custom_components.rental_lock.const import DOMAIN
from tests.components.settling import settle

from .conftest import DAY, HOUR, START, IssueGrant
from .test_grants import EVENT, b64, install

LOCK = "lock.flat_1a_door"


async def _app_lease(
    hass: HomeAssistant, entry: MockConfigEntry, flat: SimulatedFlat, issue: IssueGrant, user: str
) -> None:
    """A lease whose holder key is the hub's, installed for ``user``."""
    hub_key = entry.runtime_data.hub.hub_key.public_key
    lease = issue(flat, kind=GrantKind.LEASE, end=30 * DAY, holder_key=hub_key, subject=flat.tenant)
    await install(hass, lease, user_id=user)


async def unlock_as(hass: HomeAssistant, user: MockUser) -> None:
    """Press Unlock on Flat 1A's door in the app, as ``user``."""
    await hass.services.async_call(
        LOCK_DOMAIN,
        SERVICE_UNLOCK,
        {ATTR_ENTITY_ID: LOCK},
        blocking=True,
        context=Context(user_id=user.id),
    )
    await settle(hass)


async def test_the_grants_user_opens_the_door_from_the_app(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    flat: SimulatedFlat,
    issue: IssueGrant,
    resident: MockUser,
) -> None:
    await _app_lease(hass, init_integration, flat, issue, resident.id)
    assert hass.states.get(LOCK).state == LockState.LOCKED  # type: ignore[union-attr]

    await unlock_as(hass, resident)

    assert hass.states.get(LOCK).state == LockState.UNLOCKED  # type: ignore[union-attr]
    event = hass.states.get(EVENT)
    assert event is not None
    assert event.attributes["event_type"] == "access_granted"
    assert event.attributes["method"] == "remote"
    assert event.attributes["holder"] == flat.tenant


async def test_another_user_cannot_open_the_door(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    flat: SimulatedFlat,
    issue: IssueGrant,
    resident: MockUser,
    hass_admin_user: MockUser,
) -> None:
    await _app_lease(hass, init_integration, flat, issue, resident.id)

    with pytest.raises(ServiceValidationError) as caught:
        await unlock_as(hass, hass_admin_user)

    assert caught.value.translation_key == "no_usable_grant"
    assert flat.lock.firmware.locked
    assert hass.states.get(LOCK).state == LockState.LOCKED  # type: ignore[union-attr]


async def test_a_grant_held_on_the_tenants_phone_does_not_open_from_the_app(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    flat: SimulatedFlat,
    issue: IssueGrant,
    resident: MockUser,
) -> None:
    # The hub cannot answer the lock's challenge for a key it does not hold.
    lease = issue(flat, kind=GrantKind.LEASE, end=30 * DAY, subject=flat.tenant)
    await install(hass, lease, user_id=resident.id)

    with pytest.raises(ServiceValidationError):
        await unlock_as(hass, resident)

    assert flat.lock.firmware.locked


async def test_app_unlock_stops_when_the_grant_ends(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    flat: SimulatedFlat,
    issue: IssueGrant,
    resident: MockUser,
    freezer: FrozenDateTimeFactory,
) -> None:
    hub_key = init_integration.runtime_data.hub.hub_key.public_key
    short = issue(flat, kind=GrantKind.VIEWING, end=HOUR, holder_key=hub_key)
    await install(hass, short, user_id=resident.id)
    freezer.move_to(START + timedelta(hours=1))

    with pytest.raises(ServiceValidationError):
        await unlock_as(hass, resident)

    assert flat.lock.firmware.locked


async def test_the_door_relocks_itself_and_can_be_locked_from_the_app(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    flat: SimulatedFlat,
    issue: IssueGrant,
    resident: MockUser,
    freezer: FrozenDateTimeFactory,
) -> None:
    await _app_lease(hass, init_integration, flat, issue, resident.id)
    await unlock_as(hass, resident)
    assert not flat.lock.firmware.locked

    await hass.services.async_call(LOCK_DOMAIN, SERVICE_LOCK, {ATTR_ENTITY_ID: LOCK}, blocking=True)
    await settle(hass)
    assert flat.lock.firmware.locked
    assert hass.states.get(LOCK).state == LockState.LOCKED  # type: ignore[union-attr]

    await unlock_as(hass, resident)
    assert hass.states.get(LOCK).state == LockState.UNLOCKED  # type: ignore[union-attr]
    freezer.tick(timedelta(seconds=6))
    async_fire_time_changed(hass)
    await settle(hass)
    assert flat.lock.firmware.locked
    assert hass.states.get(LOCK).state == LockState.LOCKED  # type: ignore[union-attr]


@pytest.mark.usefixtures("init_integration")
async def test_only_administrators_install_grants(
    hass: HomeAssistant, flat: SimulatedFlat, issue: IssueGrant, resident: MockUser
) -> None:
    with pytest.raises(Unauthorized):
        await hass.services.async_call(
            DOMAIN,
            "install_grant",
            {"grant": b64(issue(flat))},
            blocking=True,
            return_response=True,
            context=Context(user_id=resident.id),
        )

    assert flat.lock.firmware.grants == {}


@pytest.mark.usefixtures("init_integration")
async def test_a_grant_for_an_unknown_user_is_refused(
    hass: HomeAssistant, flat: SimulatedFlat, issue: IssueGrant
) -> None:
    with pytest.raises(ServiceValidationError) as caught:
        await install(hass, issue(flat), user_id="no-such-user")

    assert caught.value.translation_key == "unknown_user"
    assert flat.lock.firmware.grants == {}


async def test_hub_key_action_returns_the_public_key_only(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    response = await hass.services.async_call(
        DOMAIN, "hub_key", {}, blocking=True, return_response=True
    )

    hub = init_integration.runtime_data.hub
    public = hub.hub_key.public_key
    assert response == {
        "public_key": b64(public.to_bytes()),
        "key_id": public.kid.hex(),
        # What a standard lock's PINs are sealed to (R15): public too.
        "pin_sealing_key": b64(hub.standard_locks.sealing_key.public_key.to_bytes()),
    }


@pytest.mark.usefixtures("init_integration")
async def test_a_lock_installed_while_the_hub_runs_appears_with_its_entities(
    hass: HomeAssistant, building: SimulatedBuilding
) -> None:
    new_flat = building.install_flat(building.flats[0].lock.firmware.clock)
    building.medium.join(new_flat.lock)
    new_flat.lock.power_on()
    await settle(hass)

    assert new_flat.name == "Flat 1C"
    assert hass.states.get("lock.flat_1c_door").state == LockState.LOCKED  # type: ignore[union-attr]
    assert hass.states.get("calendar.flat_1c_door_grants") is not None
    assert hass.states.get("event.flat_1c_door_access") is not None
    assert hass.states.get("sensor.flat_1c_door_active_grants").state == "0"  # type: ignore[union-attr]
