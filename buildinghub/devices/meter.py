"""The hub's client for one community meter on the building network.

Readings are pulled with our cluster's ``read_reading`` (chunked, each chunk names
the reading it belongs to); erase commands travel as chunked transfers; the running
total, the count of held readings and of forced erasures are attributes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import zigpy.device
from zigpy.exceptions import DeliveryError
from zigpy.zcl import Cluster
from zigpy.zcl.clusters.smartenergy import Metering

from buildinghub.radio.cluster import CLUSTER_ID, MANUFACTURER_CODE, BuildingHubCluster, ObjectKind
from buildinghub.radio.cluster_link import ClusterTransferLink
from buildinghub.radio.errors import DeviceUnreachable
from buildinghub.radio.transfer import TransferRefused, send_object
from buildinghub.telemetry.errors import EraseRefused, TelemetryError
from buildinghub.telemetry.identity import MeterIdentity, decode_identity
from buildinghub.telemetry.reading import MAX_PACKET_SIZE, Quantity, ReadingPacket, decode_packet
from buildinghub.telemetry.receipt import StorageReceipt

ENDPOINT_ID: Final = 1
REQUEST_TIMEOUT_S: Final = 5.0
MAX_PULL: Final = 64
MAX_IDENTITY_SIZE: Final = 256
_QUANTITY_OF_DEVICE_TYPE: Final = {0: Quantity.ELECTRICITY, 1: Quantity.GAS, 2: Quantity.WATER}


class MeterProtocolError(Exception):
    """The meter answered something the protocol does not allow."""


@dataclass(frozen=True, slots=True)
class MeterStatus:
    """What the hub reads from a meter."""

    total: int
    held: int
    forced_erasures: int


class MeterClient:
    """Talks to one meter; safe to share within the hub's event loop."""

    def __init__(self, device: zigpy.device.Device) -> None:
        endpoint = device.endpoints[ENDPOINT_ID]
        cluster = endpoint.in_clusters.get(CLUSTER_ID)
        if not isinstance(cluster, BuildingHubCluster):
            raise MeterProtocolError(f"{device.ieee} has no Building Hub cluster")
        self._device = device
        self._cluster: Cluster = cluster
        self._metering: Cluster = endpoint.in_clusters[Metering.cluster_id]
        self._transfer_id = 0

    @property
    def ieee(self) -> str:
        """The meter's IEEE address as text."""
        return str(self._device.ieee)

    async def quantity(self) -> Quantity:
        """What the meter measures, from its Metering device type."""
        values = await self._read(self._metering, ["metering_device_type"])
        return _QUANTITY_OF_DEVICE_TYPE.get(
            int(values.get("metering_device_type", 0)), Quantity.ELECTRICITY
        )

    async def read_identity(self) -> MeterIdentity:
        """The meter's id, dwelling, quantity and reading key."""
        data = bytearray()
        size = MAX_IDENTITY_SIZE
        while len(data) < size:
            reply = await self._request(
                "read_object", kind=ObjectKind.meter_identity, offset=len(data)
            )
            if getattr(reply, "offset", None) != len(data) or not reply.data:
                raise MeterProtocolError(f"{self.ieee} states no meter identity")
            size = min(int(reply.size), MAX_IDENTITY_SIZE)
            data += reply.data
        try:
            return decode_identity(bytes(data[:size]))
        except TelemetryError as err:
            raise MeterProtocolError(f"{self.ieee}: {err}") from None

    async def read_status(self) -> MeterStatus:
        """Running total (base units), readings held and forced erasures so far."""
        metering = await self._read(self._metering, ["current_summ_delivered"])
        ours = await self._read(
            self._cluster, ["pending_readings", "forced_erasures"], MANUFACTURER_CODE
        )
        return MeterStatus(
            total=int(metering.get("current_summ_delivered", 0)),
            held=int(ours.get("pending_readings", 0)),
            forced_erasures=int(ours.get("forced_erasures", 0)),
        )

    async def read_reading(self, after: int) -> ReadingPacket | None:
        """The first reading the meter holds with a sequence above ``after``, if any."""
        data = bytearray()
        sequence: int | None = None
        for _ in range(2 * MAX_PACKET_SIZE):
            reply = await self._request("read_reading", after=after, offset=len(data))
            if reply.size == 0:
                return None
            if sequence is not None and reply.sequence != sequence:
                # The reading was erased between chunks: start again on the next one.
                data.clear()
                sequence = None
                continue
            if reply.offset != len(data) or not reply.data or reply.size > MAX_PACKET_SIZE:
                raise MeterProtocolError(f"{self.ieee} sent a reading chunk out of order")
            sequence = int(reply.sequence)
            data += reply.data
            if len(data) >= reply.size:
                try:
                    packet = decode_packet(bytes(data[: reply.size]))
                except TelemetryError as err:
                    raise MeterProtocolError(
                        f"{self.ieee} sent a malformed reading: {err}"
                    ) from None
                if packet.reading.sequence != sequence:
                    raise MeterProtocolError(f"{self.ieee} mislabelled reading {sequence}")
                return packet
        raise MeterProtocolError(f"{self.ieee} kept changing its readings")

    async def pull(self, after: int, limit: int = MAX_PULL) -> list[ReadingPacket]:
        """Every reading held above ``after`` (at most ``limit``), oldest first."""
        packets: list[ReadingPacket] = []
        while len(packets) < limit:
            packet = await self.read_reading(after)
            if packet is None:
                break
            packets.append(packet)
            after = packet.reading.sequence
        return packets

    async def erase(self, receipt: StorageReceipt) -> None:
        """Deliver the erase command built from a storage receipt."""
        self._transfer_id = (self._transfer_id + 1) % 256
        try:
            await send_object(
                ClusterTransferLink(self._cluster),
                device=self.ieee,
                transfer_id=self._transfer_id,
                kind=ObjectKind.erase_command,
                payload=receipt.encoded,
            )
        except TransferRefused as err:
            raise EraseRefused(err.reason.name) from None

    def add_report_listener(self, callback: Callable[[int], None]) -> Callable[[], None]:
        """Be told whenever the meter reports its running total (a reading was taken)."""
        summation_id = Metering.AttributeDefs.current_summ_delivered.id

        class _Listener:
            def attribute_updated(self, attribute_id: int, value: Any, *_: Any) -> None:
                if attribute_id == summation_id:
                    callback(int(value))

        listener = _Listener()
        self._metering.add_listener(listener)
        return lambda: self._metering._listeners.pop(id(listener), None)

    async def _read(
        self, cluster: Cluster, names: list[str], manufacturer: int | None = None
    ) -> dict[str, Any]:
        try:
            values, _ = await cluster.read_attributes(
                names, allow_cache=False, manufacturer=manufacturer
            )
        except (DeliveryError, TimeoutError) as err:
            raise DeviceUnreachable(self.ieee) from err
        return dict(values)

    async def _request(self, command: str, **kwargs: Any) -> Any:
        try:
            return await getattr(self._cluster, command)(
                **kwargs, manufacturer=MANUFACTURER_CODE, timeout=REQUEST_TIMEOUT_S
            )
        except (DeliveryError, TimeoutError) as err:
            raise DeviceUnreachable(self.ieee) from err
