"""A simulated Zigbee device, built from data, that answers real ZDO and ZCL bytes.

A :class:`VirtualDevice` is the reference firmware's radio layer: it answers
the ZDO requests of zigpy's interview, serves attributes (Read, Write,
Configure Reporting, Discover) from a typed store, and hands cluster-specific
commands, parsed with the zigpy cluster class registered for the cluster id,
to :meth:`VirtualDevice.handle_cluster_command`. Subclasses implement device
behaviour there and answer with :meth:`~VirtualDevice.reply`; they speak first
with :meth:`~VirtualDevice.notify` and :meth:`~VirtualDevice.report_attributes`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import zigpy.exceptions
import zigpy.types as t
import zigpy.zcl
import zigpy.zdo.types as zdo_t
from zigpy.zcl import foundation
from zigpy.zcl.clusters.general import Basic

from .medium import COORDINATOR_NWK, MAX_APS_PAYLOAD

if TYPE_CHECKING:
    from .medium import Medium

LOGGER = logging.getLogger(__name__)

HOME_AUTOMATION_PROFILE: Final = 0x0104
ZDO_ENDPOINT: Final = 0
BASIC_CLUSTER: Final = 0x0000
HUB_ENDPOINT: Final = 1
"""The coordinator endpoint unsolicited frames go to (zigpy's default endpoint)."""
MANUFACTURER_SPECIFIC_CLUSTERS: Final = range(0xFC00, 0x10000)

# Our counter starts far from the hub's, which also starts low: zigpy takes any
# server-to-client frame carrying the TSN of a pending request for its answer.
_FIRST_TSN: Final = 0x80
_THIS_DEVICE: Final = t.EUI64.convert("00:00:00:00:00:00:00:00")
"""Mgmt_Leave_req's way of saying "you" (a null address)."""
_LINK_QUALITY: Final = 255
_SIGNAL_STRENGTH: Final = -40

_Status = foundation.Status
_Command = foundation.GeneralCommand
_CLIENT_TO_SERVER = foundation.Direction.Client_to_Server
_SERVER_TO_CLIENT = foundation.Direction.Server_to_Client


@dataclass(frozen=True, slots=True)
class VirtualEndpoint:
    """One application endpoint of a virtual device, as its simple descriptor states it."""

    id: int
    device_type: int
    input_clusters: tuple[int, ...] = ()
    """Server clusters: the device holds their attributes and takes their commands."""
    output_clusters: tuple[int, ...] = ()
    """Client clusters: the device sends their commands."""
    profile: int = HOME_AUTOMATION_PROFILE
    device_version: int = 0

    def __post_init__(self) -> None:
        if not 1 <= self.id <= 240:
            raise ValueError(f"an application endpoint id is 1-240, not {self.id}")

    def has_cluster(self, cluster_id: int) -> bool:
        """Whether the endpoint declares ``cluster_id`` as input or output cluster."""
        return cluster_id in self.input_clusters or cluster_id in self.output_clusters


class CommandRefused(Exception):
    """Raised by a command handler: answer with a ZCL Default Response of ``status``."""

    def __init__(self, status: foundation.Status) -> None:
        self.status = foundation.Status(status)
        super().__init__(f"command refused with ZCL status {self.status.name}")


@dataclass(slots=True)
class _Attribute:
    value: foundation.TypeValue
    manufacturer_specific: bool
    writable: bool


@dataclass(slots=True)
class _Frame:
    """An incoming ZCL frame, with what is needed to answer it."""

    endpoint_id: int
    cluster_id: int
    header: foundation.ZCLHeader
    source_endpoint: int
    broadcast: bool
    source: int = COORDINATOR_NWK
    """The NWK address the frame came from: answers go back there (the hub, or a peer)."""
    answered: bool = False


def cluster_definition(cluster_id: int) -> zigpy.zcl.Cluster:
    """The zigpy cluster registered for ``cluster_id`` (a bare ``Cluster`` if none is)."""
    # Attribute and command tables are class data; no endpoint is needed to read them, and
    # from_id is zigpy's only public way to the class registered for an id (ranges included).
    return zigpy.zcl.Cluster.from_id(None, cluster_id)  # type: ignore[arg-type]


def _nwk_of(address: t.AddrModeAddress | None) -> int:
    """The NWK address a frame came from (the hub's, when the frame does not say)."""
    if address is not None and isinstance(address.address, t.NWK):
        return int(address.address)
    return COORDINATOR_NWK


def _reverse(direction: foundation.Direction) -> foundation.Direction:
    return _CLIENT_TO_SERVER if direction == _SERVER_TO_CLIENT else _SERVER_TO_CLIENT


class VirtualDevice:
    """A simulated Zigbee device on a :class:`~buildinghub_sim.medium.Medium`.

    ``logical_type`` matters to the hub: zigpy waits 28 s for any answer from an
    end device (sleepy, polled) whatever timeout a request asks for, and the
    per-request timeout only applies to routers.
    """

    def __init__(
        self,
        *,
        ieee: t.EUI64 | str,
        nwk: int,
        manufacturer: str,
        model: str,
        manufacturer_code: int,
        endpoints: Sequence[VirtualEndpoint],
        logical_type: zdo_t.LogicalType = zdo_t.LogicalType.EndDevice,
        attributes: Mapping[tuple[int, int], Mapping[int | str, Any]] | None = None,
    ) -> None:
        if not endpoints:
            raise ValueError("a device needs at least one application endpoint")
        self.ieee: t.EUI64 = t.EUI64.convert(ieee) if isinstance(ieee, str) else t.EUI64(ieee)
        self.nwk = nwk
        self.manufacturer = manufacturer
        self.model = model
        self.manufacturer_code = t.uint16_t(manufacturer_code)
        self.logical_type = zdo_t.LogicalType(logical_type)
        self.endpoints: dict[int, VirtualEndpoint] = {}
        for endpoint in endpoints:
            if endpoint.id in self.endpoints:
                raise ValueError(f"endpoint {endpoint.id} is declared twice")
            self.endpoints[endpoint.id] = endpoint
        self._medium: Medium | None = None
        self._tsn = _FIRST_TSN - 1
        self._attributes: dict[tuple[int, int], dict[int, _Attribute]] = {}
        self._requests: dict[tuple[int, int, int], _Frame] = {}
        basic = Basic.AttributeDefs
        for endpoint in self.endpoints.values():
            if BASIC_CLUSTER in endpoint.input_clusters:
                self.set_attribute(endpoint.id, BASIC_CLUSTER, basic.manufacturer.id, manufacturer)
                self.set_attribute(endpoint.id, BASIC_CLUSTER, basic.model.id, model)
        for (endpoint_id, cluster_id), values in (attributes or {}).items():
            for attribute, value in values.items():
                self.set_attribute(endpoint_id, cluster_id, attribute, value)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.model!r} ieee={self.ieee} nwk=0x{self.nwk:04X}>"

    @property
    def medium(self) -> Medium:
        """The network the device has joined."""
        if self._medium is None:
            raise RuntimeError(f"device {self.ieee} has not joined a network")
        return self._medium

    def attach(self, medium: Medium | None) -> None:
        """Record the network the device joined (``None``: it left). Called by the medium."""
        self._medium = medium

    @property
    def node_descriptor(self) -> zdo_t.NodeDescriptor:
        """What the device answers to Node_Desc_req."""
        flags = zdo_t.NodeDescriptor.MACCapabilityFlags.AllocateAddress
        if self.logical_type != zdo_t.LogicalType.EndDevice:
            flags |= (
                zdo_t.NodeDescriptor.MACCapabilityFlags.FullFunctionDevice
                | zdo_t.NodeDescriptor.MACCapabilityFlags.MainsPowered
                | zdo_t.NodeDescriptor.MACCapabilityFlags.RxOnWhenIdle
            )
        return zdo_t.NodeDescriptor(
            logical_type=self.logical_type,
            complex_descriptor_available=0,
            user_descriptor_available=0,
            reserved=0,
            aps_flags=0,
            frequency_band=zdo_t.NodeDescriptor.FrequencyBand.Freq2400MHz,
            mac_capability_flags=flags,
            manufacturer_code=self.manufacturer_code,
            maximum_buffer_size=MAX_APS_PAYLOAD,
            maximum_incoming_transfer_size=MAX_APS_PAYLOAD,
            server_mask=0,
            maximum_outgoing_transfer_size=MAX_APS_PAYLOAD,
            descriptor_capability_field=zdo_t.NodeDescriptor.DescriptorCapability.NONE,
        )

    # Attribute store

    def set_attribute(
        self, endpoint_id: int, cluster_id: int, attribute: int | str, value: Any
    ) -> None:
        """Set an attribute's value, converted to the type its cluster declares.

        An attribute the zigpy cluster does not declare needs a zigpy-typed value
        (``t.uint16_t(5)``, ``t.CharacterString("x")``) so its ZCL type is known.
        """
        self._store(endpoint_id, cluster_id, attribute, value)

    def get_attribute(self, endpoint_id: int, cluster_id: int, attribute: int | str) -> Any:
        """The attribute's current value; ``KeyError`` if the device does not hold it."""
        attribute_id = self._attribute_id(cluster_id, attribute)
        return self._attributes[(endpoint_id, cluster_id)][attribute_id].value.value

    def _store(self, endpoint_id: int, cluster_id: int, attribute: int | str, value: Any) -> int:
        self._endpoint_with(endpoint_id, cluster_id)
        attribute_id = self._attribute_id(cluster_id, attribute)
        definition = cluster_definition(cluster_id).attributes.get(attribute_id)
        in_manufacturer_cluster = cluster_id in MANUFACTURER_SPECIFIC_CLUSTERS
        if definition is not None:
            access = definition.access
            writable = foundation.ZCLAttributeAccess.Write in access or (
                foundation.ZCLAttributeAccess.Write_Optional in access
            )
            stored = _Attribute(
                value=foundation.TypeValue(type=definition.zcl_type, value=definition.type(value)),
                manufacturer_specific=bool(definition.is_manufacturer_specific)
                or in_manufacturer_cluster,
                writable=writable,
            )
        else:
            data_type = foundation.DataType.from_python_type(type(value))
            if data_type is foundation.DataType.unk:
                raise TypeError(
                    f"attribute 0x{attribute_id:04X} of cluster 0x{cluster_id:04X} is not"
                    f" declared by zigpy: give a zigpy-typed value, not {type(value).__name__}"
                )
            stored = _Attribute(
                value=foundation.TypeValue(type=data_type.type_id, value=value),
                manufacturer_specific=in_manufacturer_cluster,
                writable=True,
            )
        self._attributes.setdefault((endpoint_id, cluster_id), {})[attribute_id] = stored
        return attribute_id

    @staticmethod
    def _attribute_id(cluster_id: int, attribute: int | str) -> int:
        if isinstance(attribute, int):
            return attribute
        by_name = cluster_definition(cluster_id).attributes_by_name
        if attribute not in by_name:
            raise KeyError(f"cluster 0x{cluster_id:04X} declares no attribute {attribute!r}")
        return int(by_name[attribute].id)

    def _endpoint_with(self, endpoint_id: int, cluster_id: int) -> VirtualEndpoint:
        endpoint = self.endpoints.get(endpoint_id)
        if endpoint is None or not endpoint.has_cluster(cluster_id):
            raise ValueError(
                f"device {self.ieee} has no cluster 0x{cluster_id:04X} on endpoint {endpoint_id}"
            )
        return endpoint

    # Behaviour, for subclasses

    async def handle_cluster_command(
        self,
        endpoint_id: int,
        cluster_id: int,
        header: foundation.ZCLHeader,
        command: foundation.ZCLCommandDef,
        args: foundation.CommandSchema,
    ) -> None:
        """Act on a cluster-specific command; override to give the device behaviour.

        Answer with :meth:`reply`. Returning without replying sends a Default
        Response of SUCCESS (unless the sender disabled it); raising
        :class:`CommandRefused` sends one with the given status. This base
        device supports no command.
        """
        raise CommandRefused(foundation.Status.UNSUP_CLUSTER_COMMAND)

    # Speaking to the hub

    async def reply(
        self,
        endpoint_id: int,
        cluster_id: int,
        header: foundation.ZCLHeader,
        command_name: str,
        **kwargs: Any,
    ) -> None:
        """Answer the request with ``header`` by a cluster-specific command.

        The answer carries the request's TSN, so zigpy resolves the hub's pending
        request with it, travels in the opposite direction and carries the
        request's manufacturer code, if it had one.
        """
        direction = _reverse(header.direction)
        command = self._command_definition(cluster_id, command_name, direction)
        frame = self._requests.get((endpoint_id, cluster_id, header.tsn))
        await self._send_zcl(
            endpoint_id,
            cluster_id,
            cluster_specific=True,
            command_id=command.id,
            payload=command.schema(**kwargs).serialize(),
            tsn=header.tsn,
            direction=direction,
            manufacturer=header.manufacturer,
            destination_endpoint=frame.source_endpoint if frame else HUB_ENDPOINT,
            destination=frame.source if frame else COORDINATOR_NWK,
        )
        if frame is not None:
            frame.answered = True

    async def notify(
        self, endpoint_id: int, cluster_id: int, command_name: str, **kwargs: Any
    ) -> None:
        """Send an unsolicited cluster-specific command to the hub, with a new TSN.

        From a server (input) cluster the command is server-to-client (for
        example DoorLock ``operation_event_notification``), from a client
        (output) cluster client-to-server. Commands of manufacturer-specific
        clusters carry the device's manufacturer code.
        """
        direction = self._direction_from(endpoint_id, cluster_id)
        command = self._command_definition(cluster_id, command_name, direction)
        manufacturer_specific = bool(command.is_manufacturer_specific) or (
            cluster_id in MANUFACTURER_SPECIFIC_CLUSTERS
        )
        await self._send_zcl(
            endpoint_id,
            cluster_id,
            cluster_specific=True,
            command_id=command.id,
            payload=command.schema(**kwargs).serialize(),
            tsn=self._next_tsn(),
            direction=direction,
            manufacturer=self.manufacturer_code if manufacturer_specific else None,
            destination_endpoint=HUB_ENDPOINT,
        )

    async def report_attributes(
        self, endpoint_id: int, cluster_id: int, attributes: Mapping[int | str, Any]
    ) -> None:
        """Store the values and send them to the hub in one ZCL Report Attributes."""
        direction = self._direction_from(endpoint_id, cluster_id)
        ids = [
            self._store(endpoint_id, cluster_id, key, value) for key, value in attributes.items()
        ]
        stored = self._attributes[(endpoint_id, cluster_id)]
        manufacturer_specific = {stored[attribute_id].manufacturer_specific for attribute_id in ids}
        if len(manufacturer_specific) != 1:
            raise ValueError("one report cannot mix standard and manufacturer-specific attributes")
        report = foundation.GENERAL_COMMANDS[_Command.Report_Attributes].schema(
            attribute_reports=[
                foundation.Attribute(attrid=attribute_id, value=stored[attribute_id].value)
                for attribute_id in ids
            ]
        )
        await self._send_zcl(
            endpoint_id,
            cluster_id,
            cluster_specific=False,
            command_id=_Command.Report_Attributes,
            payload=report.serialize(),
            tsn=self._next_tsn(),
            direction=direction,
            manufacturer=self.manufacturer_code if manufacturer_specific.pop() else None,
            destination_endpoint=HUB_ENDPOINT,
        )

    def _direction_from(self, endpoint_id: int, cluster_id: int) -> foundation.Direction:
        endpoint = self._endpoint_with(endpoint_id, cluster_id)
        return _SERVER_TO_CLIENT if cluster_id in endpoint.input_clusters else _CLIENT_TO_SERVER

    @staticmethod
    def _command_definition(
        cluster_id: int, name: str, direction: foundation.Direction
    ) -> foundation.ZCLCommandDef:
        cluster = cluster_definition(cluster_id)
        # zigpy's "client commands" are those a client receives: server-to-client.
        commands = (
            cluster.client_commands if direction == _SERVER_TO_CLIENT else cluster.server_commands
        )
        for command in commands.values():
            if command.name == name:
                return command
        raise KeyError(
            f"{type(cluster).__name__} (0x{cluster_id:04X}) has no"
            f" {direction.name.replace('_', ' ')} command {name!r}"
        )

    def _next_tsn(self) -> int:
        self._tsn = (self._tsn + 1) % 256
        return self._tsn

    # Receiving

    async def receive(self, packet: t.ZigbeePacket) -> None:
        """Handle one frame from the coordinator (called by the medium in its own task)."""
        if packet.dst_ep == ZDO_ENDPOINT:
            await self._receive_zdo(packet)
        else:
            await self._receive_zcl(packet)

    async def _receive_zdo(self, packet: t.ZigbeePacket) -> None:
        try:
            command = zdo_t.ZDOCmd(packet.cluster_id)
            header, payload = zdo_t.ZDOHeader.deserialize(command, packet.data.serialize())
            _, schema = zdo_t.CLUSTERS[command]
            args, _ = t.deserialize(payload, schema)
        except KeyError, ValueError:
            LOGGER.debug("%r ignores an unparsable ZDO frame: %r", self, packet)
            return
        broadcast = packet.dst is not None and packet.dst.addr_mode == t.AddrMode.Broadcast
        answer = self._zdo_answer(command, args, broadcast=broadcast)
        if answer is None:
            return
        response, values = answer
        _, schema = zdo_t.CLUSTERS[response]
        await self._send(
            profile=0,
            cluster_id=response,
            source_endpoint=ZDO_ENDPOINT,
            destination_endpoint=ZDO_ENDPOINT,
            tsn=header.tsn,
            data=t.uint8_t(header.tsn).serialize() + t.serialize(values, schema),
        )
        if command == zdo_t.ZDOCmd.Mgmt_Leave_req and args[0] in (self.ieee, _THIS_DEVICE):
            self.medium.leave(self)

    def _zdo_answer(
        self, command: zdo_t.ZDOCmd, args: list[Any], *, broadcast: bool
    ) -> tuple[zdo_t.ZDOCmd, list[Any]] | None:
        """The response to a ZDO request and its fields, or ``None`` to stay silent."""
        cmd = zdo_t.ZDOCmd
        success = zdo_t.Status.SUCCESS
        match command:
            case cmd.NWK_addr_req if args[0] == self.ieee:
                return cmd.NWK_addr_rsp, [success, self.ieee, self.nwk, 0, 0, []]
            case cmd.IEEE_addr_req if args[0] == self.nwk:
                return cmd.IEEE_addr_rsp, [success, self.ieee, self.nwk, 0, 0, []]
            case _ if broadcast or command & 0x8000:
                # Broadcast requests are answered only by the device they name, and
                # responses are never answered.
                return None
            case cmd.Node_Desc_req:
                return cmd.Node_Desc_rsp, [success, self.nwk, self.node_descriptor]
            case cmd.Active_EP_req:
                return cmd.Active_EP_rsp, [success, self.nwk, list(self.endpoints)]
            case cmd.Simple_Desc_req if args[1] in self.endpoints:
                return cmd.Simple_Desc_rsp, [success, self.nwk, self._simple_descriptor(args[1])]
            case cmd.Simple_Desc_req:
                return cmd.Simple_Desc_rsp, [zdo_t.Status.NOT_ACTIVE, self.nwk]
            case cmd.Bind_req | cmd.Unbind_req | cmd.Mgmt_Leave_req | cmd.Mgmt_Permit_Joining_req:
                return zdo_t.ZDOCmd(command | 0x8000), [success]
            case _ if (command | 0x8000) in zdo_t.CLUSTERS:
                return zdo_t.ZDOCmd(command | 0x8000), [zdo_t.Status.NOT_SUPPORTED]
            case _:
                return None

    def _simple_descriptor(self, endpoint_id: int) -> zdo_t.SizePrefixedSimpleDescriptor:
        endpoint = self.endpoints[endpoint_id]
        return zdo_t.SizePrefixedSimpleDescriptor(
            endpoint=endpoint.id,
            profile=endpoint.profile,
            device_type=endpoint.device_type,
            device_version=endpoint.device_version,
            input_clusters=list(endpoint.input_clusters),
            output_clusters=list(endpoint.output_clusters),
        )

    async def _receive_zcl(self, packet: t.ZigbeePacket) -> None:
        if packet.dst_ep is None or packet.src_ep is None or packet.dst is None:
            LOGGER.debug("%r ignores a frame without endpoints or destination: %r", self, packet)
            return
        endpoint = self.endpoints.get(packet.dst_ep)
        if endpoint is None:
            # A stack drops frames for endpoints it does not have.
            return
        try:
            header, payload = foundation.ZCLHeader.deserialize(packet.data.serialize())
        except ValueError:
            LOGGER.debug("%r ignores an unparsable ZCL frame: %r", self, packet)
            return
        frame = _Frame(
            endpoint_id=endpoint.id,
            cluster_id=packet.cluster_id,
            header=header,
            source_endpoint=packet.src_ep,
            broadcast=packet.dst.addr_mode in (t.AddrMode.Broadcast, t.AddrMode.Group),
            source=_nwk_of(packet.src),
        )
        if not endpoint.has_cluster(frame.cluster_id):
            await self._default_response(frame, _Status.UNSUPPORTED_CLUSTER)
        elif header.frame_control.is_general:
            await self._receive_general(frame, payload)
        elif header.frame_control.is_cluster:
            await self._receive_cluster_command(frame, payload)

    async def _receive_cluster_command(self, frame: _Frame, payload: bytes) -> None:
        header = frame.header
        cluster = cluster_definition(frame.cluster_id)
        commands = (
            cluster.server_commands
            if header.direction == _CLIENT_TO_SERVER
            else cluster.client_commands
        )
        command = commands.get(header.command_id)
        if command is None:
            unsupported = (
                _Status.UNSUP_CLUSTER_COMMAND
                if header.manufacturer is None
                else _Status.UNSUP_MANUF_CLUSTER_COMMAND
            )
            await self._default_response(frame, unsupported)
            return
        if not self._speaks(frame, manufacturer_specific=bool(command.is_manufacturer_specific)):
            await self._default_response(frame, _Status.UNSUP_MANUF_CLUSTER_COMMAND)
            return
        try:
            args, _ = command.schema.deserialize(payload)
        except ValueError, KeyError:
            await self._default_response(frame, _Status.MALFORMED_COMMAND)
            return
        key = (frame.endpoint_id, frame.cluster_id, header.tsn)
        self._requests[key] = frame
        try:
            await self.handle_cluster_command(
                frame.endpoint_id, frame.cluster_id, header, command, args
            )
            status = _Status.SUCCESS
        except CommandRefused as refused:
            status = refused.status
        except zigpy.exceptions.DeliveryError:
            # The device's own answer was lost: nothing more can reach the hub.
            raise
        except Exception:
            LOGGER.exception("%r failed to handle %s", self, command.name)
            status = _Status.FAILURE
        finally:
            del self._requests[key]
        if not frame.answered:
            await self._default_response(frame, status)

    def _speaks(self, frame: _Frame, *, manufacturer_specific: bool) -> bool:
        """Whether the frame's manufacturer code is right for what it addresses.

        Manufacturer-specific commands and attributes (and everything in a
        manufacturer-specific cluster) need our code; standard ones need none.
        """
        if manufacturer_specific or frame.cluster_id in MANUFACTURER_SPECIFIC_CLUSTERS:
            return bool(frame.header.manufacturer == self.manufacturer_code)
        return frame.header.manufacturer is None

    async def _receive_general(self, frame: _Frame, payload: bytes) -> None:
        command_id = foundation.GeneralCommand(frame.header.command_id)
        definition = foundation.GENERAL_COMMANDS.get(command_id)
        if definition is None:
            await self._default_response(frame, _Status.UNSUP_GENERAL_COMMAND)
            return
        if definition.direction == _SERVER_TO_CLIENT or command_id == _Command.Report_Attributes:
            # Answers and reports from the hub need no answer.
            return
        # zigpy builds most general commands' schemas from dicts at import, so their
        # fields (attribute_ids, config_records...) are not known to the type checker.
        args: Any
        try:
            args, _ = definition.schema.deserialize(payload)
        except ValueError, KeyError:
            await self._default_response(frame, _Status.MALFORMED_COMMAND)
            return
        match command_id:
            case _Command.Read_Attributes:
                await self._read_attributes(frame, args.attribute_ids)
            case _Command.Write_Attributes:
                await self._write_attributes(frame, args.attributes, undivided=False, answer=True)
            case _Command.Write_Attributes_Undivided:
                await self._write_attributes(frame, args.attributes, undivided=True, answer=True)
            case _Command.Write_Attributes_No_Response:
                await self._write_attributes(frame, args.attributes, undivided=False, answer=False)
            case _Command.Configure_Reporting:
                await self._configure_reporting(frame, args.config_records)
            case _Command.Discover_Attributes:
                await self._discover_attributes(
                    frame, args.start_attribute_id, args.max_attribute_ids
                )
            case _:
                await self._default_response(frame, _Status.UNSUP_GENERAL_COMMAND)

    def _held(self, frame: _Frame, attribute_id: int) -> _Attribute | None:
        """The attribute the frame addresses, if the device holds it."""
        attribute = self._attributes.get((frame.endpoint_id, frame.cluster_id), {}).get(
            attribute_id
        )
        if attribute is None or not self._speaks(
            frame, manufacturer_specific=attribute.manufacturer_specific
        ):
            return None
        return attribute

    async def _read_attributes(self, frame: _Frame, attribute_ids: list[t.uint16_t]) -> None:
        records = []
        for attribute_id in attribute_ids:
            attribute = self._held(frame, attribute_id)
            if attribute is None:
                records.append(
                    foundation.ReadAttributeRecord(
                        attrid=attribute_id, status=_Status.UNSUPPORTED_ATTRIBUTE
                    )
                )
            else:
                records.append(
                    foundation.ReadAttributeRecord(
                        attrid=attribute_id, status=_Status.SUCCESS, value=attribute.value
                    )
                )
        await self._answer_general(frame, _Command.Read_Attributes_rsp, status_records=records)

    async def _write_attributes(
        self, frame: _Frame, records: list[foundation.Attribute], *, undivided: bool, answer: bool
    ) -> None:
        failures = []
        accepted = []
        for record in records:
            status = self._write_status(frame, record)
            if status == _Status.SUCCESS:
                accepted.append(record)
            else:
                failures.append(foundation.WriteAttributesStatusRecord(status, record.attrid))
        if not (undivided and failures):
            for record in accepted:
                self._store(frame.endpoint_id, frame.cluster_id, record.attrid, record.value.value)
        if answer:
            statuses = failures or [foundation.WriteAttributesStatusRecord(_Status.SUCCESS)]
            await self._answer_general(
                frame,
                _Command.Write_Attributes_rsp,
                status_records=foundation.WriteAttributesResponse(statuses),
            )

    def _write_status(self, frame: _Frame, record: foundation.Attribute) -> foundation.Status:
        attribute = self._held(frame, record.attrid)
        if attribute is None:
            return _Status.UNSUPPORTED_ATTRIBUTE
        if not attribute.writable:
            return _Status.READ_ONLY
        if record.value.type != attribute.value.type:
            return _Status.INVALID_DATA_TYPE
        return _Status.SUCCESS

    async def _configure_reporting(
        self, frame: _Frame, configs: list[foundation.AttributeReportingConfig]
    ) -> None:
        # Reporting is accepted for every held attribute; the firmware decides
        # when to report (report_attributes), as real devices do within limits.
        failures = [
            foundation.ConfigureReportingResponseRecord(
                status=_Status.UNSUPPORTED_ATTRIBUTE,
                direction=config.direction,
                attrid=config.attrid,
            )
            for config in configs
            if self._held(frame, config.attrid) is None
        ]
        statuses = failures or [foundation.ConfigureReportingResponseRecord(status=_Status.SUCCESS)]
        await self._answer_general(
            frame,
            _Command.Configure_Reporting_rsp,
            status_records=foundation.ConfigureReportingResponse(statuses),
        )

    async def _discover_attributes(self, frame: _Frame, start: int, maximum: int) -> None:
        held = sorted(
            attribute_id
            for attribute_id in self._attributes.get((frame.endpoint_id, frame.cluster_id), {})
            if attribute_id >= start and self._held(frame, attribute_id) is not None
        )
        chosen = held[:maximum]
        stored = self._attributes[(frame.endpoint_id, frame.cluster_id)] if chosen else {}
        await self._answer_general(
            frame,
            _Command.Discover_Attributes_rsp,
            discovery_complete=t.Bool(len(chosen) == len(held)),
            attribute_info=[
                foundation.DiscoverAttributesResponseRecord(
                    attrid=attribute_id, datatype=stored[attribute_id].value.type
                )
                for attribute_id in chosen
            ],
        )

    async def _answer_general(
        self, frame: _Frame, response: foundation.GeneralCommand, **fields: Any
    ) -> None:
        schema = foundation.GENERAL_COMMANDS[response].schema
        await self._send_zcl(
            frame.endpoint_id,
            frame.cluster_id,
            cluster_specific=False,
            command_id=response,
            payload=schema(**fields).serialize(),
            tsn=frame.header.tsn,
            direction=_reverse(frame.header.direction),
            manufacturer=frame.header.manufacturer,
            destination_endpoint=frame.source_endpoint,
            destination=frame.source,
        )
        frame.answered = True

    async def _default_response(self, frame: _Frame, status: foundation.Status) -> None:
        """Send a ZCL Default Response when the ZCL rules call for one.

        Never to a broadcast or to a Default Response; for SUCCESS only when the
        sender did not disable it; errors always.
        """
        header = frame.header
        if frame.broadcast or (
            header.frame_control.is_general and header.command_id == _Command.Default_Response
        ):
            return
        if status == _Status.SUCCESS and header.frame_control.disable_default_response:
            return
        await self._answer_general(
            frame, _Command.Default_Response, command_id=header.command_id, status=status
        )

    # Sending

    async def _send_zcl(
        self,
        endpoint_id: int,
        cluster_id: int,
        *,
        cluster_specific: bool,
        command_id: int,
        payload: bytes,
        tsn: int,
        direction: foundation.Direction,
        manufacturer: t.uint16_t | None,
        destination_endpoint: int,
        destination: int = COORDINATOR_NWK,
    ) -> None:
        header = foundation.ZCLHeader(
            frame_control=foundation.FrameControl(
                frame_type=(
                    foundation.FrameType.CLUSTER_COMMAND
                    if cluster_specific
                    else foundation.FrameType.GLOBAL_COMMAND
                ),
                is_manufacturer_specific=manufacturer is not None,
                direction=direction,
                # Everything a device sends is an answer or a notification: none
                # of it asks the hub for a Default Response.
                disable_default_response=1,
                reserved=0b000,
            ),
            manufacturer=manufacturer,
            tsn=tsn,
            command_id=command_id,
        )
        await self._send(
            profile=self.endpoints[endpoint_id].profile,
            cluster_id=cluster_id,
            source_endpoint=endpoint_id,
            destination_endpoint=destination_endpoint,
            tsn=tsn,
            data=header.serialize() + payload,
            destination=destination,
        )

    async def _send(
        self,
        *,
        profile: int,
        cluster_id: int,
        source_endpoint: int,
        destination_endpoint: int,
        tsn: int,
        data: bytes,
        destination: int = COORDINATOR_NWK,
    ) -> None:
        # An answer goes back to whoever asked: the hub, or another device on the network.
        send = self.medium.to_hub if destination == COORDINATOR_NWK else self.medium.to_peer
        await send(
            t.ZigbeePacket(
                src=t.AddrModeAddress(addr_mode=t.AddrMode.NWK, address=t.NWK(self.nwk)),
                src_ep=t.uint8_t(source_endpoint),
                dst=t.AddrModeAddress(addr_mode=t.AddrMode.NWK, address=t.NWK(destination)),
                dst_ep=t.uint8_t(destination_endpoint),
                tsn=t.uint8_t(tsn),
                profile_id=t.uint16_t(profile),
                cluster_id=t.uint16_t(cluster_id),
                data=t.SerializableBytes(data),
                lqi=t.uint8_t(_LINK_QUALITY),
                rssi=t.int8s(_SIGNAL_STRENGTH),
            )
        )
