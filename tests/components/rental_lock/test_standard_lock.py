"""Standard Zigbee door locks (SPEC R15, R17) through Home Assistant and the simulated radio."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import timedelta

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError, Unauthorized
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser
from zigpy.zcl.clusters.closures import OperationEvent, UserStatus, UserType

from buildinghub.credentials import SigningKey, decode_grant
from buildinghub.devices.pin_users import to_zcl_time
from buildinghub_sim.building import SimulatedBuilding
from buildinghub_sim.standard_lock import SimulatedStandardLock
from custom_components.rental_lock.const import DOMAIN
from tests.components.settling import settle

from .conftest import DAY, HOUR, START
from .standard_lock_site import (
    STANDARD_EVENT,
    STANDARD_IEEE,
    STANDARD_LOCK_ENTITY,
    HubKeys,
    b64,
    hub_keys,
    install_standard_lock,
    installation_record,
    make_standard_lock,
    standard_grant,
)

PIN = "482913"
T0 = int(START.timestamp())


@pytest.fixture
def landlord(building: SimulatedBuilding) -> SigningKey:
    """The landlord of the flat whose door has the standard lock."""
    return building.landlords["landlord:ana"]


@pytest.fixture
def lock_capacity() -> int:
    """How many PIN users the standard lock holds."""
    return 4


@pytest.fixture
async def standard_lock(
    building: SimulatedBuilding, lock_capacity: int
) -> AsyncGenerator[SimulatedStandardLock]:
    """A keypad deadbolt that joined the building network before the hub started."""
    lock = make_standard_lock(pin_users=lock_capacity)
    building.medium.join(lock)
    yield lock
    lock.power_off()


@pytest.fixture
async def keys(
    hass: HomeAssistant,
    standard_lock: SimulatedStandardLock,
    init_integration: MockConfigEntry,
    landlord: SigningKey,
) -> HubKeys:
    """The hub running, the standard lock installed by its landlord through the hub."""
    keys = await hub_keys(hass)
    await joined(hass, init_integration)
    answer = await install_standard_lock(hass, installation_record(keys, landlord))
    await hass.async_block_till_done()
    assert answer == {"flat": "Flat 3A", "lock_id": "door-std-1", "landlord": "landlord:ana"}
    return keys


async def joined(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Wait until the hub's radio has interviewed the standard lock (it joins on its own)."""
    network = entry.runtime_data.hub.network
    for _ in range(100):
        if any(str(d.ieee) == STANDARD_IEEE and d.is_initialized for d in network.devices()):
            return
        await settle(hass)
    raise AssertionError("the standard lock never finished joining")


async def install(hass: HomeAssistant, grant: bytes) -> dict[str, object]:
    response = await hass.services.async_call(
        DOMAIN, "install_grant", {"grant": b64(grant)}, blocking=True, return_response=True
    )
    assert response is not None
    return dict(response)


async def type_pin(hass: HomeAssistant, lock: SimulatedStandardLock, pin: str) -> dict[str, object]:
    """A person types a PIN at the standard lock; what the access event entity shows."""
    lock.keypad(pin)
    await settle(hass)
    state = hass.states.get(STANDARD_EVENT)
    assert state is not None
    return dict(state.attributes)


def issue_ids(hass: HomeAssistant) -> set[str]:
    return {issue_id for (domain, issue_id) in ir.async_get(hass).issues if domain == DOMAIN}


async def test_a_joined_standard_lock_waits_for_its_landlords_record(
    hass: HomeAssistant, standard_lock: SimulatedStandardLock, init_integration: MockConfigEntry
) -> None:
    assert hass.states.get(STANDARD_LOCK_ENTITY) is None
    assert f"standard_lock_not_installed_{STANDARD_IEEE}" in issue_ids(hass)


async def test_installed_standard_lock_says_the_hub_verifies_and_the_schedule_enforces(
    hass: HomeAssistant, keys: HubKeys
) -> None:
    state = hass.states.get(STANDARD_LOCK_ENTITY)

    assert state is not None
    assert state.state == "locked"
    assert state.attributes["guarantee"] == "enforced by the lock's schedule, verified by the hub"
    assert f"standard_lock_not_installed_{STANDARD_IEEE}" not in issue_ids(hass)
    ours = hass.states.get("lock.flat_1a_door")
    assert ours is not None
    assert ours.attributes["guarantee"] == "verified by the lock"


async def test_a_grant_reaches_the_standard_lock_as_a_pin_user_with_a_year_day_schedule(
    hass: HomeAssistant,
    keys: HubKeys,
    landlord: SigningKey,
    standard_lock: SimulatedStandardLock,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    grant = standard_grant(keys, landlord, pin=PIN, not_before=T0 + HOUR, expires=T0 + 2 * HOUR)

    answer = await install(hass, grant)

    assert answer["flat"] == "Flat 3A"
    firmware = standard_lock.firmware
    user = firmware.users[0]
    assert (user.code, user.status, user.user_type) == (
        PIN,
        UserStatus.Enabled,
        UserType.Year_Day_Schedule_User,
    )
    assert firmware.schedules == {(0, 0): (to_zcl_time(T0 + HOUR), to_zcl_time(T0 + 2 * HOUR))}
    calendar = hass.states.get("calendar.flat_3a_door_grants")
    assert calendar is not None
    assert (
        "enforced by the lock's schedule, verified by the hub" in calendar.attributes["description"]
    )

    # The hub stops: the lock alone keeps the window.
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    assert standard_lock.keypad(PIN).code == OperationEvent.UnlockFailureInvalidSchedule
    freezer.move_to(START + timedelta(hours=1, seconds=1))
    assert standard_lock.keypad(PIN).code == OperationEvent.Unlock
    freezer.move_to(START + timedelta(hours=2))
    assert standard_lock.keypad(PIN).code == OperationEvent.UnlockFailureInvalidSchedule


async def test_access_events_name_the_grants_holder_and_the_guarantee(
    hass: HomeAssistant, keys: HubKeys, landlord: SigningKey, standard_lock: SimulatedStandardLock
) -> None:
    await install(hass, standard_grant(keys, landlord, pin=PIN, not_before=T0, expires=T0 + HOUR))

    opened = await type_pin(hass, standard_lock, PIN)
    wrong = await type_pin(hass, standard_lock, "000000")

    assert opened["event_type"] == "access_granted"
    assert opened["holder"] == "guest:flat-3a"
    assert opened["method"] == "keypad"
    assert opened["guarantee"] == "enforced by the lock's schedule, verified by the hub"
    assert wrong["event_type"] == "access_denied"
    assert wrong["reason"] == "wrong_pin"
    assert wrong["holder"] is None


async def test_a_revoked_grant_clears_its_pin_at_the_standard_lock(
    hass: HomeAssistant, keys: HubKeys, landlord: SigningKey, standard_lock: SimulatedStandardLock
) -> None:
    grant = standard_grant(keys, landlord, pin=PIN, not_before=T0, expires=T0 + DAY)
    await install(hass, grant)

    await hass.services.async_call(
        DOMAIN,
        "revoke_grant",
        {"grant_id": decode_grant(grant).grant.grant_id.hex()},
        blocking=True,
    )

    assert standard_lock.firmware.users == {}
    assert standard_lock.keypad(PIN).code == OperationEvent.UnlockFailureInvalidPINorID


async def test_a_pin_used_max_uses_times_is_cleared_and_the_count_survives_a_restart(
    hass: HomeAssistant,
    keys: HubKeys,
    landlord: SigningKey,
    standard_lock: SimulatedStandardLock,
    init_integration: MockConfigEntry,
) -> None:
    grant = standard_grant(keys, landlord, pin=PIN, not_before=T0, expires=T0 + DAY, max_uses=2)
    await install(hass, grant)
    assert (await type_pin(hass, standard_lock, PIN))["event_type"] == "access_granted"

    assert await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert 0 in standard_lock.firmware.users
    assert (await type_pin(hass, standard_lock, PIN))["event_type"] == "access_granted"
    await settle(hass)

    assert standard_lock.firmware.users == {}
    assert standard_lock.keypad(PIN).code == OperationEvent.UnlockFailureInvalidPINorID


async def test_a_code_added_at_the_keypad_raises_a_repair(
    hass: HomeAssistant, keys: HubKeys, standard_lock: SimulatedStandardLock
) -> None:
    standard_lock.add_code_at_keypad(3, "9999")
    await settle(hass)

    assert f"standard_lock_foreign_code_{STANDARD_IEEE}_3" in issue_ids(hass)


async def test_drift_found_on_start_is_repaired_or_raised(
    hass: HomeAssistant,
    keys: HubKeys,
    landlord: SigningKey,
    standard_lock: SimulatedStandardLock,
    init_integration: MockConfigEntry,
) -> None:
    await install(hass, standard_grant(keys, landlord, pin=PIN, not_before=T0, expires=T0 + DAY))
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    # While the hub is down: someone clears the hub's PIN and adds a code at the keypad.
    standard_lock.firmware.clear_pin_code(0)
    standard_lock.add_code_at_keypad(2, "5555")

    assert await hass.config_entries.async_setup(init_integration.entry_id)
    await hass.async_block_till_done()

    assert standard_lock.firmware.users[0].code == PIN
    assert standard_lock.keypad(PIN).code == OperationEvent.Unlock
    assert f"standard_lock_foreign_code_{STANDARD_IEEE}_2" in issue_ids(hass)
    assert f"standard_lock_drift_{STANDARD_IEEE}" not in issue_ids(hass)


@pytest.mark.parametrize("lock_capacity", [1])
async def test_the_standard_locks_capacity_is_respected(
    hass: HomeAssistant, keys: HubKeys, landlord: SigningKey, standard_lock: SimulatedStandardLock
) -> None:
    await install(hass, standard_grant(keys, landlord, pin=PIN, not_before=T0, expires=T0 + DAY))

    with pytest.raises(HomeAssistantError, match="at most 1 PIN users"):
        await install(
            hass, standard_grant(keys, landlord, pin="112233", not_before=T0, expires=T0 + DAY)
        )
    with pytest.raises(HomeAssistantError, match="PINs of 4 to 8 digits"):
        await install(
            hass,
            standard_grant(keys, landlord, pin="1234567890", not_before=T0, expires=T0 + DAY),
        )

    assert list(standard_lock.firmware.users) == [0]
    calendar = hass.states.get("calendar.flat_3a_door_grants")
    assert calendar is not None


# -- who may install a standard lock (scope before signature) ------------------------------


async def test_a_record_that_does_not_make_the_hub_the_verifier_is_refused(
    hass: HomeAssistant,
    standard_lock: SimulatedStandardLock,
    init_integration: MockConfigEntry,
    landlord: SigningKey,
) -> None:
    keys = await hub_keys(hass)
    await joined(hass, init_integration)
    record = installation_record(keys, landlord, lock_key=SigningKey.generate().public_key)

    with pytest.raises(ServiceValidationError, match="this hub's key"):
        await install_standard_lock(hass, record)
    assert hass.states.get(STANDARD_LOCK_ENTITY) is None


async def test_a_record_for_a_lock_that_is_not_a_standard_lock_is_refused(
    hass: HomeAssistant,
    building: SimulatedBuilding,
    standard_lock: SimulatedStandardLock,
    init_integration: MockConfigEntry,
    landlord: SigningKey,
) -> None:
    keys = await hub_keys(hass)
    ours = str(building.flats[0].lock.ieee)

    with pytest.raises(ServiceValidationError, match="no standard door lock"):
        await install_standard_lock(hass, installation_record(keys, landlord), device=ours)


async def test_another_landlord_cannot_take_over_an_installed_standard_lock(
    hass: HomeAssistant, keys: HubKeys, standard_lock: SimulatedStandardLock
) -> None:
    intruder = SigningKey.generate()

    with pytest.raises(ServiceValidationError, match="another landlord"):
        await install_standard_lock(hass, installation_record(keys, intruder))


async def test_a_standard_lock_cannot_take_another_doors_lock_id(
    hass: HomeAssistant,
    standard_lock: SimulatedStandardLock,
    init_integration: MockConfigEntry,
    landlord: SigningKey,
) -> None:
    keys = await hub_keys(hass)
    await joined(hass, init_integration)

    with pytest.raises(ServiceValidationError, match="already belongs"):
        await install_standard_lock(hass, installation_record(keys, landlord, lock_id="door-01"))


async def test_a_grant_for_the_standard_lock_signed_by_another_key_is_refused(
    hass: HomeAssistant, keys: HubKeys, standard_lock: SimulatedStandardLock
) -> None:
    forged = standard_grant(keys, SigningKey.generate(), pin=PIN, not_before=T0, expires=T0 + DAY)

    with pytest.raises(ServiceValidationError):
        await install(hass, forged)
    assert standard_lock.firmware.users == {}


async def test_only_an_administrator_installs_a_standard_lock(
    hass: HomeAssistant,
    standard_lock: SimulatedStandardLock,
    init_integration: MockConfigEntry,
    landlord: SigningKey,
    resident: MockUser,
) -> None:
    keys = await hub_keys(hass)
    with pytest.raises(Unauthorized):
        await hass.services.async_call(
            DOMAIN,
            "install_standard_lock",
            {"device": STANDARD_IEEE, "record": b64(installation_record(keys, landlord))},
            blocking=True,
            return_response=True,
            context=Context(user_id=resident.id),
        )
