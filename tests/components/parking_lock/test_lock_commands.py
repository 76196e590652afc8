"""Freezing and removing members needs the bay owner's authority, and one driver cannot fill a
bay lock for everyone (SPEC S5), tried through Home Assistant's actions."""

from __future__ import annotations

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError, Unauthorized
from pytest_homeassistant_custom_component.common import MockUser

from buildinghub_sim.car_park import SimulatedBay, SimulatedCarPark

from .conftest import appoint_manager_key, call
from .test_keys import confirm, give_ekey, share, unlock_as

pytestmark = pytest.mark.usefixtures("init_integration")


def lock_holds(bay: SimulatedBay) -> dict[str, object]:
    """What the bay lock keeps: its keys and its ledger (counts, freezes, transfers)."""
    return {"keys": sorted(bay.firmware.grants), "ledger": bay.firmware.ledger.to_json()}


async def test_freezing_without_the_owners_appointment_is_refused_and_changes_nothing(
    hass: HomeAssistant,
    car_park: SimulatedCarPark,
    bay: SimulatedBay,
    driver: MockUser,
    friend: MockUser,
    hass_admin_user: MockUser,
) -> None:
    own = await give_ekey(hass, car_park, bay, driver, hass_admin_user)
    shared = await share(hass, own, driver, friend)
    code = await confirm(hass, hass_admin_user, "freeze", shared)
    before = lock_holds(bay)

    with pytest.raises(ServiceValidationError) as refused:
        await call(
            hass,
            "manage_member",
            {"action": "freeze", "grant_id": shared, "confirmation": code},
            hass_admin_user,
        )

    assert refused.value.translation_placeholders["reason"] == "unauthorised_command"
    assert lock_holds(bay) == before
    await unlock_as(hass, friend)
    assert not bay.firmware.locked


async def test_an_appointment_by_another_bays_owner_is_refused(
    hass: HomeAssistant,
    car_park: SimulatedCarPark,
    bay: SimulatedBay,
    hass_admin_user: MockUser,
) -> None:
    other_owner = car_park.bays[1].owner
    assert other_owner != bay.owner

    with pytest.raises(ServiceValidationError) as refused:
        await appoint_manager_key(
            hass, car_park, bay, hass_admin_user, owner=car_park.owners[other_owner]
        )

    assert refused.value.translation_key == "appointment_refused"


async def test_a_driver_cannot_appoint_the_manager(
    hass: HomeAssistant, car_park: SimulatedCarPark, bay: SimulatedBay, driver: MockUser
) -> None:
    with pytest.raises(Unauthorized):
        await appoint_manager_key(hass, car_park, bay, driver)


async def test_a_driver_sharing_31_times_is_stopped_and_the_manager_still_gets_in(
    hass: HomeAssistant,
    car_park: SimulatedCarPark,
    bay: SimulatedBay,
    driver: MockUser,
    friend: MockUser,
    hass_admin_user: MockUser,
) -> None:
    own = await give_ekey(hass, car_park, bay, driver, hass_admin_user, max_uses=None)
    refusals: list[str] = []
    for _ in range(31):
        try:
            await share(hass, own, driver, friend, max_uses=None)
        except HomeAssistantError as err:
            refusals.append(str(err.translation_placeholders.get("reason")))

    per_key = bay.firmware.storage.per_key
    assert refusals == ["share_limit"] * (31 - per_key)
    assert len(bay.firmware.grants) == 1 + per_key < bay.firmware.max_grants

    await give_ekey(hass, car_park, bay, hass_admin_user, hass_admin_user)
    await unlock_as(hass, hass_admin_user)
    assert not bay.firmware.locked
