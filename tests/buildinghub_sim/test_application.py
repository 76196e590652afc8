"""The simulated coordinator starts like a real one, with stable network settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import zigpy.types as t
import zigpy.zdo.types as zdo_t

from buildinghub_sim import SimulatedApplication, drop_medium, get_medium


def config(path: str) -> dict[str, Any]:
    return {"device": {"path": path}, "database_path": None, "ota": {"enabled": False}}


@pytest.fixture
async def path(request: pytest.FixtureRequest) -> AsyncIterator[str]:
    name = f"sim://{request.node.name}"
    yield name
    await drop_medium(name)


async def test_a_network_is_up_on_channel_15_with_the_coordinator_at_0x0000(path: str) -> None:
    app = await SimulatedApplication.new(config(path), auto_form=True)
    try:
        assert app.state.network_info.channel == 15
        assert app.state.node_info.nwk == 0x0000
        assert app.state.node_info.logical_type == zdo_t.LogicalType.Coordinator
        coordinator = app.get_device(nwk=0x0000)
        assert coordinator.is_initialized
        assert coordinator.model == "Simulated coordinator"
    finally:
        await app.shutdown()


async def test_network_settings_are_the_same_on_every_start(path: str) -> None:
    settings = []
    for _ in range(2):
        app = await SimulatedApplication.new(config(path), auto_form=True)
        settings.append((app.state.node_info, app.state.network_info))
        await app.shutdown()

    (first_node, first_network), (second_node, second_network) = settings
    assert first_node.ieee == second_node.ieee
    assert first_network.pan_id == second_network.pan_id
    assert first_network.extended_pan_id == second_network.extended_pan_id
    assert first_network.network_key.key == second_network.network_key.key


async def test_different_media_have_different_coordinators(path: str) -> None:
    app = await SimulatedApplication.new(config(path), auto_form=True)
    other = await SimulatedApplication.new(config(f"{path}-other"), auto_form=True)
    try:
        assert app.state.node_info.ieee != other.state.node_info.ieee
        assert app.state.network_info.pan_id != other.state.network_info.pan_id
    finally:
        await other.shutdown()
        await app.shutdown()
        await drop_medium(f"{path}-other")


async def test_written_network_settings_outlive_the_application(path: str) -> None:
    app = await SimulatedApplication.new(config(path), auto_form=True)
    network = app.state.network_info.replace(pan_id=t.PanId(0x1A2B))
    await app.write_network_info(network_info=network, node_info=app.state.node_info)
    await app.shutdown()

    restarted = await SimulatedApplication.new(config(path), auto_form=True)
    try:
        assert restarted.state.network_info.pan_id == 0x1A2B
    finally:
        await restarted.shutdown()


async def test_only_one_application_can_own_a_medium(path: str) -> None:
    app = await SimulatedApplication.new(config(path), auto_form=True)
    try:
        with pytest.raises(RuntimeError, match="already in use"):
            await SimulatedApplication.new(config(path), auto_form=True)
        assert get_medium(path).coordinator is app
    finally:
        await app.shutdown()


async def test_a_path_without_the_sim_scheme_is_refused() -> None:
    with pytest.raises(ValueError, match="sim://"):
        await SimulatedApplication.new(config("/dev/ttyUSB0"), auto_form=True)
