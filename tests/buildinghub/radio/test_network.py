"""One building network per radio: started, shared, stopped, and honest about failures."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Final

import pytest
import zigpy.device
import zigpy.types as t
import zigpy.zdo.types as zdo_t
from zigpy.zcl.clusters.general import Basic, OnOff

from buildinghub.radio import (
    BuildingNetwork,
    NetworkRegistry,
    RadioError,
    RadioUnavailable,
    probe_radio,
)
from buildinghub_sim import SimulatedApplication, VirtualDevice, VirtualEndpoint, drop_medium
from buildinghub_sim import get_medium as medium_at
from tests.buildinghub.zigbee import Initialized

MISSING_SERIAL_PORT: Final = "/dev/nonexistent-ezsp"


def make_device() -> VirtualDevice:
    return VirtualDevice(
        ieee=t.EUI64.convert("00:0d:6f:00:00:00:00:01"),
        nwk=0x3B10,
        manufacturer="Building Hub",
        model="Test meter",
        manufacturer_code=0x1234,
        logical_type=zdo_t.LogicalType.Router,
        endpoints=[
            VirtualEndpoint(
                id=1, device_type=0x0051, input_clusters=(Basic.cluster_id, OnOff.cluster_id)
            )
        ],
        attributes={(1, OnOff.cluster_id): {"on_off": True}},
    )


@pytest.fixture
async def path(request: pytest.FixtureRequest) -> AsyncIterator[str]:
    name = f"sim://{request.node.name}"
    yield name
    await drop_medium(name)


@pytest.fixture
async def network(path: str) -> AsyncIterator[BuildingNetwork]:
    building = BuildingNetwork(path)
    await building.start()
    yield building
    await building.stop()


async def join(network: BuildingNetwork, device: VirtualDevice) -> zigpy.device.Device:
    initialized = Initialized()
    network.add_listener(initialized)
    medium_at(network.path).join(device)
    try:
        return await asyncio.wait_for(initialized.device, timeout=5)
    finally:
        network.remove_listener(initialized)


async def test_a_sim_path_runs_the_simulated_coordinator(network: BuildingNetwork) -> None:
    assert network.running
    assert isinstance(network.application, SimulatedApplication)
    assert network.devices() == []


async def test_devices_lists_interviewed_devices_without_the_coordinator(
    network: BuildingNetwork,
) -> None:
    joined = await join(network, make_device())

    assert network.devices() == [joined]
    assert joined.model == "Test meter"


async def test_a_listener_added_before_start_hears_joins(path: str) -> None:
    building = BuildingNetwork(path)
    initialized = Initialized()
    building.add_listener(initialized)
    await building.start()
    try:
        medium_at(path).join(make_device())
        device = await asyncio.wait_for(initialized.device, timeout=5)
        assert device.manufacturer == "Building Hub"
    finally:
        await building.stop()


async def test_a_stopped_network_has_no_application(network: BuildingNetwork) -> None:
    await network.stop()

    assert not network.running
    assert medium_at(network.path).coordinator is None
    with pytest.raises(RadioError, match="not running"):
        _ = network.application


async def test_permitting_joins_is_bounded_by_zigbee(network: BuildingNetwork) -> None:
    await network.permit(60)

    with pytest.raises(ValueError, match="0-254"):
        await network.permit(255)


async def test_probing_a_sim_radio_opens_and_closes_it(path: str) -> None:
    await probe_radio(path)

    assert medium_at(path).coordinator is None


async def test_probing_a_missing_serial_port_fails_at_once() -> None:
    started = time.monotonic()

    with pytest.raises(RadioUnavailable, match=MISSING_SERIAL_PORT) as raised:
        await probe_radio(MISSING_SERIAL_PORT)

    assert time.monotonic() - started < 2
    assert "No such file or directory" in raised.value.reason


async def test_starting_on_a_missing_serial_port_is_radio_unavailable() -> None:
    building = BuildingNetwork(MISSING_SERIAL_PORT)

    with pytest.raises(RadioUnavailable, match=MISSING_SERIAL_PORT):
        await building.start()
    assert not building.running


async def test_a_radio_in_use_cannot_be_started_twice(network: BuildingNetwork) -> None:
    with pytest.raises(RadioUnavailable, match="already in use"):
        await BuildingNetwork(network.path).start()


async def test_the_registry_shares_one_network_and_stops_it_after_the_last_release(
    path: str,
) -> None:
    registry = NetworkRegistry()

    first = await registry.acquire(path)
    second = await registry.acquire(path)
    assert second is first

    await registry.release(first)
    assert first.running
    await registry.release(second)
    assert not first.running


async def test_concurrent_acquirers_get_the_same_started_network(path: str) -> None:
    registry = NetworkRegistry()

    first, second = await asyncio.gather(registry.acquire(path), registry.acquire(path))

    assert first is second
    assert first.running
    await registry.release(first)
    await registry.release(second)
    assert not first.running


async def test_the_registry_probe_accepts_a_radio_it_is_running(path: str) -> None:
    registry = NetworkRegistry()
    held = await registry.acquire(path)
    try:
        await registry.probe(path)
        with pytest.raises(RadioUnavailable):
            await probe_radio(path)
    finally:
        await registry.release(held)


async def test_a_network_held_with_one_database_cannot_be_acquired_with_another(
    path: str, tmp_path: Path
) -> None:
    registry = NetworkRegistry()
    held = await registry.acquire(path)
    try:
        with pytest.raises(ValueError, match="already open"):
            await registry.acquire(path, database_path=str(tmp_path / "other.db"))
    finally:
        await registry.release(held)


async def test_devices_survive_a_restart_when_the_database_is_a_file(
    path: str, tmp_path: Path
) -> None:
    database = str(tmp_path / "zigbee.db")
    first = BuildingNetwork(path, database_path=database)
    await first.start()
    await join(first, make_device())
    await first.stop()
    answers_before = medium_at(path).stats.to_hub.frames

    second = BuildingNetwork(path, database_path=database)
    await second.start()
    try:
        (device,) = second.devices()
        assert (device.manufacturer, device.model) == ("Building Hub", "Test meter")
        assert sorted(device.endpoints[1].in_clusters) == [Basic.cluster_id, OnOff.cluster_id]
        # Known from the database, not interviewed again.
        assert medium_at(path).stats.to_hub.frames == answers_before
        assert await device.endpoints[1].on_off.read_attributes(["on_off"]) == (
            {"on_off": t.Bool.true},
            {},
        )
    finally:
        await second.stop()


async def test_stopping_during_an_interview_ends_it_without_an_error(
    network: BuildingNetwork, caplog: pytest.LogCaptureFixture
) -> None:
    loop = asyncio.get_running_loop()
    unhandled: list[dict[str, object]] = []
    loop.set_exception_handler(lambda _, context: unhandled.append(context))
    medium = medium_at(network.path)
    # The device hears the interview but none of its answers reach the hub.
    medium.drop_next(100, direction="to_hub", error=False)
    medium.join(make_device())
    await asyncio.sleep(0.05)
    coordinator = network.application.state.node_info.ieee
    (interviewed,) = [d for d in network.application.devices.values() if d.ieee != coordinator]
    assert interviewed.initializing

    await network.stop()
    await asyncio.sleep(0.05)

    assert not interviewed.initializing
    assert unhandled == []
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_a_started_network_runs_no_neighbour_scans(network: BuildingNetwork) -> None:
    # zigpy's periodic topology scan costs air time, and one cancelled mid-scan kept a
    # stopping hub waiting a whole scan period; nothing of ours reads neighbour tables.
    topology = network.application.topology

    await asyncio.sleep(0.2)

    assert topology._scan_loop_task is None
    assert topology._scan_task is None
