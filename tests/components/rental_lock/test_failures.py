"""When something goes wrong: a missing radio, an unreachable lock, a lock that says no."""

from __future__ import annotations

import pytest
from homeassistant.components.lock import DOMAIN as LOCK_DOMAIN
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_ENTITY_ID, SERVICE_LOCK
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser

from buildinghub.credentials import GrantKind, decode_grant
from buildinghub_ha.const import CONF_RADIO_PATH
from buildinghub_sim.building import SimulatedBuilding, SimulatedFlat
from custom_components.rental_lock.const import DOMAIN
from tests.buildinghub_sim.commands import command

from .conftest import DAY, AppointHub, IssueGrant
from .test_grants import PIN, install
from .test_lock import unlock_as

LOCK = "lock.flat_1a_door"


async def test_a_missing_coordinator_makes_the_entry_retry(hass: HomeAssistant) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN,
        data={CONF_RADIO_PATH: "/dev/serial/by-id/usb-unplugged"},
        unique_id="/dev/serial/by-id/usb-unplugged",
    )
    entry.add_to_hass(hass)

    await hass.config_entries.async_setup(entry.entry_id)

    assert entry.state is ConfigEntryState.SETUP_RETRY


async def test_actions_without_a_loaded_hub_say_so(hass: HomeAssistant) -> None:
    assert await async_setup_component(hass, DOMAIN, {})

    with pytest.raises(ServiceValidationError) as caught:
        await hass.services.async_call(
            DOMAIN, "purge_expired", {}, blocking=True, return_response=True
        )

    # Home Assistant's own words for an action whose domain has no loaded entry.
    assert caught.value.translation_domain == "homeassistant"
    assert caught.value.translation_key == "service_found_no_config_entry_for_domain"


@pytest.mark.usefixtures("init_integration")
@pytest.mark.parametrize("grant_id", ["not-hex", "00ff"])
async def test_revoking_a_malformed_grant_id_is_refused(hass: HomeAssistant, grant_id: str) -> None:
    with pytest.raises(ServiceValidationError) as caught:
        await hass.services.async_call(
            DOMAIN, "revoke_grant", {"grant_id": grant_id}, blocking=True
        )
    assert caught.value.translation_key == "grant_id_not_hex"


@pytest.mark.usefixtures("init_integration")
async def test_revoking_while_the_lock_is_away_revokes_at_the_hub_and_says_so(
    hass: HomeAssistant,
    building: SimulatedBuilding,
    flat: SimulatedFlat,
    issue: IssueGrant,
    appoint_hub: AppointHub,
) -> None:
    grant = issue(flat, pin=PIN)
    await install(hass, grant)
    grant_id = decode_grant(grant).grant.grant_id
    await appoint_hub(flat)
    building.medium.set_online(flat.lock.ieee, False)

    with pytest.raises(HomeAssistantError) as caught:
        await hass.services.async_call(
            DOMAIN, "revoke_grant", {"grant_id": grant_id.hex()}, blocking=True
        )

    assert caught.value.translation_key == "revoke_not_delivered"
    assert hass.states.get("sensor.flat_1a_door_active_grants").state == "0"  # type: ignore[union-attr]


@pytest.mark.usefixtures("init_integration")
async def test_locking_an_unreachable_lock_fails_clearly(
    hass: HomeAssistant, building: SimulatedBuilding, flat: SimulatedFlat
) -> None:
    building.medium.set_online(flat.lock.ieee, False)

    with pytest.raises(HomeAssistantError) as caught:
        await hass.services.async_call(
            LOCK_DOMAIN, SERVICE_LOCK, {ATTR_ENTITY_ID: LOCK}, blocking=True
        )

    assert caught.value.translation_key == "lock_unreachable"


async def test_unlock_the_lock_refuses_reports_the_locks_reason(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    building: SimulatedBuilding,
    flat: SimulatedFlat,
    issue: IssueGrant,
    resident: MockUser,
) -> None:
    hub_key = init_integration.runtime_data.hub.hub_key.public_key
    lease = issue(flat, kind=GrantKind.LEASE, end=30 * DAY, holder_key=hub_key)
    await install(hass, lease, user_id=resident.id)
    # Revoked by the landlord's own command at the lock: the hub still holds the grant.
    landlord = building.landlords[flat.landlord]
    flat.lock.firmware.revoke(
        command(flat.lock.firmware, landlord, decode_grant(lease).grant.grant_id)
    )

    with pytest.raises(HomeAssistantError) as caught:
        await unlock_as(hass, resident)

    assert caught.value.translation_key == "unlock_refused"
    assert caught.value.translation_placeholders == {"flat": "Flat 1A", "reason": "unknown_grant"}
    assert flat.lock.firmware.locked

    building.medium.set_online(flat.lock.ieee, False)
    with pytest.raises(HomeAssistantError) as unreachable:
        await unlock_as(hass, resident)
    assert unreachable.value.translation_key == "lock_unreachable"
