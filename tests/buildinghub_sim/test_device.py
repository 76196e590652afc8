"""A virtual device speaks real ZDO and ZCL with real zigpy on the hub's side."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any, Final

import pytest
import zigpy.device
import zigpy.types as t
import zigpy.zdo.types as zdo_t
from zigpy.zcl import AttributeReportedEvent, Cluster, foundation
from zigpy.zcl.clusters.closures import DoorLock, OperationEvent, OperationEventSource
from zigpy.zcl.clusters.general import Basic, OnOff
from zigpy.zcl.foundation import (
    BaseAttributeDefs,
    BaseCommandDefs,
    Direction,
    ZCLAttributeDef,
    ZCLCommandDef,
)

from buildinghub_sim import (
    CommandRefused,
    SimulatedApplication,
    VirtualDevice,
    VirtualEndpoint,
    drop_medium,
)
from tests.buildinghub.zigbee import Initialized

ECHO_CLUSTER_ID: Final = 0xFC7E
TEST_MANUFACTURER: Final = 0x1234
DEVICE_IEEE: Final = "00:0d:6f:00:0a:bc:de:01"


class EchoCluster(Cluster):
    """A manufacturer-specific test cluster, declared as data like our real one."""

    cluster_id = t.ClusterId(ECHO_CLUSTER_ID)
    name: Final = "Echo"
    ep_attribute = "test_echo"

    class AttributeDefs(BaseAttributeDefs):
        counter: Final = ZCLAttributeDef(
            id=0x0000, type=t.uint16_t, access="rw", manufacturer_code=TEST_MANUFACTURER
        )
        serial: Final = ZCLAttributeDef(
            id=0x0001, type=t.CharacterString, access="r", manufacturer_code=TEST_MANUFACTURER
        )

    class ServerCommandDefs(BaseCommandDefs):
        echo: Final = ZCLCommandDef(
            id=0x00, schema={"payload": t.LVBytes}, manufacturer_code=TEST_MANUFACTURER
        )
        ping: Final = ZCLCommandDef(id=0x01, schema={}, manufacturer_code=TEST_MANUFACTURER)
        forbidden: Final = ZCLCommandDef(id=0x02, schema={}, manufacturer_code=TEST_MANUFACTURER)

    class ClientCommandDefs(BaseCommandDefs):
        echo_reply: Final = ZCLCommandDef(
            id=0x00, schema={"payload": t.LVBytes}, manufacturer_code=TEST_MANUFACTURER
        )


class EchoDevice(VirtualDevice):
    """Answers ``echo``, acknowledges ``ping`` silently, refuses ``forbidden``."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.handled: list[tuple[str, Any]] = []

    async def handle_cluster_command(
        self,
        endpoint_id: int,
        cluster_id: int,
        header: foundation.ZCLHeader,
        command: foundation.ZCLCommandDef,
        args: foundation.CommandSchema,
    ) -> None:
        if cluster_id != ECHO_CLUSTER_ID:
            await super().handle_cluster_command(endpoint_id, cluster_id, header, command, args)
            return
        self.handled.append((command.name, args))
        if command.name == "echo":
            await self.reply(endpoint_id, cluster_id, header, "echo_reply", payload=args.payload)
        elif command.name == "forbidden":
            raise CommandRefused(foundation.Status.NOT_AUTHORIZED)


def make_device() -> EchoDevice:
    return EchoDevice(
        ieee=DEVICE_IEEE,
        nwk=0x4F21,
        manufacturer="Building Hub",
        model="Test lock",
        manufacturer_code=TEST_MANUFACTURER,
        # A router: zigpy honours per-request timeouts only for devices that are
        # not end devices.
        logical_type=zdo_t.LogicalType.Router,
        endpoints=[
            VirtualEndpoint(
                id=1,
                device_type=0x000A,
                input_clusters=(Basic.cluster_id, DoorLock.cluster_id, ECHO_CLUSTER_ID),
                output_clusters=(OnOff.cluster_id,),
            ),
            VirtualEndpoint(id=2, device_type=0x0002, input_clusters=(OnOff.cluster_id,)),
        ],
        attributes={
            (1, DoorLock.cluster_id): {"lock_state": DoorLock.LockState.Locked},
            (1, ECHO_CLUSTER_ID): {"counter": 7, "serial": "SN-0001"},
            (2, OnOff.cluster_id): {"on_off": True},
        },
    )


@pytest.fixture
async def app(request: pytest.FixtureRequest) -> AsyncIterator[SimulatedApplication]:
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
def device() -> EchoDevice:
    return make_device()


@pytest.fixture
async def hub_device(app: SimulatedApplication, device: EchoDevice) -> zigpy.device.Device:
    """The hub's zigpy Device for ``device``, after zigpy's own join and interview."""
    joined = Initialized()
    app.add_listener(joined)
    app.medium.join(device)
    return await asyncio.wait_for(joined.device, timeout=5)


def echo_cluster(hub_device: zigpy.device.Device) -> Cluster:
    cluster: Cluster = hub_device.endpoints[1].in_clusters[ECHO_CLUSTER_ID]
    return cluster


async def test_zigpy_interviews_a_joining_device(hub_device: zigpy.device.Device) -> None:
    assert hub_device.is_initialized
    assert hub_device.manufacturer == "Building Hub"
    assert hub_device.model == "Test lock"
    assert hub_device.node_desc.manufacturer_code == TEST_MANUFACTURER
    assert hub_device.node_desc.logical_type == zdo_t.LogicalType.Router
    assert sorted(hub_device.endpoints) == [0, 1, 2]
    first, second = hub_device.endpoints[1], hub_device.endpoints[2]
    assert first.profile_id == 0x0104
    assert sorted(first.in_clusters) == [Basic.cluster_id, DoorLock.cluster_id, ECHO_CLUSTER_ID]
    assert sorted(first.out_clusters) == [OnOff.cluster_id]
    assert isinstance(first.in_clusters[ECHO_CLUSTER_ID], EchoCluster)
    assert sorted(second.in_clusters) == [OnOff.cluster_id]


async def test_binding_and_address_requests_are_answered(
    hub_device: zigpy.device.Device,
) -> None:
    bound = await hub_device.endpoints[1].door_lock.bind()
    unbound = await hub_device.endpoints[1].door_lock.unbind()
    status, ieee, nwk, *_ = await hub_device.zdo.IEEE_addr_req(hub_device.nwk, 0, 0)

    assert bound == [zdo_t.Status.SUCCESS]
    assert unbound == [zdo_t.Status.SUCCESS]
    assert (status, ieee, nwk) == (zdo_t.Status.SUCCESS, hub_device.ieee, hub_device.nwk)


async def test_reading_attributes_round_trips_typed_values(
    hub_device: zigpy.device.Device,
) -> None:
    door_lock = hub_device.endpoints[1].door_lock

    success, failure = await door_lock.read_attributes(["lock_state", "lock_type"])

    assert success == {"lock_state": DoorLock.LockState.Locked}
    assert isinstance(success["lock_state"], DoorLock.LockState)
    assert failure == {"lock_type": foundation.Status.UNSUPPORTED_ATTRIBUTE}


async def test_manufacturer_specific_attributes_need_the_manufacturer_code(
    hub_device: zigpy.device.Device,
) -> None:
    cluster = echo_cluster(hub_device)
    counter = EchoCluster.AttributeDefs.counter.id

    # zigpy 2 sends the code each definition names; raw reads choose the frame's code.
    with_code = await cluster.read_attributes(["counter"])
    (without_code,) = await cluster.read_attributes_raw([counter], manufacturer=None)
    (wrong_code,) = await cluster.read_attributes_raw([counter], manufacturer=0x9999)

    assert with_code == ({"counter": 7}, {})
    assert [r.status for r in without_code] == [foundation.Status.UNSUPPORTED_ATTRIBUTE]
    assert [r.status for r in wrong_code] == [foundation.Status.UNSUPPORTED_ATTRIBUTE]


async def test_writing_an_attribute_changes_the_device(
    hub_device: zigpy.device.Device, device: EchoDevice
) -> None:
    cluster = echo_cluster(hub_device)

    written = await cluster.write_attributes({"counter": 9}, manufacturer=TEST_MANUFACTURER)
    refused = await cluster.write_attributes({"serial": "X"}, manufacturer=TEST_MANUFACTURER)

    assert written[0][0].status == foundation.Status.SUCCESS
    assert device.get_attribute(1, ECHO_CLUSTER_ID, "counter") == 9
    assert refused[0][0].status == foundation.Status.READ_ONLY
    assert device.get_attribute(1, ECHO_CLUSTER_ID, "serial") == "SN-0001"


async def test_reporting_can_be_configured_only_for_held_attributes(
    hub_device: zigpy.device.Device,
) -> None:
    door_lock = hub_device.endpoints[1].door_lock

    held = await door_lock.configure_reporting("lock_state", 0, 300, 1)
    missing = await door_lock.configure_reporting("door_state", 0, 300, 1)

    assert held == {DoorLock.AttributeDefs.lock_state: foundation.Status.SUCCESS}
    assert missing == {DoorLock.AttributeDefs.door_state: foundation.Status.UNSUPPORTED_ATTRIBUTE}


async def test_a_cluster_specific_reply_resolves_the_request_by_its_tsn(
    hub_device: zigpy.device.Device, device: EchoDevice
) -> None:
    answer = await echo_cluster(hub_device).echo(payload=b"hello", manufacturer=TEST_MANUFACTURER)

    assert answer == EchoCluster.ClientCommandDefs.echo_reply.schema(payload=b"hello")
    assert [name for name, _ in device.handled] == ["echo"]


async def test_request_and_reply_carry_the_right_frame_control(
    app: SimulatedApplication, hub_device: zigpy.device.Device
) -> None:
    crossed: list[bytes] = []

    def capture(data: bytes) -> bytes:
        crossed.append(data)
        return data

    app.medium.tamper_next(capture, direction="to_device")
    app.medium.tamper_next(capture, direction="to_hub")
    await echo_cluster(hub_device).echo(payload=b"x", manufacturer=TEST_MANUFACTURER)

    request, _ = foundation.ZCLHeader.deserialize(crossed[0])
    reply, _ = foundation.ZCLHeader.deserialize(crossed[1])
    assert request.frame_control.frame_type == foundation.FrameType.CLUSTER_COMMAND
    assert request.direction == Direction.Client_to_Server
    assert not request.frame_control.disable_default_response
    assert reply.frame_control.frame_type == foundation.FrameType.CLUSTER_COMMAND
    assert reply.direction == Direction.Server_to_Client
    assert reply.frame_control.disable_default_response
    assert request.manufacturer == reply.manufacturer == TEST_MANUFACTURER
    assert reply.tsn == request.tsn


async def test_a_handler_that_does_not_reply_sends_a_success_default_response(
    hub_device: zigpy.device.Device,
) -> None:
    answer = await echo_cluster(hub_device).ping(manufacturer=TEST_MANUFACTURER)

    assert answer.command_id == EchoCluster.ServerCommandDefs.ping.id
    assert answer.status == foundation.Status.SUCCESS


async def test_a_refused_command_gets_a_default_response_with_its_status(
    hub_device: zigpy.device.Device,
) -> None:
    answer = await echo_cluster(hub_device).forbidden(manufacturer=TEST_MANUFACTURER)

    assert answer.status == foundation.Status.NOT_AUTHORIZED


async def test_a_manufacturer_command_without_the_manufacturer_code_is_not_handled(
    hub_device: zigpy.device.Device, device: EchoDevice
) -> None:
    echo = EchoCluster.ServerCommandDefs.echo
    # The command as a frame without our code (zigpy 2 would add the definition's).
    answer = await echo_cluster(hub_device).request(
        False, echo.id, echo.schema, payload=b"hello", manufacturer=None
    )

    assert answer.status == foundation.Status.UNSUP_MANUF_CLUSTER_COMMAND
    assert device.handled == []


async def test_a_command_the_device_does_not_implement_is_unsupported(
    hub_device: zigpy.device.Device,
) -> None:
    answer = await hub_device.endpoints[1].door_lock.unlock_door()

    assert answer.status == foundation.Status.UNSUP_CLUSTER_COMMAND


async def test_an_unsolicited_notification_reaches_a_cluster_listener(
    hub_device: zigpy.device.Device, device: EchoDevice
) -> None:
    heard: asyncio.Future[tuple[int, Any]] = asyncio.get_running_loop().create_future()

    class Listener:
        def cluster_command(self, tsn: int, command_id: int, args: Any) -> None:
            heard.set_result((command_id, args))

    hub_device.endpoints[1].door_lock.add_listener(Listener())
    await device.notify(
        1,
        DoorLock.cluster_id,
        "operation_event_notification",
        operation_event_source=OperationEventSource.Keypad,
        operation_event_code=OperationEvent.Unlock,
        user_id=3,
        pin="",
        local_time=0,
        data="keypad|ok",
    )

    command_id, args = await asyncio.wait_for(heard, timeout=2)
    assert command_id == DoorLock.ClientCommandDefs.operation_event_notification.id
    assert args.operation_event_code == OperationEvent.Unlock
    assert args.user_id == 3
    assert args.data == "keypad|ok"


async def test_an_attribute_report_updates_the_hub_cache(
    hub_device: zigpy.device.Device, device: EchoDevice
) -> None:
    reported: asyncio.Future[tuple[int, Any]] = asyncio.get_running_loop().create_future()

    def heard(event: AttributeReportedEvent) -> None:
        reported.set_result((event.attribute_id, event.value))

    door_lock = hub_device.endpoints[1].door_lock
    door_lock.on_event(AttributeReportedEvent.event_type, heard)
    await device.report_attributes(1, DoorLock.cluster_id, {"lock_state": 2})

    assert await asyncio.wait_for(reported, timeout=2) == (0x0000, DoorLock.LockState.Unlocked)
    assert door_lock.get("lock_state") == DoorLock.LockState.Unlocked
    assert device.get_attribute(1, DoorLock.cluster_id, "lock_state") == 2


async def test_removing_a_device_makes_it_leave_the_network(
    app: SimulatedApplication, hub_device: zigpy.device.Device, device: EchoDevice
) -> None:
    left: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    class Listener:
        def device_left(self, _: zigpy.device.Device) -> None:
            left.set_result(None)

    app.add_listener(Listener())
    await app.remove(hub_device.ieee)

    await asyncio.wait_for(left, timeout=2)
    assert device not in app.medium.devices


def test_an_attribute_unknown_to_zigpy_needs_a_typed_value() -> None:
    device = make_device()

    device.set_attribute(1, ECHO_CLUSTER_ID, 0x00F0, t.uint8_t(1))

    with pytest.raises(TypeError, match="zigpy-typed"):
        device.set_attribute(1, ECHO_CLUSTER_ID, 0x00F1, 1)
