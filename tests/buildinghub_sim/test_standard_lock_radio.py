"""The hub's standard-lock client against the simulated ZCL Door Lock, over real zigpy."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import pytest
import zigpy.device
import zigpy.types as t
from zigpy.zcl.clusters.closures import (
    DoorLock,
    OperationEvent,
    OperationEventSource,
    ProgrammingEvent,
)

from buildinghub.devices.door_lock_protocol import AccessMethod
from buildinghub.devices.kinds import DeviceKind, device_kind
from buildinghub.devices.lock_time import LockTimeZone
from buildinghub.devices.pin_users import LockCapacity
from buildinghub.devices.standard_lock import (
    LockOperation,
    LockProgramming,
    StandardLockClient,
    StandardLockRefused,
)
from buildinghub.radio.network import BuildingNetwork
from buildinghub_sim.medium import drop_medium, get_medium
from buildinghub_sim.standard_lock import SimulatedStandardLock
from buildinghub_sim.zcl_lock_firmware import ZclLockFirmware

NOW = 1_767_225_600  # 2026-01-01T00:00:00Z
HOUR = 3600
PIN = "482915"


def at_lock(start: int, end: int) -> tuple[int, int]:
    """A window as a factory-new lock's schedule (its zone is UTC until the hub sets it)."""
    return LockTimeZone().local_window(start, end)


class Clock:
    """The building's time, set by the test."""

    def __init__(self, now: int) -> None:
        self.time = now

    def now(self) -> int:
        return self.time


@dataclass
class Site:
    clock: Clock
    lock: SimulatedStandardLock
    client: StandardLockClient
    device: zigpy.device.Device

    @property
    def firmware(self) -> ZclLockFirmware:
        return self.lock.firmware


@pytest.fixture
async def site(request: pytest.FixtureRequest) -> AsyncIterator[Site]:
    path = f"sim://standard-lock-{request.node.name}"
    clock = Clock(NOW)
    lock = SimulatedStandardLock(
        ZclLockFirmware(clock=clock, pin_users=3, wrong_code_entry_limit=3),
        ieee="00:0d:6f:00:00:00:00:01",
        nwk=0x2001,
    )
    network = BuildingNetwork(path)
    try:
        await network.start()
        joined: asyncio.Future[zigpy.device.Device] = asyncio.get_running_loop().create_future()

        class Listener:
            def device_initialized(self, device: zigpy.device.Device) -> None:
                if not joined.done():
                    joined.set_result(device)

        network.add_listener(Listener())
        get_medium(path).join(lock)
        async with asyncio.timeout(5):
            device = await joined
        yield Site(clock, lock, StandardLockClient(device, clock=clock), device)
    finally:
        lock.power_off()
        await network.stop()
        await drop_medium(path)


async def heard(
    client: StandardLockClient, action: Callable[[], object]
) -> tuple[list[LockOperation], list[LockProgramming]]:
    """Run ``action`` and collect what the lock says over the radio meanwhile."""
    operations: list[LockOperation] = []
    programming: list[LockProgramming] = []
    stop = client.add_event_listener(operations.append, programming.append)
    try:
        result = action()
        if asyncio.iscoroutine(result):
            await result
        for _ in range(50):
            await asyncio.sleep(0.01)
            if operations or programming:
                await asyncio.sleep(0.05)
                break
    finally:
        stop()
    return operations, programming


async def test_the_lock_is_a_door_lock_without_our_cluster(site: Site) -> None:
    assert DoorLock.cluster_id in site.device.endpoints[1].in_clusters
    assert device_kind(site.device) is DeviceKind.DOOR_LOCK


async def test_the_hub_reads_the_locks_capacity(site: Site) -> None:
    assert await site.client.read_capacity() == LockCapacity(
        pin_users=3, schedules_per_user=1, min_pin_length=4, max_pin_length=8
    )


async def test_a_pin_user_with_a_year_day_schedule_opens_only_inside_its_window(
    site: Site,
) -> None:
    await site.client.write_pin_user(1, PIN, *at_lock(NOW + HOUR, NOW + 2 * HOUR))

    assert site.lock.keypad(PIN).code == OperationEvent.UnlockFailureInvalidSchedule
    site.clock.time = NOW + HOUR + 1
    assert site.lock.keypad(PIN).code == OperationEvent.Unlock
    site.clock.time = NOW + 2 * HOUR
    assert site.lock.keypad(PIN).code == OperationEvent.UnlockFailureInvalidSchedule


async def test_the_user_table_reads_back_as_written(site: Site) -> None:
    await site.client.write_pin_user(2, PIN, *at_lock(NOW, NOW + HOUR))

    user = await site.client.read_user(2)

    assert (user.enabled, user.scheduled, user.code, user.schedule) == (
        True,
        True,
        PIN,
        at_lock(NOW, NOW + HOUR),
    )
    assert PIN not in repr(user)
    empty = await site.client.read_user(0)
    assert (empty.code, empty.schedule, empty.enabled) == ("", None, False)


async def test_a_cleared_pin_no_longer_opens(site: Site) -> None:
    await site.client.write_pin_user(0, PIN, *at_lock(NOW - HOUR, NOW + HOUR))
    await site.client.clear_pin_user(0)

    assert site.lock.keypad(PIN).code == OperationEvent.UnlockFailureInvalidPINorID
    assert site.firmware.schedules == {}


async def test_a_pin_outside_the_locks_lengths_is_refused_by_the_lock(site: Site) -> None:
    with pytest.raises(StandardLockRefused, match="set the PIN user"):
        await site.client.write_pin_user(0, "123456789", *at_lock(NOW, NOW + HOUR))
    with pytest.raises(StandardLockRefused):
        await site.client.write_pin_user(3, PIN, *at_lock(NOW, NOW + HOUR))


async def test_a_keypad_opening_is_reported_with_its_user_and_source(site: Site) -> None:
    await site.client.write_pin_user(1, PIN, *at_lock(NOW - HOUR, NOW + HOUR))

    operations, _ = await heard(site.client, lambda: site.lock.keypad(PIN))

    assert operations == [
        LockOperation(
            method=AccessMethod.KEYPAD, granted=True, reason="ok", user_id=1, at=site.clock.now()
        )
    ]


async def test_a_code_added_at_the_keypad_is_a_programming_event(site: Site) -> None:
    _, programming = await heard(site.client, lambda: site.lock.add_code_at_keypad(2, "1111"))

    assert programming == [
        LockProgramming(
            source=OperationEventSource.Keypad, event=ProgrammingEvent.PINCodeAdded, user_id=2
        )
    ]


async def test_wrong_codes_lock_the_keypad_for_the_disable_time(site: Site) -> None:
    await site.client.write_pin_user(0, PIN, *at_lock(NOW - HOUR, NOW + 2 * HOUR))
    for _ in range(3):
        site.lock.keypad("0000")

    refused = site.lock.keypad(PIN)
    site.clock.time = NOW + 61
    opened = site.lock.keypad(PIN)

    assert refused.code == OperationEvent.UnlockFailureInvalidPINorID
    assert opened.code == OperationEvent.Unlock


async def test_the_wrong_code_limit_written_by_radio_takes_effect(site: Site) -> None:
    await site.client.write_pin_user(0, PIN, *at_lock(NOW - HOUR, NOW + 2 * HOUR))
    door = site.device.endpoints[1].in_clusters[DoorLock.cluster_id]
    await door.write_attributes({"wrong_code_entry_limit": 1})

    site.lock.keypad("0000")

    assert site.lock.keypad(PIN).code == OperationEvent.UnlockFailureInvalidPINorID


async def test_a_manual_opening_carries_no_user(site: Site) -> None:
    operations, _ = await heard(site.client, site.firmware.turn_thumbturn)

    assert [(o.method, o.granted, o.user_id) for o in operations] == [
        (AccessMethod.MANUAL, True, None)
    ]


def test_an_ieee_is_what_the_lock_says() -> None:
    lock = SimulatedStandardLock(
        ZclLockFirmware(clock=Clock(NOW)), ieee="00:0d:6f:00:00:00:00:09", nwk=0x2009
    )
    assert lock.ieee == t.EUI64.convert("00:0d:6f:00:00:00:00:09")


async def test_the_zone_written_to_the_time_cluster_moves_the_schedule(site: Site) -> None:
    paris = LockTimeZone(time_zone=HOUR)
    await site.client.write_time_zone(paris)
    assert await site.client.read_time_zone() == paris
    await site.client.write_pin_user(0, PIN, *paris.local_window(NOW + HOUR, NOW + 2 * HOUR))

    site.clock.time = NOW + HOUR - 1
    assert site.lock.keypad(PIN).code == OperationEvent.UnlockFailureInvalidSchedule
    site.clock.time = NOW + HOUR
    assert site.lock.keypad(PIN).code == OperationEvent.Unlock
    site.clock.time = NOW + 2 * HOUR
    assert site.lock.keypad(PIN).code == OperationEvent.UnlockFailureInvalidSchedule


async def test_the_log_keeps_the_last_events_once_enabled(site: Site) -> None:
    site.lock.keypad(PIN)
    assert await site.client.read_log_entry(0) is None  # logging is off from the factory

    assert await site.client.enable_log() == 16
    await site.client.write_pin_user(1, PIN, *at_lock(NOW - HOUR, NOW + HOUR))
    for _ in range(16):
        site.lock.keypad(PIN)

    newest = await site.client.read_log_entry(0)
    assert newest is not None
    assert (newest.entry_id, newest.opened, newest.user_id) == (17, True, 1)
    assert newest.local_time == site.firmware.now()
    assert await site.client.read_log_entry(1) is None  # overwritten
    second = await site.client.read_log_entry(2)
    assert second is not None
    assert (second.opened, second.user_id) == (True, 1)
