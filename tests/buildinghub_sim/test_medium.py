"""The simulated air enforces a real radio's limits and injects a real network's faults."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any, Final

import pytest
import zigpy.device
import zigpy.exceptions
import zigpy.types as t
import zigpy.zdo.types as zdo_t
from zigpy.zcl import foundation
from zigpy.zcl.clusters.general import Basic, OnOff

from buildinghub_sim import (
    MAX_APS_PAYLOAD,
    Medium,
    SimulatedApplication,
    VirtualDevice,
    VirtualEndpoint,
    drop_medium,
    get_medium,
)
from tests.buildinghub.zigbee import Initialized

SHORT_TIMEOUT: Final = 0.2


class RecordingDevice(VirtualDevice):
    """Keeps the ZCL payload of every cluster command it handles."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.commands: list[foundation.CommandSchema] = []

    async def handle_cluster_command(
        self,
        endpoint_id: int,
        cluster_id: int,
        header: foundation.ZCLHeader,
        command: foundation.ZCLCommandDef,
        args: foundation.CommandSchema,
    ) -> None:
        self.commands.append(args)


def make_device(nwk: int = 0x2A01) -> RecordingDevice:
    return RecordingDevice(
        ieee=t.EUI64([0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, nwk & 0xFF]),
        nwk=nwk,
        manufacturer="Building Hub",
        model="Test plug",
        manufacturer_code=0x1234,
        # A router, so that zigpy honours the short per-request timeouts below.
        logical_type=zdo_t.LogicalType.Router,
        endpoints=[
            VirtualEndpoint(
                id=1, device_type=0x0051, input_clusters=(Basic.cluster_id, OnOff.cluster_id)
            )
        ],
        attributes={(1, OnOff.cluster_id): {"on_off": True}},
    )


@pytest.fixture
async def app(request: pytest.FixtureRequest) -> AsyncIterator[SimulatedApplication]:
    """A started hub. zigpy 2 retries a failed request twice by itself: the tests that
    watch one injected fault ask for ``retries=0``, so each fault is seen once."""
    path = f"sim://{request.node.name}"
    application = await SimulatedApplication.new(
        {"device": {"path": path}, "database_path": None, "ota": {"enabled": False}},
        auto_form=True,
        start_radio=True,
    )
    yield application
    await application.shutdown()
    await drop_medium(path)


@pytest.fixture
def device() -> RecordingDevice:
    return make_device()


@pytest.fixture
async def on_off(app: SimulatedApplication, device: RecordingDevice) -> Any:
    """The hub's OnOff cluster of ``device``, after zigpy's join and interview."""
    joined = Initialized()
    app.add_listener(joined)
    app.medium.join(device)
    hub_device = await asyncio.wait_for(joined.device, timeout=5)
    return hub_device.endpoints[1].on_off


async def test_a_frame_over_the_aps_limit_is_refused_and_never_reaches_the_device(
    app: SimulatedApplication, device: RecordingDevice, on_off: Any
) -> None:
    crossed_before = app.medium.stats.to_device.frames
    too_long = foundation.Attribute(
        attrid=0x4000,
        value=foundation.TypeValue(
            type=foundation.DataTypeId.octstr, value=t.LVBytes(b"x" * MAX_APS_PAYLOAD)
        ),
    )

    with pytest.raises(zigpy.exceptions.DeliveryError, match="exceeds the 82-byte limit"):
        await on_off.write_attributes_raw([too_long], retries=0)

    assert app.medium.stats.to_device.frames == crossed_before
    assert app.medium.stats.to_device.refused == 1


async def test_an_unacknowledged_frame_fails_once_and_the_next_send_works(
    app: SimulatedApplication, on_off: Any
) -> None:
    app.medium.drop_next(error=True)

    with pytest.raises(zigpy.exceptions.DeliveryError):
        await on_off.read_attributes(["on_off"], retries=0)
    assert await on_off.read_attributes(["on_off"], retries=0) == ({"on_off": t.Bool.true}, {})
    assert app.medium.stats.to_device.dropped == 1


async def test_zigpy_retries_hide_a_single_unacknowledged_frame(
    request: pytest.FixtureRequest,
) -> None:
    path = f"sim://{request.node.name}"
    application = await SimulatedApplication.new(
        {"device": {"path": path}, "database_path": None, "ota": {"enabled": False}},
        auto_form=True,
    )
    try:
        joined = Initialized()
        application.add_listener(joined)
        application.medium.join(make_device())
        hub_device = await asyncio.wait_for(joined.device, timeout=5)
        application.medium.drop_next(error=True)

        success, _ = await hub_device.endpoints[1].on_off.read_attributes(["on_off"])

        assert success == {"on_off": t.Bool.true}
        assert application.medium.stats.to_device.dropped == 1
    finally:
        await application.shutdown()
        await drop_medium(path)


async def test_a_silently_lost_request_times_out(app: SimulatedApplication, on_off: Any) -> None:
    app.medium.drop_next(error=False)

    with pytest.raises(TimeoutError):
        await on_off.read_attributes(["on_off"], timeout=SHORT_TIMEOUT, retries=0)
    assert await on_off.read_attributes(["on_off"]) == ({"on_off": t.Bool.true}, {})


async def test_a_silently_lost_answer_times_out(app: SimulatedApplication, on_off: Any) -> None:
    app.medium.drop_next(direction="to_hub", error=False)

    with pytest.raises(TimeoutError):
        await on_off.read_attributes(["on_off"], timeout=SHORT_TIMEOUT, retries=0)
    assert app.medium.stats.to_hub.dropped == 1


async def test_tampering_changes_what_the_device_receives(
    app: SimulatedApplication, device: RecordingDevice, on_off: Any
) -> None:
    # The last byte of an on_with_timed_off frame is the high byte of off_wait_time.
    app.medium.tamper_next(lambda data: data[:-1] + b"\x01")

    await on_off.on_with_timed_off(on_off_control=0, on_time=10, off_wait_time=5)

    assert device.commands[0].off_wait_time == 5 + 0x100


async def test_an_offline_device_cannot_be_reached_until_it_is_back(
    app: SimulatedApplication, device: RecordingDevice, on_off: Any
) -> None:
    app.medium.set_online(device.ieee, False)
    with pytest.raises(zigpy.exceptions.DeliveryError, match="offline"):
        await on_off.read_attributes(["on_off"])

    app.medium.set_online(device.ieee, True)
    assert await on_off.read_attributes(["on_off"]) == ({"on_off": t.Bool.true}, {})


async def test_a_device_over_the_aps_limit_gets_a_delivery_error(
    app: SimulatedApplication, device: RecordingDevice, on_off: Any
) -> None:
    too_long = t.LVBytes(b"x" * MAX_APS_PAYLOAD)

    with pytest.raises(zigpy.exceptions.DeliveryError, match="exceeds the 82-byte limit"):
        await device.report_attributes(1, OnOff.cluster_id, {0x4100: too_long})

    assert app.medium.stats.to_hub.refused == 1


async def test_stats_count_the_frames_and_bytes_that_crossed(
    app: SimulatedApplication, on_off: Any
) -> None:
    before_out = app.medium.stats.to_device.frames
    before_in = app.medium.stats.to_hub.frames
    crossed: list[bytes] = []

    def capture(data: bytes) -> bytes:
        crossed.append(data)
        return data

    app.medium.tamper_next(capture)
    await on_off.read_attributes(["on_off"])

    assert app.medium.stats.to_device.frames == before_out + 1
    assert app.medium.stats.to_hub.frames == before_in + 1
    # Header (3 bytes) and one attribute id (2 bytes).
    assert len(crossed[0]) == 5


async def test_stats_count_each_clusters_frames_and_bytes_both_ways(
    app: SimulatedApplication, on_off: Any
) -> None:
    before = app.medium.stats.of_cluster(OnOff.cluster_id)
    crossed: list[bytes] = []
    stop = app.medium.add_tap(lambda _direction, data: crossed.append(data))

    await on_off.read_attributes(["on_off"])
    stop()

    after = app.medium.stats.of_cluster(OnOff.cluster_id)
    assert after.frames - before.frames == 2
    assert after.bytes - before.bytes == sum(map(len, crossed))
    assert app.medium.stats.to_hub.by_cluster[OnOff.cluster_id].frames >= 1


def test_joining_a_second_device_with_a_taken_nwk_address_is_refused() -> None:
    medium = Medium("sim://without-hub")
    medium.join(make_device(nwk=0x2A01))
    twin = make_device(nwk=0x2A01)
    twin.ieee = t.EUI64.convert("aa:aa:aa:aa:aa:aa:aa:aa")

    with pytest.raises(ValueError, match="already taken"):
        medium.join(twin)


async def test_a_path_names_one_medium_until_it_is_dropped() -> None:
    medium = get_medium("sim://registry")

    assert get_medium("sim://registry") is medium
    await drop_medium("sim://registry")
    assert get_medium("sim://registry") is not medium
    await drop_medium("sim://registry")


def test_a_medium_path_needs_the_sim_scheme() -> None:
    with pytest.raises(ValueError, match="sim://"):
        get_medium("/dev/ttyUSB0")
