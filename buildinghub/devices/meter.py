"""The hub's client for one community meter on the building network.

Readings are pulled with our cluster's ``read_readings``: everything the meter holds
above the hub's cursor as one bundle, in full frames that the meter streams after its
answer (one request per pull, not per frame); erase commands travel as chunked
transfers in full-frame chunks that the meter takes unanswered (``transfer_stream``: only
the transfer's begin and commit are answered); the running total, the count of held readings and of
forced erasures are attributes. The total is the meter's raw count: its own multiplier,
divisor and unit (:mod:`.meter_scaling`), read with it, say what it amounts to.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

import zigpy.device
from zigpy.exceptions import DeliveryError
from zigpy.zcl import Cluster
from zigpy.zcl.clusters.smartenergy import Metering
from zigpy.zcl.foundation import ZCLAttributeDef

from buildinghub.radio.cluster import (
    CLUSTER_ID,
    MANUFACTURER_CODE,
    MAX_CHUNK_SIZE,
    READINGS_CHUNK_SIZE,
    BuildingHubCluster,
    ObjectKind,
)
from buildinghub.radio.cluster_link import ClusterTransferLink
from buildinghub.radio.errors import DeviceUnreachable
from buildinghub.radio.reports import on_report
from buildinghub.radio.request_policy import RETRIES
from buildinghub.radio.transfer import TransferRefused, stream_object
from buildinghub.telemetry.bundle import MAX_BUNDLE_SIZE, decode_bundle
from buildinghub.telemetry.errors import EraseRefused, TelemetryError
from buildinghub.telemetry.identity import MeterIdentity, decode_identity
from buildinghub.telemetry.reading import Quantity, ReadingPacket
from buildinghub.telemetry.receipt import EraseCommand

from .meter_scaling import MeterScaling, MeterScalingError

_LOGGER = logging.getLogger(__name__)
ENDPOINT_ID: Final = 1
REQUEST_TIMEOUT_S: Final = 5.0
STREAM_GAP_S: Final = 1.0
"""How long the hub waits for the next chunk a meter streams before it asks for it."""
_READINGS_CHUNK: Final = BuildingHubCluster.ClientCommandDefs.readings_chunk.id
MAX_PULL_STEPS: Final = 2 * (MAX_BUNDLE_SIZE // READINGS_CHUNK_SIZE + 2)
MAX_IDENTITY_SIZE: Final = 256
_QUANTITY_OF_DEVICE_TYPE: Final = {0: Quantity.ELECTRICITY, 1: Quantity.GAS, 2: Quantity.WATER}
_SCALING: Final = ("unit_of_measure", "multiplier", "divisor")
"""The Metering attributes that say what the total means, in MeterScaling.from_zcl's order."""


class MeterProtocolError(Exception):
    """The meter answered something the protocol does not allow."""


class _StreamedChunks:
    """The ``readings_chunk`` frames a meter sends for one ``read_readings`` request.

    They carry the request's TSN, which tells them from a late frame of an earlier pull;
    the request is sent without a pending answer, so zigpy hands every one of them to the
    cluster's listeners.
    """

    def __init__(self, cluster: Cluster, tsn: int) -> None:
        self._cluster = cluster
        self._tsn = tsn
        self._queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=MAX_BUNDLE_SIZE // 8)

    def __enter__(self) -> _StreamedChunks:
        self._cluster.add_listener(self)
        return self

    def __exit__(self, *_: object) -> None:
        self._cluster.remove_listener(self)

    def cluster_command(self, tsn: int, command_id: int, args: Any) -> None:
        """zigpy's event for a cluster command the hub did not ask for (or asked already)."""
        if tsn == self._tsn and command_id == _READINGS_CHUNK and not self._queue.full():
            self._queue.put_nowait(args)

    async def next(self, wait: float, *, offset: int = 0, size: int | None = None) -> Any | None:
        """The next chunk within ``wait`` seconds; with ``size``, only if it continues at
        ``offset`` the bundle of ``size`` (None otherwise)."""
        try:
            chunk = await asyncio.wait_for(self._queue.get(), wait)
        except TimeoutError:
            return None
        if size is not None and (chunk.size != size or chunk.offset != offset or not chunk.data):
            return None
        return chunk


@dataclass(frozen=True, slots=True)
class MeterStatus:
    """What the hub reads from a meter."""

    total: int
    """The running total as the meter counts it (raw, before its scaling)."""
    held: int
    forced_erasures: int
    scaling: MeterScaling | None
    """How to read ``total``; None when the meter states one the hub cannot use."""
    scaling_problem: str | None = None
    """Why ``scaling`` is None, in words for the log."""

    @property
    def scaled_total(self) -> Decimal | None:
        """The running total in the meter's unit (None without a usable scaling)."""
        return None if self.scaling is None else self.scaling.quantity(self.total)


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
        self._scaling: MeterScaling | None = None
        self._scaling_problem: str | None = None

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
        """Running total with the meter's scaling, readings held and forced erasures so far.

        A scaling the hub cannot use (a divisor of 0, a unit it does not know) leaves
        ``scaling`` None and says why in ``scaling_problem`` (logged once as a warning);
        everything else is still read.
        """
        metering = await self._read(self._metering, [*_SCALING, "current_summ_delivered"])
        ours = await self._read(self._cluster, ["pending_readings", "forced_erasures"])
        scaling, problem = self._scaling_of(metering)
        return MeterStatus(
            total=int(metering.get("current_summ_delivered", 0)),
            held=int(ours.get("pending_readings", 0)),
            forced_erasures=int(ours.get("forced_erasures", 0)),
            scaling=scaling,
            scaling_problem=problem,
        )

    def _scaling_of(self, metering: dict[str, Any]) -> tuple[MeterScaling | None, str | None]:
        missing = [name for name in _SCALING if metering.get(name) is None]
        try:
            if missing:
                raise MeterScalingError(f"it states no {' or '.join(missing)}")
            scaling = MeterScaling.from_zcl(*(int(metering[name]) for name in _SCALING))
        except MeterScalingError as err:
            problem = f"meter {self.ieee} states an unusable scaling: {err}"
            if problem != self._scaling_problem:
                _LOGGER.warning("%s; its total is unknown until it is fixed", problem)
            self._scaling, self._scaling_problem = None, problem
            return None, problem
        self._scaling, self._scaling_problem = scaling, None
        return scaling, None

    async def pull(self, after: int) -> list[ReadingPacket]:
        """The readings the meter holds above ``after`` (at most a bundle's), oldest first.

        One bundle in full frames: the meter answers ``read_readings`` with the chunk at the
        asked offset and sends the rest of the bundle after it unasked, under the request's
        TSN. A chunk that does not come within :data:`STREAM_GAP_S`, or comes out of order,
        is asked for again at the offset the hub has, which restarts the rest from there;
        a request that gets no chunk within :data:`REQUEST_TIMEOUT_S` makes the meter
        unreachable, as any unanswered request does.
        """
        data = bytearray()
        size = 0
        for _ in range(MAX_PULL_STEPS):
            tsn = self._device.get_sequence()
            with _StreamedChunks(self._cluster, tsn) as streamed:
                # Sent without a pending answer: every chunk, the first included, comes to
                # the listener, so zigpy cannot take a streamed chunk for a late answer.
                await self._request(
                    "read_readings", after=after, offset=len(data), tsn=tsn, expect_reply=False
                )
                chunk = await streamed.next(REQUEST_TIMEOUT_S)
                if chunk is None:
                    raise DeviceUnreachable(self.ieee)
                if chunk.size == 0:
                    if not data:
                        return []
                    data.clear()  # the meter cut a new bundle meanwhile: start again
                    continue
                if data and chunk.size != size:
                    data.clear()
                    continue
                size = int(chunk.size)
                while chunk is not None:
                    if chunk.offset != len(data) or not chunk.data or size > MAX_BUNDLE_SIZE:
                        raise MeterProtocolError(f"{self.ieee} sent a readings chunk out of order")
                    data += chunk.data
                    if len(data) >= size:
                        return self._bundle(bytes(data[:size]), after)
                    # Lost or reordered: ask again from what the hub has.
                    chunk = await streamed.next(STREAM_GAP_S, offset=len(data), size=size)
        raise MeterProtocolError(f"{self.ieee} kept changing its readings")

    def _bundle(self, data: bytes, after: int) -> list[ReadingPacket]:
        try:
            return decode_bundle(data, after)
        except TelemetryError as err:
            raise MeterProtocolError(f"{self.ieee} sent malformed readings: {err}") from None

    async def erase(self, command: EraseCommand) -> None:
        """Deliver an erase command (a run of a batch receipt, with its proof).

        Streamed: its chunks go unanswered, and the commit's answer says which arrived.
        """
        self._transfer_id = (self._transfer_id + 1) % 256
        try:
            await stream_object(
                ClusterTransferLink(self._cluster),
                device=self.ieee,
                transfer_id=self._transfer_id,
                kind=ObjectKind.erase_command,
                payload=command.encoded,
                chunk_size=MAX_CHUNK_SIZE,
            )
        except TransferRefused as err:
            raise EraseRefused(err.reason.name) from None

    def add_report_listener(self, callback: Callable[[Decimal | None], None]) -> Callable[[], None]:
        """Be told whenever the meter reports its running total (a reading was taken).

        The total comes in the meter's unit, scaled as the last :meth:`read_status`
        found; None while no usable scaling is known.
        """

        def reported(raw: Any) -> None:
            scaling = self._scaling
            callback(None if scaling is None else scaling.quantity(int(raw)))

        return on_report(self._metering, Metering.AttributeDefs.current_summ_delivered, reported)

    async def _read(
        self, cluster: Cluster, names: list[int | str | ZCLAttributeDef]
    ) -> dict[str, Any]:
        try:
            # Each definition carries its manufacturer code (ours or none), which zigpy sends.
            values, _ = await cluster.read_attributes(names, retries=RETRIES)
        except (DeliveryError, TimeoutError) as err:
            raise DeviceUnreachable(self.ieee) from err
        return dict(values)

    async def _request(self, command: str, **kwargs: Any) -> Any:
        try:
            return await getattr(self._cluster, command)(
                **kwargs,
                manufacturer=MANUFACTURER_CODE,
                timeout=REQUEST_TIMEOUT_S,
                retries=RETRIES,
            )
        except (DeliveryError, TimeoutError) as err:
            raise DeviceUnreachable(self.ieee) from err
