"""A simulated door lock: the reference firmware behind a simulated Zigbee radio.

It speaks the standard DoorLock cluster (lock state, lock command, operation
event notifications) and PowerConfiguration (battery), and our cluster for
grants, revocations, unlock proofs, its installation record, station
authorisations, sealed fingerprint templates and template erasures (whose
signed confirmation the hub reads back). Its own timer purges expired grants
whether or not a hub is listening; its physical port (a directory) is read
when a medium is inserted (see lock_port).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import zigpy.types as t
from zigpy.zcl import foundation
from zigpy.zcl.clusters.closures import DoorLock, LockState, LockType
from zigpy.zcl.clusters.general import Basic, PowerConfiguration
from zigpy.zdo import types as zdo_t

from buildinghub.biometrics.sealing import MAX_BUNDLE_BYTES
from buildinghub.credentials import CredentialError
from buildinghub.devices.door_lock_protocol import AccessEvent
from buildinghub.radio.cluster import (
    CHUNK_SIZE,
    CLUSTER_ID,
    MANUFACTURER_CODE,
    ObjectKind,
    Reason,
    TransferStatus,
)
from buildinghub.radio.transfer import StatusReply, TransferReceiver

from .device import CommandRefused, VirtualDevice, VirtualEndpoint
from .door_lock_firmware import DoorLockFirmware, LockRefusal

_LOGGER = logging.getLogger(__name__)
ENDPOINT_ID = 1
DOOR_LOCK_DEVICE_TYPE = 0x000A
MAX_OBJECT_SIZE = MAX_BUNDLE_BYTES
PURGE_INTERVAL_S = 60.0
RELOCK_AFTER_S = 5.0


_BIOMETRIC_KINDS = frozenset(
    {ObjectKind.station_authorisation, ObjectKind.sealed_template, ObjectKind.template_erase}
)


def reason_code(code: str) -> Reason:
    """The radio code for a refusal reason (malformed when it has none)."""
    try:
        return Reason[code]
    except KeyError:
        return Reason.malformed


class SimulatedDoorLock(VirtualDevice):
    """One door lock on the simulated building network."""

    def __init__(
        self,
        firmware: DoorLockFirmware,
        *,
        ieee: str,
        nwk: int,
        battery_percent: int = 90,
        model: str = "Rental door lock (simulated)",
        extra_clusters: tuple[int, ...] = (),
    ) -> None:
        """Put ``firmware`` behind a radio at ``ieee``/``nwk``."""
        super().__init__(
            ieee=ieee,
            nwk=nwk,
            manufacturer="Building Hub",
            model=model,
            manufacturer_code=MANUFACTURER_CODE,
            # Mains-backed router: answers at once, like motorised entry locks.
            logical_type=zdo_t.LogicalType.Router,
            endpoints=[
                VirtualEndpoint(
                    id=ENDPOINT_ID,
                    device_type=DOOR_LOCK_DEVICE_TYPE,
                    input_clusters=(
                        Basic.cluster_id,
                        PowerConfiguration.cluster_id,
                        DoorLock.cluster_id,
                        CLUSTER_ID,
                        *extra_clusters,
                    ),
                )
            ],
            attributes={
                (ENDPOINT_ID, PowerConfiguration.cluster_id): {
                    "battery_percentage_remaining": 2 * battery_percent,
                },
                (ENDPOINT_ID, DoorLock.cluster_id): {
                    "lock_type": LockType.Dead_bolt,
                    "actuator_enabled": t.Bool.true,
                },
            },
        )
        self.firmware = firmware
        self.receiver = TransferReceiver(MAX_OBJECT_SIZE)
        self._refresh_attributes()
        self._purge_handle: asyncio.TimerHandle | None = None
        self._relock_handle: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        firmware.add_listener(self._on_access)

    # -- the lock's own schedule -------------------------------------------------------------

    def power_on(self) -> None:
        """Start the lock's own timers (the purge runs with or without a hub)."""
        if self._purge_handle is None:
            self._schedule_purge()

    def power_off(self) -> None:
        """Stop the timers."""
        for handle in (self._purge_handle, self._relock_handle):
            if handle is not None:
                handle.cancel()
        self._purge_handle = self._relock_handle = None

    def _schedule_purge(self) -> None:
        loop = asyncio.get_running_loop()
        self._purge_handle = loop.call_later(PURGE_INTERVAL_S, self._purge_tick)

    def _purge_tick(self) -> None:
        purged = self.firmware.purge_expired()
        if purged:
            _LOGGER.debug("%s purged %d expired grants", self.firmware.lock_id, purged)
        # A real lock also reports its bolt at its reporting interval, moved or not.
        self._report_bolt()
        self._schedule_purge()

    # -- a person at the door ------------------------------------------------------------

    def keypad(self, pin: str) -> AccessEvent:
        """Someone types a PIN."""
        return self.firmware.keypad(pin)

    def fingerprint(self, template: bytes) -> AccessEvent:
        """Someone puts a finger on the sensor."""
        return self.firmware.fingerprint(template)

    # -- the radio -----------------------------------------------------------------------

    async def receive(self, packet: t.ZigbeePacket) -> None:
        """Take a frame with the lock's live values (clock, grants, bolt) in place."""
        self._refresh_attributes()
        await super().receive(packet)

    def _refresh_attributes(self) -> None:
        self.set_attribute(ENDPOINT_ID, CLUSTER_ID, "device_time", self.firmware.clock.now())
        self.set_attribute(ENDPOINT_ID, CLUSTER_ID, "grant_count", len(self.firmware.grants))
        self.set_attribute(
            ENDPOINT_ID,
            CLUSTER_ID,
            "free_slots",
            self.firmware.max_grants - len(self.firmware.grants),
        )
        self.set_attribute(
            ENDPOINT_ID,
            DoorLock.cluster_id,
            "lock_state",
            LockState.Locked if self.firmware.locked else LockState.Unlocked,
        )

    async def handle_cluster_command(
        self,
        endpoint_id: int,
        cluster_id: int,
        header: foundation.ZCLHeader,
        command: foundation.ZCLCommandDef,
        args: foundation.CommandSchema,
    ) -> None:
        """Dispatch DoorLock and Building Hub commands to the firmware."""
        if cluster_id == DoorLock.cluster_id and command.name == "lock_door":
            self.firmware.lock()
            self._report_bolt()
            await self.reply(
                endpoint_id,
                cluster_id,
                header,
                "lock_door_response",
                status=foundation.Status.SUCCESS,
            )
            return
        if cluster_id != CLUSTER_ID:
            raise CommandRefused(foundation.Status.UNSUP_CLUSTER_COMMAND)
        answer = self._handle_ours(command.name, args)
        name, fields = answer
        await self.reply(endpoint_id, cluster_id, header, name, **fields)
        self._refresh_attributes()

    def _handle_ours(self, name: str, args: Any) -> tuple[str, dict[str, Any]]:
        if name == "transfer_begin":
            reply = self.receiver.begin(args.transfer_id, args.kind, args.size, bytes(args.digest))
        elif name == "transfer_chunk":
            reply = self.receiver.chunk(args.transfer_id, args.offset, bytes(args.data))
        elif name == "transfer_commit":
            reply = self._commit(args.transfer_id)
        elif name == "challenge_request":
            return "challenge", {"nonce": self.firmware.challenge()}
        elif name == "read_object":
            return "object_chunk", self._read_object(args.kind, args.offset)
        elif name == "purge_expired":
            return "purged", {"count": self.firmware.purge_expired()}
        else:
            raise CommandRefused(foundation.Status.UNSUP_CLUSTER_COMMAND)
        return "transfer_status", {
            "transfer_id": reply.transfer_id,
            "status": reply.status,
            "next_offset": reply.next_offset,
            "reason": reply.reason,
        }

    def _commit(self, transfer_id: int) -> StatusReply:
        reply, kind, payload = self.receiver.commit(transfer_id)
        if kind is None:
            return reply
        return self.receiver.finish(self._apply(transfer_id, kind, payload))

    def _apply(self, transfer_id: int, kind: ObjectKind, payload: bytes) -> StatusReply:
        try:
            if kind is ObjectKind.grant:
                self.firmware.apply_grant(payload)
            elif kind is ObjectKind.delegated_grant:
                self.firmware.apply_delegated_grant(payload)
            elif kind is ObjectKind.revocation:
                self.firmware.revoke(payload)
            elif kind is ObjectKind.unlock:
                event = self.firmware.remote_unlock(payload)
                if not event.granted:
                    return StatusReply(
                        transfer_id, TransferStatus.rejected, 0, reason_code(event.reason)
                    )
            elif kind in _BIOMETRIC_KINDS:
                self._apply_biometric(kind, payload)
            else:
                return StatusReply(transfer_id, TransferStatus.rejected, 0, Reason.unsupported)
        except CredentialError as err:
            return StatusReply(transfer_id, TransferStatus.rejected, 0, reason_code(err.reason))
        except LockRefusal as err:
            return StatusReply(transfer_id, TransferStatus.rejected, 0, reason_code(err.reason))
        return StatusReply(transfer_id, TransferStatus.accepted, len(payload))

    def _apply_biometric(self, kind: ObjectKind, payload: bytes) -> None:
        biometrics = self.firmware.biometrics
        if biometrics is None:
            raise LockRefusal("not_installed", "this lock has no installation record yet")
        if kind is ObjectKind.station_authorisation:
            biometrics.authorise_station(payload)
        elif kind is ObjectKind.sealed_template:
            biometrics.import_by_radio(payload)
        else:
            biometrics.erase(payload)

    def _read_object(self, kind: ObjectKind, offset: int) -> dict[str, Any]:
        record = b""
        if kind is ObjectKind.installation_record:
            record = self.firmware.installation_bytes
        elif kind is ObjectKind.erase_confirmation and self.firmware.biometrics is not None:
            record = self.firmware.biometrics.last_confirmation
        return {
            "kind": kind,
            "size": len(record),
            "offset": offset,
            "data": record[offset : offset + CHUNK_SIZE],
        }

    def _on_access(self, event: AccessEvent) -> None:
        """Report every attempt to the hub, and relock a few seconds after an opening."""
        self._refresh_attributes()
        if event.granted:
            loop = asyncio.get_running_loop()
            if self._relock_handle is not None:
                self._relock_handle.cancel()
            self._relock_handle = loop.call_later(RELOCK_AFTER_S, self._relock)
            self._report_bolt()
        task = asyncio.get_running_loop().create_task(self._notify(event))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _relock(self) -> None:
        self.firmware.lock()
        self._relock_handle = None
        self._report_bolt()

    def _report_bolt(self) -> None:
        """Report the bolt's state, as a lock does whenever it moves."""
        self._refresh_attributes()
        task = asyncio.get_running_loop().create_task(self._report_lock_state())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _report_lock_state(self) -> None:
        try:
            await self.report_attributes(
                ENDPOINT_ID,
                DoorLock.cluster_id,
                {"lock_state": LockState.Locked if self.firmware.locked else LockState.Unlocked},
            )
        except Exception as err:  # a lost report must not crash the lock
            _LOGGER.debug("%s could not report its bolt: %s", self.firmware.lock_id, err)

    async def _notify(self, event: AccessEvent) -> None:
        try:
            await self.notify(
                ENDPOINT_ID,
                DoorLock.cluster_id,
                "operation_event_notification",
                operation_event_source=event.source(),
                operation_event_code=event.event_code(),
                user_id=0,
                pin="",
                local_time=event.at,
                data=event.data(),
            )
        except Exception as err:
            _LOGGER.debug("%s could not report an access event: %s", self.firmware.lock_id, err)
