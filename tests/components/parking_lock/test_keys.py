"""E-keys in Home Assistant: who opens a bay from the app, sharing, transfer, freezing."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from homeassistant.components.lock import DOMAIN as LOCK_DOMAIN
from homeassistant.components.lock import LockState
from homeassistant.const import ATTR_ENTITY_ID, SERVICE_UNLOCK
from homeassistant.core import Context, Event, HomeAssistant
from homeassistant.exceptions import ServiceValidationError, Unauthorized
from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser

from buildinghub_sim.car_park import SimulatedBay, SimulatedCarPark
from custom_components.parking_lock.const import EVENT_MANAGER_NOTICE, EVENT_STEP_UP_CODE
from tests.components.settling import settle

from .conftest import _TOLD, HOUR, START, appoint_manager_key, b64, call, holder_key

LOCK = "lock.bay_p1"
EVENT = "event.bay_p1_access"


async def unlock_as(hass: HomeAssistant, user: MockUser, lock: str = LOCK) -> None:
    """Press Unlock on a bay (Bay P1 by default) in the app, as ``user``."""
    await hass.services.async_call(
        LOCK_DOMAIN,
        SERVICE_UNLOCK,
        {ATTR_ENTITY_ID: lock},
        blocking=True,
        context=Context(user_id=user.id),
    )
    await settle(hass)


async def give_ekey(
    hass: HomeAssistant,
    car_park: SimulatedCarPark,
    bay: SimulatedBay,
    user: MockUser,
    admin: MockUser,
    *,
    max_uses: int | None = 20,
    hours: int = 8,
) -> str:
    """The bay owner issues an e-key to the user's holder key; the manager adds it."""
    start = int(START.timestamp())
    ekey = car_park.issue_ekey(
        bay,
        subject=f"driver:{user.name}",
        holder_key=await holder_key(hass, user),
        not_before=start,
        expires=start + hours * HOUR,
        max_uses=max_uses,
    )
    answer = await call(hass, "add_key", {"links": [b64(ekey)], "user_id": user.id}, admin)
    assert answer is not None
    return str(answer["grant_id"])


async def share(
    hass: HomeAssistant,
    grant_id: str,
    sharer: MockUser,
    recipient: MockUser,
    *,
    mode: str = "co_use",
    hours: int = 2,
    max_uses: int | None = 3,
) -> str:
    """``sharer`` shares one of their keys with ``recipient`` from the app."""
    data: dict[str, object] = {
        "grant_id": grant_id,
        "recipient_user_id": recipient.id,
        "mode": mode,
        "end": (START + timedelta(hours=hours)).isoformat(),
    }
    if max_uses is not None:
        data["max_uses"] = max_uses
    answer = await call(hass, "share", data, sharer)
    assert answer is not None
    return str(answer["grant_id"])


def notification(hass: HomeAssistant, bay: SimulatedBay) -> str:
    """The manager's latest notice about a bay."""
    told: list[Event] = hass.data[_TOLD]
    notices = [e for e in told if e.event_type == EVENT_MANAGER_NOTICE]
    return str([e for e in notices if e.data["lock"] == bay.lock_id][-1].data["message"])


async def confirm(hass: HomeAssistant, admin: MockUser, action: str, member: str) -> str:
    """The manager asks for a step-up code and reads it in their app."""
    await call(hass, "request_confirmation", {"action": action, "grant_id": member}, admin)
    told: list[Event] = hass.data[_TOLD]
    [code] = [
        e.data
        for e in told
        if e.event_type == EVENT_STEP_UP_CODE
        and e.data["user_id"] == admin.id
        and (e.data["action"], e.data["member"]) == (action, member)
    ][-1:]
    assert re.fullmatch(r"\d{6}", code["code"])
    return str(code["code"])


async def manage(hass: HomeAssistant, admin: MockUser, action: str, member: str) -> None:
    """A confirmed manager action on a member."""
    code = await confirm(hass, admin, action, member)
    await call(
        hass,
        "manage_member",
        {"action": action, "grant_id": member, "confirmation": code},
        admin,
    )


@pytest.mark.usefixtures("init_integration")
async def test_the_holder_unlocks_from_the_app_and_the_manager_is_told(
    hass: HomeAssistant,
    car_park: SimulatedCarPark,
    bay: SimulatedBay,
    driver: MockUser,
    hass_admin_user: MockUser,
) -> None:
    await give_ekey(hass, car_park, bay, driver, hass_admin_user)
    assert hass.states.get(LOCK).state == LockState.LOCKED  # type: ignore[union-attr]

    await unlock_as(hass, driver)

    assert hass.states.get(LOCK).state == LockState.UNLOCKED  # type: ignore[union-attr]
    assert not bay.firmware.locked
    event = hass.states.get(EVENT)
    assert event is not None
    assert event.attributes["event_type"] == "unlocked"
    assert event.attributes["holder"] == "driver:Dana"
    assert notification(hass, bay) == "Bay P1 was unlocked by driver:Dana."


@pytest.mark.usefixtures("init_integration")
async def test_the_manager_is_told_when_the_barrier_locks(
    hass: HomeAssistant,
    car_park: SimulatedCarPark,
    bay: SimulatedBay,
    driver: MockUser,
    hass_admin_user: MockUser,
) -> None:
    await give_ekey(hass, car_park, bay, driver, hass_admin_user)
    await unlock_as(hass, driver)

    await hass.services.async_call(LOCK_DOMAIN, "lock", {ATTR_ENTITY_ID: LOCK}, blocking=True)
    await settle(hass)

    assert hass.states.get(LOCK).state == LockState.LOCKED  # type: ignore[union-attr]
    assert hass.states.get(EVENT).attributes["event_type"] == "locked"  # type: ignore[union-attr]
    assert notification(hass, bay) == "Bay P1 was locked."


@pytest.mark.usefixtures("init_integration")
async def test_a_copied_ekey_is_refused_for_another_user(
    hass: HomeAssistant,
    car_park: SimulatedCarPark,
    bay: SimulatedBay,
    driver: MockUser,
    friend: MockUser,
    hass_admin_user: MockUser,
) -> None:
    start = int(START.timestamp())
    ekey = car_park.issue_ekey(
        bay,
        subject="driver:Dana",
        holder_key=await holder_key(hass, driver),
        not_before=start,
        expires=start + HOUR,
    )

    with pytest.raises(ServiceValidationError) as refused:
        await call(hass, "add_key", {"links": [b64(ekey)], "user_id": friend.id}, hass_admin_user)
    assert refused.value.translation_key == "key_refused"
    assert refused.value.translation_placeholders["reason"] == "holder_mismatch"
    with pytest.raises(ServiceValidationError) as nothing:
        await unlock_as(hass, friend)
    assert nothing.value.translation_key == "no_usable_key"
    assert bay.firmware.locked


@pytest.mark.usefixtures("init_integration")
async def test_a_three_use_share_is_refused_on_the_fourth_use(
    hass: HomeAssistant,
    car_park: SimulatedCarPark,
    bay: SimulatedBay,
    driver: MockUser,
    friend: MockUser,
    hass_admin_user: MockUser,
) -> None:
    own = await give_ekey(hass, car_park, bay, driver, hass_admin_user)
    shared = await share(hass, own, driver, friend, max_uses=3)
    for _ in range(3):
        await unlock_as(hass, friend)
        bay.firmware.lock()

    with pytest.raises(ServiceValidationError) as refused:
        await unlock_as(hass, friend)

    assert refused.value.translation_placeholders["reason"] == "uses_exhausted"
    assert bay.firmware.uses_left(bytes.fromhex(shared)) == 0
    assert bay.firmware.locked
    await unlock_as(hass, driver)  # co-use: the sharer still opens
    assert not bay.firmware.locked


@pytest.mark.usefixtures("init_integration")
async def test_a_transfer_stops_the_sharers_key_at_once(
    hass: HomeAssistant,
    car_park: SimulatedCarPark,
    bay: SimulatedBay,
    driver: MockUser,
    friend: MockUser,
    hass_admin_user: MockUser,
) -> None:
    own = await give_ekey(hass, car_park, bay, driver, hass_admin_user)
    await share(hass, own, driver, friend, mode="transfer")

    with pytest.raises(ServiceValidationError) as refused:
        await unlock_as(hass, driver)
    await unlock_as(hass, friend)

    assert refused.value.translation_placeholders["reason"] == "transferred"
    assert not bay.firmware.locked
    assert hass.states.get(EVENT).attributes["holder"] == f"ha-user:{friend.id}"  # type: ignore[union-attr]


@pytest.mark.usefixtures("init_integration")
async def test_giving_a_transfer_back_returns_the_key_to_the_sharer(
    hass: HomeAssistant,
    car_park: SimulatedCarPark,
    bay: SimulatedBay,
    driver: MockUser,
    friend: MockUser,
    hass_admin_user: MockUser,
) -> None:
    own = await give_ekey(hass, car_park, bay, driver, hass_admin_user)
    shared = await share(hass, own, driver, friend, mode="transfer")

    await call(hass, "give_back", {"grant_id": shared}, friend)

    # Femi holds no key of the bay any more: Home Assistant no longer lets him operate it.
    with pytest.raises(Unauthorized):
        await unlock_as(hass, friend)
    await unlock_as(hass, driver)
    assert not bay.firmware.locked
    assert bytes.fromhex(shared) not in bay.firmware.chains


@pytest.mark.usefixtures("init_integration")
async def test_only_the_recipient_gives_a_share_back(
    hass: HomeAssistant,
    car_park: SimulatedCarPark,
    bay: SimulatedBay,
    driver: MockUser,
    friend: MockUser,
    hass_admin_user: MockUser,
) -> None:
    own = await give_ekey(hass, car_park, bay, driver, hass_admin_user)
    shared = await share(hass, own, driver, friend)

    with pytest.raises(ServiceValidationError) as refused:
        await call(hass, "give_back", {"grant_id": shared}, driver)
    assert refused.value.translation_key == "not_your_key"


@pytest.mark.usefixtures("init_integration")
async def test_a_frozen_member_is_refused_until_unfrozen(
    hass: HomeAssistant,
    car_park: SimulatedCarPark,
    bay: SimulatedBay,
    driver: MockUser,
    friend: MockUser,
    hass_admin_user: MockUser,
) -> None:
    own = await give_ekey(hass, car_park, bay, driver, hass_admin_user)
    shared = await share(hass, own, driver, friend)
    await appoint_manager_key(hass, car_park, bay, hass_admin_user)

    await manage(hass, hass_admin_user, "freeze", shared)
    with pytest.raises(ServiceValidationError) as refused:
        await unlock_as(hass, friend)
    assert refused.value.translation_placeholders["reason"] == "frozen"
    assert bay.firmware.ledger.state(bytes.fromhex(shared)).frozen  # type: ignore[union-attr]

    await manage(hass, hass_admin_user, "unfreeze", shared)
    await unlock_as(hass, friend)
    assert not bay.firmware.locked


@pytest.mark.usefixtures("init_integration")
async def test_manager_actions_need_the_step_up_code(
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
    wrong = "000000" if code != "000000" else "111111"

    with pytest.raises(ServiceValidationError) as refused:
        await call(
            hass,
            "manage_member",
            {"action": "freeze", "grant_id": shared, "confirmation": wrong},
            hass_admin_user,
        )
    with pytest.raises(ServiceValidationError):  # a freeze code does not remove
        await call(
            hass,
            "manage_member",
            {"action": "remove", "grant_id": shared, "confirmation": code},
            hass_admin_user,
        )

    assert refused.value.translation_key == "step_up_refused"
    await unlock_as(hass, friend)
    assert not bay.firmware.locked


@pytest.mark.usefixtures("init_integration")
async def test_drivers_cannot_manage_members(
    hass: HomeAssistant,
    car_park: SimulatedCarPark,
    bay: SimulatedBay,
    driver: MockUser,
    friend: MockUser,
    hass_admin_user: MockUser,
) -> None:
    own = await give_ekey(hass, car_park, bay, driver, hass_admin_user)
    shared = await share(hass, own, driver, friend)

    with pytest.raises(Unauthorized):
        await call(hass, "request_confirmation", {"action": "freeze", "grant_id": shared}, driver)


@pytest.mark.usefixtures("init_integration")
async def test_removing_a_member_stops_their_key(
    hass: HomeAssistant,
    car_park: SimulatedCarPark,
    bay: SimulatedBay,
    driver: MockUser,
    friend: MockUser,
    hass_admin_user: MockUser,
) -> None:
    own = await give_ekey(hass, car_park, bay, driver, hass_admin_user)
    shared = await share(hass, own, driver, friend)
    await appoint_manager_key(hass, car_park, bay, hass_admin_user)

    await manage(hass, hass_admin_user, "remove", shared)

    # Removed, Femi no longer has the bay: Home Assistant refuses before the hub is asked.
    with pytest.raises(Unauthorized):
        await unlock_as(hass, friend)
    assert bytes.fromhex(shared) not in bay.firmware.chains


@pytest.mark.usefixtures("init_integration")
async def test_a_share_that_widens_its_parent_is_refused(
    hass: HomeAssistant,
    car_park: SimulatedCarPark,
    bay: SimulatedBay,
    driver: MockUser,
    friend: MockUser,
    hass_admin_user: MockUser,
) -> None:
    own = await give_ekey(hass, car_park, bay, driver, hass_admin_user, max_uses=5, hours=2)

    with pytest.raises(ServiceValidationError) as longer:
        await share(hass, own, driver, friend, hours=3)
    with pytest.raises(ServiceValidationError) as more:
        await share(hass, own, driver, friend, max_uses=6)

    assert longer.value.translation_placeholders["reason"] == "share_widens"
    assert more.value.translation_placeholders["reason"] == "share_widens"
    assert list(bay.firmware.chains) == [bytes.fromhex(own)]
    with pytest.raises(ServiceValidationError):
        await unlock_as(hass, friend)


async def test_counts_survive_a_hub_restart(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    car_park: SimulatedCarPark,
    bay: SimulatedBay,
    driver: MockUser,
    friend: MockUser,
    hass_admin_user: MockUser,
) -> None:
    own = await give_ekey(hass, car_park, bay, driver, hass_admin_user)
    await share(hass, own, driver, friend, max_uses=3)
    await unlock_as(hass, friend)
    await unlock_as(hass, friend)

    assert await hass.config_entries.async_reload(init_integration.entry_id)
    await settle(hass)
    await unlock_as(hass, friend)

    with pytest.raises(ServiceValidationError) as refused:
        await unlock_as(hass, friend)
    assert refused.value.translation_placeholders["reason"] == "uses_exhausted"
