"""Standard Zigbee door locks (SPEC R15, R17) through Home Assistant and the simulated radio."""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator
from dataclasses import dataclass
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


@dataclass
class StandardDoor:
    """Flat 3A's door with its installed standard lock, as the people around it use it."""

    hass: HomeAssistant
    keys: HubKeys
    landlord: SigningKey
    lock: SimulatedStandardLock
    entry: MockConfigEntry

    async def give_pin(
        self,
        *,
        pin: str = PIN,
        start: int = T0,
        end: int = T0 + DAY,
        max_uses: int | None = None,
        signer: SigningKey | None = None,
    ) -> bytes:
        """The landlord's grant with ``pin``, installed through the hub."""
        grant = standard_grant(
            self.keys,
            signer or self.landlord,
            pin=pin,
            not_before=start,
            expires=end,
            max_uses=max_uses,
        )
        await install(self.hass, grant)
        return grant

    def keypad(self, pin: str = PIN) -> OperationEvent:
        """Someone types ``pin`` at the lock: what the lock does (whether the hub runs or not)."""
        return self.lock.keypad(pin).code

    async def type_pin(self, pin: str = PIN) -> dict[str, object]:
        """Someone types ``pin``; what the door's access event entity shows."""
        self.lock.keypad(pin)
        await settle(self.hass)
        state = self.hass.states.get(STANDARD_EVENT)
        assert state is not None
        return dict(state.attributes)

    async def stop_hub(self) -> None:
        """The hub stops; the lock carries on alone."""
        assert await self.hass.config_entries.async_unload(self.entry.entry_id)

    async def start_hub(self) -> None:
        """The hub starts again."""
        assert await self.hass.config_entries.async_setup(self.entry.entry_id)
        await self.hass.async_block_till_done()
        await settle(self.hass)

    def opened_at(
        self, freezer: FrozenDateTimeFactory, start: datetime, end: datetime
    ) -> list[bool]:
        """Whether the PIN opens an hour and a second before the window, at its first and
        last second, and at its end and an hour after it."""
        second, hour = timedelta(seconds=1), timedelta(hours=1)
        opened = []
        for at in (start - hour, start - second, start, end - second, end, end + hour - second):
            freezer.move_to(at)
            opened.append(self.keypad() == OperationEvent.Unlock)
        return opened


@pytest.fixture
async def door(
    hass: HomeAssistant,
    keys: HubKeys,
    landlord: SigningKey,
    standard_lock: SimulatedStandardLock,
    init_integration: MockConfigEntry,
) -> StandardDoor:
    """The standard lock installed by its landlord, the hub running."""
    return StandardDoor(hass, keys, landlord, standard_lock, init_integration)


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
    hass: HomeAssistant, door: StandardDoor, freezer: FrozenDateTimeFactory
) -> None:
    await door.give_pin(start=T0 + HOUR, end=T0 + 2 * HOUR)

    firmware = door.lock.firmware
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
    await door.stop_hub()
    opened = door.opened_at(freezer, START + timedelta(hours=1), START + timedelta(hours=2))
    assert opened == [False, False, True, True, False, False]


@pytest.mark.parametrize("time_zone", ["Europe/Berlin"], indirect=True)
async def test_a_pin_opens_exactly_inside_its_window_across_a_daylight_saving_change(
    door: StandardDoor, freezer: FrozenDateTimeFactory
) -> None:
    # A weekend stay in Berlin across the spring change (01:00 UTC, 02:00 CET -> 03:00 CEST).
    start = datetime(2027, 3, 27, 15, tzinfo=UTC)
    end = datetime(2027, 3, 29, 9, tzinfo=UTC)
    await door.give_pin(start=int(start.timestamp()), end=int(end.timestamp()))
    zone = door.lock.firmware.zone
    assert (zone.time_zone, zone.dst_shift) == (HOUR, HOUR)

    await door.stop_hub()

    assert door.opened_at(freezer, start, end) == [False, False, True, True, False, False]


@pytest.mark.parametrize("lock_clock_error", [ZCL_EPOCH - T0, 2 * HOUR])
async def test_a_lock_whose_clock_is_wrong_is_set_by_the_hub(
    door: StandardDoor, freezer: FrozenDateTimeFactory
) -> None:
    # Factory-new at 2000-01-01, or two hours fast: the hub sets it when it takes the lock.
    await door.give_pin(start=T0 + HOUR, end=T0 + 3 * HOUR)
    assert door.lock.firmware.utc() == to_zcl_time(T0)

    await door.stop_hub()

    opened = door.opened_at(freezer, START + timedelta(hours=1), START + timedelta(hours=3))
    assert opened == [False, False, True, True, False, False]


@pytest.mark.parametrize("time_zone", ["Europe/Berlin"], indirect=True)
async def test_when_a_daylight_saving_period_passes_the_lock_gets_the_next_and_its_schedules(
    hass: HomeAssistant, door: StandardDoor, freezer: FrozenDateTimeFactory
) -> None:
    # Installed in November 2026, when the lock holds the 2027 summer; the stay is in 2028's.
    start = datetime(2028, 6, 2, 15, tzinfo=UTC)
    end = datetime(2028, 6, 4, 9, tzinfo=UTC)
    await door.give_pin(start=int(start.timestamp()), end=int(end.timestamp()))

    later = datetime(2027, 11, 1, 9, tzinfo=UTC)
    freezer.move_to(later)
    async_fire_time_changed(hass, later)
    await settle(hass)
    assert door.lock.firmware.zone.dst_start == to_zcl_time(
        int(datetime(2028, 3, 26, 1, tzinfo=UTC).timestamp())
    )

    await door.stop_hub()
    assert door.opened_at(freezer, start, end) == [False, False, True, True, False, False]


async def test_access_events_name_the_grants_holder_and_the_guarantee(door: StandardDoor) -> None:
    await door.give_pin(end=T0 + HOUR)

    opened = await door.type_pin()
    wrong = await door.type_pin("000000")

    assert opened["event_type"] == "access_granted"
    assert opened["holder"] == "guest:flat-3a"
    assert opened["method"] == "keypad"
    assert opened["guarantee"] == "enforced by the lock's schedule, verified by the hub"
    assert wrong["event_type"] == "access_denied"
    assert wrong["reason"] == "wrong_pin"
    assert wrong["holder"] is None


async def test_a_revoked_grant_clears_its_pin_at_the_standard_lock(
    hass: HomeAssistant, door: StandardDoor
) -> None:
    grant = await door.give_pin()

    await hass.services.async_call(
        DOMAIN,
        "revoke_grant",
        {"grant_id": decode_grant(grant).grant.grant_id.hex()},
        blocking=True,
    )

    assert door.lock.firmware.users == {}
    assert door.keypad() == OperationEvent.UnlockFailureInvalidPINorID


async def test_a_pin_used_max_uses_times_is_cleared_and_the_count_survives_a_restart(
    hass: HomeAssistant, door: StandardDoor
) -> None:
    await door.give_pin(max_uses=2)
    assert (await door.type_pin())["event_type"] == "access_granted"

    assert await hass.config_entries.async_reload(door.entry.entry_id)
    await hass.async_block_till_done()
    assert 0 in door.lock.firmware.users
    assert (await door.type_pin())["event_type"] == "access_granted"
    await settle(hass)

    assert door.lock.firmware.users == {}
    assert door.keypad() == OperationEvent.UnlockFailureInvalidPINorID
    assert not any(i.startswith("standard_lock_uses_exceeded") for i in issue_ids(hass))


async def test_uses_made_while_the_hub_was_down_are_counted_from_the_locks_log(
    hass: HomeAssistant, door: StandardDoor
) -> None:
    grant = await door.give_pin(max_uses=2)
    assert door.lock.firmware.logging_enabled
    await door.stop_hub()
    # The lock cannot count: it opens a third time while nobody listens.
    assert [door.keypad() for _ in range(3)] == [OperationEvent.Unlock] * 3

    await door.start_hub()

    assert door.lock.firmware.users == {}
    assert door.keypad() == OperationEvent.UnlockFailureInvalidPINorID
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
    hass: HomeAssistant, door: StandardDoor
) -> None:
    await door.give_pin(max_uses=2)
    await door.stop_hub()
    assert door.keypad() == OperationEvent.Unlock

    await door.start_hub()
    assert 0 in door.lock.firmware.users
    assert (await door.type_pin())["event_type"] == "access_granted"
    await settle(hass)

    assert door.lock.firmware.users == {}
    assert not any(i.startswith("standard_lock_uses_exceeded") for i in issue_ids(hass))


async def test_a_code_added_at_the_keypad_raises_a_repair(
    hass: HomeAssistant, door: StandardDoor
) -> None:
    door.lock.add_code_at_keypad(3, "9999")
    await settle(hass)

    assert f"standard_lock_foreign_code_{STANDARD_IEEE}_3" in issue_ids(hass)


async def test_drift_found_on_start_is_repaired_or_raised(
    hass: HomeAssistant, door: StandardDoor
) -> None:
    await door.give_pin()
    await door.stop_hub()
    # While the hub is down: someone clears the hub's PIN and adds a code at the keypad.
    door.lock.firmware.clear_pin_code(0)
    door.lock.add_code_at_keypad(2, "5555")

    await door.start_hub()

    assert door.lock.firmware.users[0].code == PIN
    assert door.keypad() == OperationEvent.Unlock
    assert f"standard_lock_foreign_code_{STANDARD_IEEE}_2" in issue_ids(hass)
    assert f"standard_lock_drift_{STANDARD_IEEE}" not in issue_ids(hass)


@pytest.mark.parametrize("lock_capacity", [1])
async def test_the_standard_locks_capacity_is_respected(door: StandardDoor) -> None:
    await door.give_pin()

    with pytest.raises(HomeAssistantError, match="at most 1 PIN users"):
        await door.give_pin(pin="112233")
    with pytest.raises(HomeAssistantError, match="PINs of 4 to 8 digits"):
        await door.give_pin(pin="1234567890")

    assert list(door.lock.firmware.users) == [0]


async def test_no_pin_reaches_our_logs_even_at_debug(
    hass: HomeAssistant, door: StandardDoor, caplog: pytest.LogCaptureFixture
) -> None:
    ours = ("buildinghub", "buildinghub_ha", "custom_components.rental_lock")
    with caplog.at_level(logging.DEBUG):
        for name in ours:
            logging.getLogger(name).setLevel(logging.DEBUG)
        await door.give_pin(max_uses=1)
        await door.type_pin()
        assert await hass.config_entries.async_reload(door.entry.entry_id)
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
    door: StandardDoor,
) -> None:
    with pytest.raises(ServiceValidationError):
        await door.give_pin(signer=SigningKey.generate())
    assert door.lock.firmware.users == {}


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
