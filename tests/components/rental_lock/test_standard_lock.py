"""Standard Zigbee door locks (SPEC R15, R17) through Home Assistant and the simulated radio."""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError, Unauthorized
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    MockUser,
    async_fire_time_changed,
)
from zigpy.zcl.clusters.closures import OperationEvent, UserStatus, UserType

from buildinghub.credentials import SigningKey, decode_grant
from buildinghub.devices.lock_time import ZCL_EPOCH, LockTimeZone, to_zcl_time
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
    installed,
    joined,
    make_standard_lock,
    standard_grant,
)
from .test_grants import install

PIN = "482913"
T0 = int(START.timestamp())


@pytest.fixture(autouse=True)
async def time_zone(hass: HomeAssistant, request: pytest.FixtureRequest) -> str:
    """Home Assistant's time zone, before the hub starts (the harness's own, US/Pacific,
    unless a test names one)."""
    zone = str(getattr(request, "param", hass.config.time_zone))
    await hass.config.async_set_time_zone(zone)
    return zone


@pytest.fixture
def landlord(building: SimulatedBuilding) -> SigningKey:
    """The landlord of the flat whose door has the standard lock."""
    return building.landlords["landlord:ana"]


@pytest.fixture
def lock_capacity() -> int:
    """How many PIN users the standard lock holds."""
    return 4


@pytest.fixture
def lock_clock_error() -> int:
    """How many seconds the standard lock's own clock is ahead when it joins."""
    return 0


@pytest.fixture
async def standard_lock(
    building: SimulatedBuilding, lock_capacity: int, lock_clock_error: int
) -> AsyncGenerator[SimulatedStandardLock]:
    """A keypad deadbolt that joined the building network before the hub started."""
    lock = make_standard_lock(pin_users=lock_capacity, clock_error=lock_clock_error)
    building.medium.join(lock)
    yield lock
    lock.power_off()


@pytest.fixture
async def hub_running(
    hass: HomeAssistant,
    standard_lock: SimulatedStandardLock,
    init_integration: MockConfigEntry,
) -> HubKeys:
    """The hub running and the standard lock joined, not installed yet: the hub's keys."""
    await joined(hass, init_integration)
    return await hub_keys(hass)


@pytest.fixture
async def keys(hass: HomeAssistant, hub_running: HubKeys, landlord: SigningKey) -> HubKeys:
    """The hub running, the standard lock installed by its landlord through the hub."""
    await installed(hass, hub_running, landlord)
    return hub_running


async def give_pin(
    hass: HomeAssistant,
    keys: HubKeys,
    landlord: SigningKey,
    *,
    pin: str = PIN,
    start: int = T0,
    end: int = T0 + DAY,
    max_uses: int | None = None,
) -> bytes:
    """The landlord's grant with ``pin`` for the standard lock, installed through the hub."""
    grant = standard_grant(
        keys, landlord, pin=pin, not_before=start, expires=end, max_uses=max_uses
    )
    await install(hass, grant)
    return grant


async def restart(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """The hub starts again (after being stopped)."""
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await settle(hass)


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
    answer = await install(
        hass, standard_grant(keys, landlord, pin=PIN, not_before=T0 + HOUR, expires=T0 + 2 * HOUR)
    )

    assert answer["flat"] == "Flat 3A"
    firmware = standard_lock.firmware
    user = firmware.users[0]
    assert (user.code, user.status, user.user_type) == (
        PIN,
        UserStatus.Enabled,
        UserType.Year_Day_Schedule_User,
    )
    # In the lock's local time: the hub set its zone to Home Assistant's.
    zone = LockTimeZone.of_zone(ZoneInfo(hass.config.time_zone), T0)
    assert firmware.zone == zone
    assert firmware.schedules == {(0, 0): (zone.local(T0 + HOUR), zone.local(T0 + 2 * HOUR))}
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


@pytest.mark.parametrize("time_zone", ["Europe/Berlin"], indirect=True)
async def test_a_pin_opens_exactly_inside_its_window_across_a_daylight_saving_change(
    hass: HomeAssistant,
    keys: HubKeys,
    landlord: SigningKey,
    standard_lock: SimulatedStandardLock,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    # A weekend stay in Berlin across the spring change (01:00 UTC, 02:00 CET -> 03:00 CEST).
    start = datetime(2027, 3, 27, 15, tzinfo=UTC)
    end = datetime(2027, 3, 29, 9, tzinfo=UTC)
    await give_pin(hass, keys, landlord, start=int(start.timestamp()), end=int(end.timestamp()))
    assert (standard_lock.firmware.zone.time_zone, standard_lock.firmware.zone.dst_shift) == (
        HOUR,
        HOUR,
    )

    assert await hass.config_entries.async_unload(init_integration.entry_id)

    assert opened_at(standard_lock, freezer, start, end) == [False, False, True, True, False, False]


@pytest.mark.parametrize("lock_clock_error", [ZCL_EPOCH - T0, 2 * HOUR])
async def test_a_lock_whose_clock_is_wrong_is_set_by_the_hub(
    hass: HomeAssistant,
    keys: HubKeys,
    landlord: SigningKey,
    standard_lock: SimulatedStandardLock,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    # Factory-new at 2000-01-01, or two hours fast: the hub sets it when it takes the lock.
    start, end = START + timedelta(hours=1), START + timedelta(hours=3)
    await give_pin(hass, keys, landlord, start=T0 + HOUR, end=T0 + 3 * HOUR)
    assert standard_lock.firmware.utc() == to_zcl_time(T0)

    assert await hass.config_entries.async_unload(init_integration.entry_id)
    assert opened_at(standard_lock, freezer, start, end) == [False, False, True, True, False, False]


@pytest.mark.parametrize("time_zone", ["Europe/Berlin"], indirect=True)
async def test_when_a_daylight_saving_period_passes_the_lock_gets_the_next_and_its_schedules(
    hass: HomeAssistant,
    keys: HubKeys,
    landlord: SigningKey,
    standard_lock: SimulatedStandardLock,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    # Installed in November 2026, when the lock holds the 2027 summer; the stay is in 2028's.
    start = datetime(2028, 6, 2, 15, tzinfo=UTC)
    end = datetime(2028, 6, 4, 9, tzinfo=UTC)
    await give_pin(hass, keys, landlord, start=int(start.timestamp()), end=int(end.timestamp()))

    later = datetime(2027, 11, 1, 9, tzinfo=UTC)
    freezer.move_to(later)
    async_fire_time_changed(hass, later)
    await settle(hass)
    assert standard_lock.firmware.zone.dst_start == to_zcl_time(
        int(datetime(2028, 3, 26, 1, tzinfo=UTC).timestamp())
    )

    assert await hass.config_entries.async_unload(init_integration.entry_id)
    assert opened_at(standard_lock, freezer, start, end) == [False, False, True, True, False, False]


def opened_at(
    lock: SimulatedStandardLock, freezer: FrozenDateTimeFactory, start: datetime, end: datetime
) -> list[bool]:
    """Whether the PIN opens an hour and a second before the window, at its first and last
    second, and at its end and an hour after it."""
    second, hour = timedelta(seconds=1), timedelta(hours=1)
    opened = []
    for at in (start - hour, start - second, start, end - second, end, end + hour - second):
        freezer.move_to(at)
        opened.append(lock.keypad(PIN).code == OperationEvent.Unlock)
    return opened


async def test_access_events_name_the_grants_holder_and_the_guarantee(
    hass: HomeAssistant, keys: HubKeys, landlord: SigningKey, standard_lock: SimulatedStandardLock
) -> None:
    await give_pin(hass, keys, landlord, end=T0 + HOUR)

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
    grant = await give_pin(hass, keys, landlord)

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
    await give_pin(hass, keys, landlord, max_uses=2)
    assert (await type_pin(hass, standard_lock, PIN))["event_type"] == "access_granted"

    assert await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert 0 in standard_lock.firmware.users
    assert (await type_pin(hass, standard_lock, PIN))["event_type"] == "access_granted"
    await settle(hass)

    assert standard_lock.firmware.users == {}
    assert standard_lock.keypad(PIN).code == OperationEvent.UnlockFailureInvalidPINorID
    assert not any(i.startswith("standard_lock_uses_exceeded") for i in issue_ids(hass))


async def test_uses_made_while_the_hub_was_down_are_counted_from_the_locks_log(
    hass: HomeAssistant,
    keys: HubKeys,
    landlord: SigningKey,
    standard_lock: SimulatedStandardLock,
    init_integration: MockConfigEntry,
) -> None:
    grant = await give_pin(hass, keys, landlord, max_uses=2)
    assert standard_lock.firmware.logging_enabled
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    # The lock cannot count: it opens a third time while nobody listens.
    for _ in range(3):
        assert standard_lock.keypad(PIN).code == OperationEvent.Unlock

    await restart(hass, init_integration)

    assert standard_lock.firmware.users == {}
    assert standard_lock.keypad(PIN).code == OperationEvent.UnlockFailureInvalidPINorID
    grant_id = decode_grant(grant).grant.grant_id.hex()
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"standard_lock_uses_exceeded_{grant_id}")
    assert issue is not None
    assert issue.translation_placeholders == {
        "flat": "Flat 3A",
        "holder": "guest:flat-3a",
        "uses": "3",
        "max_uses": "2",
    }


async def test_one_use_made_while_the_hub_was_down_counts_towards_the_limit(
    hass: HomeAssistant,
    keys: HubKeys,
    landlord: SigningKey,
    standard_lock: SimulatedStandardLock,
    init_integration: MockConfigEntry,
) -> None:
    await give_pin(hass, keys, landlord, max_uses=2)
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    assert standard_lock.keypad(PIN).code == OperationEvent.Unlock

    await restart(hass, init_integration)
    assert 0 in standard_lock.firmware.users
    assert (await type_pin(hass, standard_lock, PIN))["event_type"] == "access_granted"
    await settle(hass)

    assert standard_lock.firmware.users == {}
    assert not any(i.startswith("standard_lock_uses_exceeded") for i in issue_ids(hass))


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
    await give_pin(hass, keys, landlord)
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    # While the hub is down: someone clears the hub's PIN and adds a code at the keypad.
    standard_lock.firmware.clear_pin_code(0)
    standard_lock.add_code_at_keypad(2, "5555")

    await restart(hass, init_integration)

    assert standard_lock.firmware.users[0].code == PIN
    assert standard_lock.keypad(PIN).code == OperationEvent.Unlock
    assert f"standard_lock_foreign_code_{STANDARD_IEEE}_2" in issue_ids(hass)
    assert f"standard_lock_drift_{STANDARD_IEEE}" not in issue_ids(hass)


@pytest.mark.parametrize("lock_capacity", [1])
async def test_the_standard_locks_capacity_is_respected(
    hass: HomeAssistant, keys: HubKeys, landlord: SigningKey, standard_lock: SimulatedStandardLock
) -> None:
    await give_pin(hass, keys, landlord)

    with pytest.raises(HomeAssistantError, match="at most 1 PIN users"):
        await give_pin(hass, keys, landlord, pin="112233")
    with pytest.raises(HomeAssistantError, match="PINs of 4 to 8 digits"):
        await give_pin(hass, keys, landlord, pin="1234567890")

    assert list(standard_lock.firmware.users) == [0]


async def test_no_pin_reaches_our_logs_even_at_debug(
    hass: HomeAssistant,
    keys: HubKeys,
    landlord: SigningKey,
    standard_lock: SimulatedStandardLock,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    ours = ("buildinghub", "buildinghub_ha", "custom_components.rental_lock")
    with caplog.at_level(logging.DEBUG):
        for name in ours:
            logging.getLogger(name).setLevel(logging.DEBUG)
        await give_pin(hass, keys, landlord, max_uses=1)
        await type_pin(hass, standard_lock, PIN)
        assert await hass.config_entries.async_reload(init_integration.entry_id)
        await hass.async_block_till_done()

    records = [r for r in caplog.records if r.name.startswith(ours)]
    assert records  # our loggers did speak at DEBUG
    assert not [r.name for r in records if PIN in r.getMessage()]


# -- who may install a standard lock (scope before signature) ------------------------------


async def test_a_record_that_does_not_make_the_hub_the_verifier_is_refused(
    hass: HomeAssistant, hub_running: HubKeys, landlord: SigningKey
) -> None:
    record = installation_record(hub_running, landlord, lock_key=SigningKey.generate().public_key)

    with pytest.raises(ServiceValidationError, match="this hub's key"):
        await install_standard_lock(hass, record)
    assert hass.states.get(STANDARD_LOCK_ENTITY) is None


async def test_a_record_for_a_lock_that_is_not_a_standard_lock_is_refused(
    hass: HomeAssistant, building: SimulatedBuilding, hub_running: HubKeys, landlord: SigningKey
) -> None:
    ours = str(building.flats[0].lock.ieee)

    with pytest.raises(ServiceValidationError, match="no standard door lock"):
        await install_standard_lock(hass, installation_record(hub_running, landlord), device=ours)


async def test_another_landlord_cannot_take_over_an_installed_standard_lock(
    hass: HomeAssistant, keys: HubKeys
) -> None:
    intruder = SigningKey.generate()

    with pytest.raises(ServiceValidationError, match="another landlord"):
        await install_standard_lock(hass, installation_record(keys, intruder))


async def test_a_standard_lock_cannot_take_another_doors_lock_id(
    hass: HomeAssistant, hub_running: HubKeys, landlord: SigningKey
) -> None:
    with pytest.raises(ServiceValidationError, match="already belongs"):
        await install_standard_lock(
            hass, installation_record(hub_running, landlord, lock_id="door-01")
        )


async def test_a_grant_for_the_standard_lock_signed_by_another_key_is_refused(
    hass: HomeAssistant, keys: HubKeys, standard_lock: SimulatedStandardLock
) -> None:
    with pytest.raises(ServiceValidationError):
        await give_pin(hass, keys, SigningKey.generate())
    assert standard_lock.firmware.users == {}


async def test_only_an_administrator_installs_a_standard_lock(
    hass: HomeAssistant, hub_running: HubKeys, landlord: SigningKey, resident: MockUser
) -> None:
    with pytest.raises(Unauthorized):
        await hass.services.async_call(
            DOMAIN,
            "install_standard_lock",
            {"device": STANDARD_IEEE, "record": b64(installation_record(hub_running, landlord))},
            blocking=True,
            return_response=True,
            context=Context(user_id=resident.id),
        )
