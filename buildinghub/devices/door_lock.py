"""The hub's client for one Building Hub door lock on the building network.

Grants, revocations and unlock proofs go through our cluster's chunked
transfer; lock state, the battery and access events use the standard
DoorLock and PowerConfiguration clusters.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import zigpy.device
from zigpy.exceptions import DeliveryError
from zigpy.zcl import Cluster
from zigpy.zcl.clusters.closures import DoorLock, LockState, OperationEvent
from zigpy.zcl.clusters.general import PowerConfiguration

from buildinghub.credentials import Clock, SignedGrant, SigningKey
from buildinghub.credentials.booking_delegation import encode_delegated_grant
from buildinghub.credentials.installation import InstallationRecord, verify_installation
from buildinghub.credentials.lock_command import CommandAction
from buildinghub.radio.cluster import (
    CLUSTER_ID,
    MANUFACTURER_CODE,
    BuildingHubCluster,
    ObjectKind,
)
from buildinghub.radio.cluster_link import ClusterTransferLink
from buildinghub.radio.errors import DeviceUnreachable
from buildinghub.radio.reports import on_report
from buildinghub.radio.request_policy import RETRIES
from buildinghub.radio.transfer import TransferLink, TransferRefused, send_object

from .door_lock_protocol import (
    AccessEvent,
    ProtocolError,
    UnlockRequest,
    answer_challenge,
    parse_event_data,
)
from .pin_users import Guarantee

_LOGGER = logging.getLogger(__name__)
ENDPOINT_ID = 1
REQUEST_TIMEOUT_S = 5.0
MAX_RECORD_SIZE = 2048
COMMAND_KINDS = {
    CommandAction.REVOKE: ObjectKind.revocation,
    CommandAction.FREEZE: ObjectKind.freeze,
    CommandAction.UNFREEZE: ObjectKind.unfreeze,
}
_GRANTED_CODES = frozenset({OperationEvent.Unlock})
_REPORTED_CODES = frozenset(
    {
        OperationEvent.Unlock,
        OperationEvent.UnlockFailureInvalidPINorID,
        OperationEvent.UnlockFailureInvalidSchedule,
    }
)


class LockRefused(Exception):
    """The lock said no; ``reason`` is its code (``expired``, ``bad_signature``, ...)."""

    def __init__(self, what: str, reason: str) -> None:
        super().__init__(f"the lock refused the {what}: {reason}")
        self.what = what
        self.reason = reason


@dataclass(frozen=True, slots=True)
class LockStatus:
    """What the hub reads from a lock when it polls."""

    locked: bool
    battery_percent: int | None
    device_time: int
    grant_count: int


class DoorLockClient:
    """Talks to one door lock; safe to share within the hub's event loop."""

    guarantee = Guarantee.VERIFIED_BY_LOCK
    """Our lock verifies every grant's signature and window itself."""

    def __init__(self, device: zigpy.device.Device, *, clock: Clock) -> None:
        endpoint = device.endpoints[ENDPOINT_ID]
        cluster = endpoint.in_clusters.get(CLUSTER_ID)
        if not isinstance(cluster, BuildingHubCluster):
            raise ProtocolError(f"{device.ieee} has no Building Hub cluster")
        self._device = device
        self._cluster: Cluster = cluster
        self._door: Cluster = endpoint.in_clusters[DoorLock.cluster_id]
        self._power: Cluster | None = endpoint.in_clusters.get(PowerConfiguration.cluster_id)
        self._clock = clock
        self._counters: dict[bytes, int] = {}
        self._locked: bool | None = None  # the bolt as last read or reported

    @property
    def ieee(self) -> str:
        """The lock's IEEE address as text."""
        return str(self._device.ieee)

    # -- objects -------------------------------------------------------------------------

    async def read_installation(self) -> InstallationRecord:
        """Pull the lock's installation record and check the landlord's signature on it."""
        record = await self.read_object(
            ObjectKind.installation_record, "installation record", missing="not_installed"
        )
        return verify_installation(record)

    async def read_object(self, kind: ObjectKind, what: str, *, missing: str) -> bytes:
        """Pull an object the lock holds for the hub, chunk by chunk (LockRefused: missing)."""
        data = bytearray()
        size = MAX_RECORD_SIZE
        while len(data) < size:
            reply = await self._request("read_object", kind=kind, offset=len(data))
            if getattr(reply, "offset", None) != len(data) or not reply.data:
                raise LockRefused(what, missing)
            size = reply.size
            if size > MAX_RECORD_SIZE:
                raise LockRefused(what, "oversized")
            data += reply.data
        return bytes(data[:size])

    async def install_grant(self, signed: SignedGrant) -> None:
        """Deliver a verified grant; the lock verifies it again itself."""
        await self._send(ObjectKind.grant, signed.encoded, "grant")

    async def install_delegated_grant(self, delegation: bytes, signed: SignedGrant) -> None:
        """Deliver a grant the hub issued under a landlord's booking delegation, with the
        delegation; the lock verifies the whole chain itself."""
        payload = encode_delegated_grant(delegation, signed.encoded)
        await self._send(ObjectKind.delegated_grant, payload, "grant")

    async def challenge(self) -> bytes:
        """A fresh nonce from the lock: what a proof or a signed command answers."""
        return bytes((await self._request("challenge_request")).nonce)

    async def send_command(self, command: bytes, action: CommandAction) -> None:
        """Deliver a signed command (lock_authority); the lock checks its authority itself."""
        await self._send(COMMAND_KINDS[action], command, action.value)

    async def purge_expired(self) -> int:
        """Ask the lock to purge expired grants now; returns how many it removed."""
        reply = await self._request("purge_expired")
        return int(reply.count)

    async def unlock(self, signed: SignedGrant, holder_key: SigningKey) -> None:
        """Open the door with a grant whose holder key the hub keeps.

        The lock's fresh nonce, a counter that only moves forward and the
        grant's digest are signed with the holder key; a copied grant alone
        opens nothing.
        """
        request = await self.prepare_unlock(signed, holder_key)
        await self.send_unlock(request)

    async def send_unlock(self, request: UnlockRequest) -> None:
        """Hand an answered challenge to the lock (raises LockRefused with its reason)."""
        await self._send(ObjectKind.unlock, request.encode(), "unlock")

    async def prepare_unlock(self, signed: SignedGrant, holder_key: SigningKey) -> UnlockRequest:
        """Ask the lock for a fresh nonce and answer it with the holder key."""
        return self.answer_challenge(signed, holder_key, await self.challenge())

    def answer_challenge(
        self, signed: SignedGrant, holder_key: SigningKey, nonce: bytes
    ) -> UnlockRequest:
        """The hub's decision work for an unlock, once the lock's nonce is here."""
        grant_id = signed.grant.grant_id
        # Wall-clock seconds keep the counter ahead of anything sent before a hub
        # restart, without the hub having to persist it.
        counter = max(self._counters.get(grant_id, 0) + 1, self._clock.now())
        self._counters[grant_id] = counter
        return answer_challenge(signed, holder_key, nonce, counter)

    async def lock(self) -> None:
        """Bolt the door."""
        try:
            await self._door.lock_door(timeout=REQUEST_TIMEOUT_S, retries=RETRIES)
        except (DeliveryError, TimeoutError) as err:
            raise DeviceUnreachable(self.ieee) from err

    async def read_status(self) -> LockStatus:
        """Lock state, battery, the lock's clock and how many grants it holds."""
        try:
            door, _ = await self._door.read_attributes(["lock_state"], retries=RETRIES)
            ours, _ = await self._cluster.read_attributes(
                ["device_time", "grant_count"], retries=RETRIES
            )
            battery = None
            if self._power is not None:
                power, _ = await self._power.read_attributes(
                    ["battery_percentage_remaining"], retries=RETRIES
                )
                raw = power.get("battery_percentage_remaining")
                battery = None if raw is None else int(raw) // 2
        except (DeliveryError, TimeoutError) as err:
            raise DeviceUnreachable(self.ieee) from err
        self._locked = door.get("lock_state") == LockState.Locked
        return LockStatus(
            locked=self._locked,
            battery_percent=battery,
            device_time=int(ours.get("device_time", 0)),
            grant_count=int(ours.get("grant_count", 0)),
        )

    def add_access_listener(self, callback: Callable[[AccessEvent], None]) -> Callable[[], None]:
        """Be told of every attempt at the door the lock reports."""
        client = self

        class _Listener:
            def cluster_command(self, tsn: int, command_id: int, args: Any) -> None:
                client._on_door_command(command_id, args, callback)

        listener = _Listener()
        self._door.add_listener(listener)

        def stop() -> None:
            self._door.remove_listener(listener)

        return stop

    @property
    def link(self) -> TransferLink:
        """The transfer's requests as commands of our cluster on this lock."""
        return ClusterTransferLink(self._cluster)

    def add_bolt_listener(self, callback: Callable[[bool], None]) -> Callable[[], None]:
        """Be told whenever the bolt moves (True: locked).

        A lock also reports its state when nothing moved (a periodic report, a report after
        a command it ignored): only a state other than the last one read or reported is a
        movement, so a resting lock tells nothing however often it reports.
        """

        def reported(value: Any) -> None:
            locked = value == LockState.Locked
            if locked != self._locked:
                self._locked = locked
                callback(locked)

        return on_report(self._door, DoorLock.AttributeDefs.lock_state, reported)

    # -- internals -----------------------------------------------------------------------

    def _on_door_command(
        self, command_id: int, args: Any, callback: Callable[[AccessEvent], None]
    ) -> None:
        if command_id != DoorLock.ClientCommandDefs.operation_event_notification.id:
            return
        if args.operation_event_code not in _REPORTED_CODES:
            return
        try:
            event = parse_event_data(
                str(args.data or ""),
                granted=args.operation_event_code in _GRANTED_CODES,
                at=self._clock.now(),
            )
        except ProtocolError as err:
            _LOGGER.warning("Lock %s sent an access event we cannot read: %s", self.ieee, err)
            return
        callback(event)

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

    async def send(self, kind: ObjectKind, payload: bytes, what: str) -> None:
        """Deliver an object by chunked transfer (LockRefused with the lock's reason)."""
        await self._send(kind, payload, what)

    async def _send(self, kind: ObjectKind, payload: bytes, what: str) -> None:
        lane = _lane(self._device)
        # One transfer at a time per lock, whoever sends it: the lock holds only a few open
        # transfers, and a new one must wait its turn rather than push an older one out.
        async with lane.turn:
            lane.transfer_id = (lane.transfer_id + 1) % 256
            try:
                await send_object(
                    self.link,
                    device=self.ieee,
                    transfer_id=lane.transfer_id,
                    kind=kind,
                    payload=payload,
                )
            except TransferRefused as err:
                raise LockRefused(what, err.reason.name) from None


@dataclass(slots=True)
class _Lane:
    """The queue of transfers to one lock, shared by every client of that device."""

    turn: asyncio.Lock = field(default_factory=asyncio.Lock)
    transfer_id: int = 0


_LANES: weakref.WeakKeyDictionary[zigpy.device.Device, _Lane] = weakref.WeakKeyDictionary()


def _lane(device: zigpy.device.Device) -> _Lane:
    lane = _LANES.get(device)
    if lane is None:
        lane = _LANES[device] = _Lane()
    return lane
