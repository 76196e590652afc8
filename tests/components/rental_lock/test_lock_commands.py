"""Revoking through Home Assistant needs the landlord's authority (SPEC S5).

The hub revokes at a lock only with a command it signs under the landlord's appointment of
its key; whoever calls the action, nothing is revoked without it, and only administrators
call these actions at all.
"""

from __future__ import annotations

import pytest
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import ServiceValidationError, Unauthorized
from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser

from buildinghub.credentials import decode_grant
from buildinghub_sim.building import SimulatedBuilding, SimulatedFlat
from custom_components.rental_lock.const import DOMAIN
from tests.components.settling import settle

from .conftest import AppointHub, IssueGrant
from .test_grants import PIN, install, try_pin

ACTIVE = "sensor.flat_1a_door_active_grants"


async def revoke(hass: HomeAssistant, grant_id: bytes, **call: object) -> None:
    await hass.services.async_call(
        DOMAIN, "revoke_grant", {"grant_id": grant_id.hex()}, blocking=True, **call
    )


async def installed(hass: HomeAssistant, flat: SimulatedFlat, issue: IssueGrant) -> bytes:
    """A grant with a PIN, installed by the manager; returns its id."""
    grant = issue(flat, pin=PIN)
    await install(hass, grant)
    return decode_grant(grant).grant.grant_id


async def still_there(hass: HomeAssistant, flat: SimulatedFlat, grant_id: bytes) -> None:
    """Nothing changed: the lock and the hub hold the grant, the PIN opens the door."""
    assert grant_id in flat.lock.firmware.grants
    assert hass.states.get(ACTIVE).state == "1"  # type: ignore[union-attr]
    assert (await try_pin(hass, flat, PIN))["event_type"] == "access_granted"


@pytest.mark.usefixtures("init_integration")
async def test_revoking_without_the_landlords_appointment_is_refused_and_changes_nothing(
    hass: HomeAssistant, flat: SimulatedFlat, issue: IssueGrant
) -> None:
    grant_id = await installed(hass, flat, issue)

    with pytest.raises(ServiceValidationError) as caught:
        await revoke(hass, grant_id)

    assert caught.value.translation_key == "revoke_refused"
    assert "appointed" in caught.value.translation_placeholders["detail"]
    await still_there(hass, flat, grant_id)


async def test_a_resident_cannot_revoke_or_appoint(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    flat: SimulatedFlat,
    issue: IssueGrant,
    appoint_hub: AppointHub,
    resident: MockUser,
) -> None:
    grant_id = await installed(hass, flat, issue)
    as_resident = Context(user_id=resident.id)

    with pytest.raises(Unauthorized):
        await appoint_hub(flat, context=as_resident)
    with pytest.raises(Unauthorized):
        await revoke(hass, grant_id, context=as_resident)

    assert init_integration.runtime_data.hub.authority.appointment(flat.lock_id) is None
    await still_there(hass, flat, grant_id)


@pytest.mark.usefixtures("init_integration")
async def test_an_appointment_by_another_landlord_is_refused_and_gives_no_authority(
    hass: HomeAssistant,
    building: SimulatedBuilding,
    flat: SimulatedFlat,
    issue: IssueGrant,
    appoint_hub: AppointHub,
) -> None:
    grant_id = await installed(hass, flat, issue)
    neighbour = building.flats[1]
    assert neighbour.landlord != flat.landlord

    with pytest.raises(ServiceValidationError) as caught:
        await appoint_hub(flat, landlord=building.landlords[neighbour.landlord])

    assert caught.value.translation_key == "appointment_refused"
    with pytest.raises(ServiceValidationError):
        await revoke(hass, grant_id)
    await still_there(hass, flat, grant_id)


async def test_the_landlords_appointment_lets_the_hub_revoke_after_a_restart(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    flat: SimulatedFlat,
    issue: IssueGrant,
    appoint_hub: AppointHub,
) -> None:
    grant_id = await installed(hass, flat, issue)
    answer = await appoint_hub(flat)
    assert answer["flat"] == flat.name
    assert await hass.config_entries.async_reload(init_integration.entry_id)
    await settle(hass)

    await revoke(hass, grant_id)

    assert grant_id not in flat.lock.firmware.grants
    assert (await try_pin(hass, flat, PIN))["reason"] == "unknown_credential"
