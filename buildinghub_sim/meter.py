"""A simulated community meter: the reference firmware behind a simulated Zigbee radio.

The standard Metering cluster (0x0702) carries the running total as the meter's
register counts it, with the register's unit, multiplier and divisor
(:mod:`.meter_register`), and reports it as it changes, as real meters do; our
cluster carries the signed readings the hub pulls with ``read_readings`` (every
reading held above a sequence, as one bundle in full frames: the answer carries the chunk
at the asked offset and the rest follows unasked) and the erase commands it
delivers as chunked transfers (in full-frame chunks, taken unanswered with
``transfer_stream``: only the transfer's begin and commit are answered). The meter's own
retry timer counts unacknowledged readings and erases over-limit ones.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Final

import zigpy.types as t
from zigpy.zcl import foundation
from zigpy.zcl.clusters.general import Basic
from zigpy.zcl.clusters.smartenergy import Metering
from zigpy.zdo import types as zdo_t

from buildinghub.radio.cluster import (
    CHUNK_SIZE,
    CLUSTER_ID,
    MANUFACTURER_CODE,
    MAX_CHUNK_SIZE,
    READINGS_CHUNK_SIZE,
    ObjectKind,
    Reason,
    TransferStatus,
)
from buildinghub.radio.transfer import StatusReply, TransferReceiver
from buildinghub.telemetry.bundle import MAX_BUNDLE_READINGS, encode_bundle
from buildinghub.telemetry.errors import TelemetryError
from buildinghub.telemetry.reading import Quantity, ReadingPacket
from buildinghub.telemetry.receipt import MAX_ERASE_COMMAND_SIZE

from .device import CommandRefused, VirtualDevice, VirtualEndpoint
from .meter_firmware import MeterFirmware
from .meter_register import DEFAULT_REGISTERS, MeterRegister

_LOGGER = logging.getLogger(__name__)
ENDPOINT_ID: Final = 1
METER_DEVICE_TYPE: Final = 0x0501  # Zigbee HA "Metering Device"
RETRY_PERIOD_S: Final = 900.0
DEVICE_TYPE: Final = {Quantity.ELECTRICITY: 0, Quantity.GAS: 1, Quantity.WATER: 2}


def _reason(code: str) -> Reason:
    try:
        return Reason[code]
    except KeyError:
        return Reason.malformed


class SimulatedMeter(VirtualDevice):
    """One meter on the simulated building network."""

    def __init__(
        self,
        firmware: MeterFirmware,
        *,
        ieee: str,
        nwk: int,
        retry_period_s: float = RETRY_PERIOD_S,
        register: MeterRegister | None = None,
    ) -> None:
        """Put ``firmware`` behind a radio at ``ieee``/``nwk``.

        ``register`` is what the Metering cluster states about its total (by default
        the firmware's base units, shown as kWh or cubic metres).
        """
        self.register = register or DEFAULT_REGISTERS[firmware.quantity]
        super().__init__(
            ieee=ieee,
            nwk=nwk,
            manufacturer="Building Hub",
            model=f"{firmware.quantity.name.capitalize()} meter (simulated)",
            manufacturer_code=MANUFACTURER_CODE,
            logical_type=zdo_t.LogicalType.Router,
            endpoints=[
                VirtualEndpoint(
                    id=ENDPOINT_ID,
                    device_type=METER_DEVICE_TYPE,
                    input_clusters=(Basic.cluster_id, Metering.cluster_id, CLUSTER_ID),
                )
            ],
            attributes={
                (ENDPOINT_ID, Metering.cluster_id): {
                    "unit_of_measure": self.register.unit_of_measure,
                    "metering_device_type": DEVICE_TYPE[firmware.quantity],
                    "multiplier": self.register.multiplier,
                    "divisor": self.register.divisor,
                    "status": 0,
                },
            },
        )
        self.firmware = firmware
        self.receiver = TransferReceiver(MAX_ERASE_COMMAND_SIZE, chunk_size=MAX_CHUNK_SIZE)
        self._bundle: tuple[int, bytes] | None = None
        self.retry_period_s = retry_period_s
        self._retry_handle: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._refresh_attributes()

    # -- the meter's own schedule -----------------------------------------------------------

    def power_on(self) -> None:
        """Start the retry timer (it runs with or without a hub)."""
        if self._retry_handle is None:
            self._schedule_retry()

    def power_off(self) -> None:
        """Stop the timer."""
        if self._retry_handle is not None:
            self._retry_handle.cancel()
            self._retry_handle = None

    def _schedule_retry(self) -> None:
        self._retry_handle = asyncio.get_running_loop().call_later(
            self.retry_period_s, self._retry_tick
        )

    def _retry_tick(self) -> None:
        self.firmware.retry_tick()
        self._announce()
        self._schedule_retry()

    def measure(self, consumed: int) -> ReadingPacket:
        """Consumption happened: take a reading and tell the hub the total moved."""
        packet = self.firmware.measure(consumed)
        self._announce()
        return packet

    # -- the radio --------------------------------------------------------------------------

    def _refresh_attributes(self) -> None:
        firmware = self.firmware
        self.set_attribute(
            ENDPOINT_ID, Metering.cluster_id, "current_summ_delivered", self._count()
        )
        self.set_attribute(ENDPOINT_ID, CLUSTER_ID, "pending_readings", len(firmware.memory))
        self.set_attribute(ENDPOINT_ID, CLUSTER_ID, "forced_erasures", firmware.forced_erasures)

    def _count(self) -> int:
        return self.register.count(self.firmware.total)

    def _announce(self) -> None:
        """Report the total and what is held, as a meter does when it changes or retries."""
        self._refresh_attributes()
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        task = loop.create_task(self._report())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _report(self) -> None:
        try:
            await self.report_attributes(
                ENDPOINT_ID,
                Metering.cluster_id,
                {"current_summ_delivered": self._count()},
            )
        except Exception as err:  # a lost report must not crash the meter
            _LOGGER.debug("%s could not report: %s", self.firmware.meter_id, err)

    async def receive(self, packet: t.ZigbeePacket) -> None:
        """Take a frame with the live values in place."""
        self._refresh_attributes()
        await super().receive(packet)

    async def handle_cluster_command(
        self,
        endpoint_id: int,
        cluster_id: int,
        header: foundation.ZCLHeader,
        command: foundation.ZCLCommandDef,
        args: foundation.CommandSchema,
    ) -> None:
        """Our cluster: reading pulls and erase transfers."""
        if cluster_id != CLUSTER_ID:
            raise CommandRefused(foundation.Status.UNSUP_CLUSTER_COMMAND)
        answer = self._handle_ours(command.name, args)
        if answer is not None:
            name, fields = answer
            await self.reply(endpoint_id, cluster_id, header, name, **fields)
        if command.name == "read_readings" and answer is not None:
            # The rest of the bundle follows the answer unasked, under the request's TSN.
            _, chunk = answer
            offset = chunk["offset"] + len(chunk["data"])
            request: Any = args
            while chunk["data"] and offset < chunk["size"]:
                chunk = self._readings_chunk(request.after, offset)
                await self.reply(endpoint_id, cluster_id, header, "readings_chunk", **chunk)
                offset += len(chunk["data"])
        self._refresh_attributes()

    def _handle_ours(self, name: str, args: Any) -> tuple[str, dict[str, Any]] | None:
        if name == "transfer_stream":
            # Taken unanswered: a chunk out of order is dropped here, and the commit's
            # answer names the offset the meter wants.
            self.receiver.chunk(args.transfer_id, args.offset, bytes(args.data))
            return None
        if name == "read_readings":
            return "readings_chunk", self._readings_chunk(args.after, args.offset)
        if name == "read_object":
            return "object_chunk", self._read_object(args.kind, args.offset)
        if name == "transfer_begin":
            reply = self.receiver.begin(args.transfer_id, args.kind, args.size, bytes(args.digest))
        elif name == "transfer_chunk":
            reply = self.receiver.chunk(args.transfer_id, args.offset, bytes(args.data))
        elif name == "transfer_commit":
            reply = self._commit(args.transfer_id)
        else:
            raise CommandRefused(foundation.Status.UNSUP_CLUSTER_COMMAND)
        return "transfer_status", {
            "transfer_id": reply.transfer_id,
            "status": reply.status,
            "next_offset": reply.next_offset,
            "reason": reply.reason,
        }

    def _readings_chunk(self, after: int, offset: int) -> dict[str, Any]:
        # The bundle is cut when the hub asks for its start and served unchanged after
        # that, so a reading taken or erased meanwhile never shifts the bytes under a
        # pull; a chunk of a bundle the meter no longer has is answered with size 0.
        if offset == 0:
            packets = self.firmware.held_above(after, MAX_BUNDLE_READINGS)
            self._bundle = (after, encode_bundle(packets)) if packets else None
        if self._bundle is None or self._bundle[0] != after:
            return {"size": 0, "offset": offset, "data": b""}
        data = self._bundle[1]
        return {
            "size": len(data),
            "offset": offset,
            "data": data[offset : offset + READINGS_CHUNK_SIZE],
        }

    def _read_object(self, kind: ObjectKind, offset: int) -> dict[str, Any]:
        data = self.firmware.identity.encode() if kind is ObjectKind.meter_identity else b""
        return {
            "kind": kind,
            "size": len(data),
            "offset": offset,
            "data": data[offset : offset + CHUNK_SIZE],
        }

    def _commit(self, transfer_id: int) -> StatusReply:
        reply, kind, payload = self.receiver.commit(transfer_id)
        if kind is None:
            return reply
        if kind is not ObjectKind.erase_command:
            answer = StatusReply(transfer_id, TransferStatus.rejected, 0, Reason.unsupported)
            return self.receiver.finish(answer)
        try:
            self.firmware.erase(payload)
        except TelemetryError as err:
            answer = StatusReply(transfer_id, TransferStatus.rejected, 0, _reason(err.reason))
            return self.receiver.finish(answer)
        return self.receiver.finish(StatusReply(transfer_id, TransferStatus.accepted, len(payload)))
