"""A node on the building network that is not the hub: what any other radio can send a lock.

Every node that joined a Zigbee network holds its network key, so any of them (another
lock, a meter, or one an intruder joined) can address our cluster on a lock directly, and
nothing in the frame tells the lock it did not come from the hub. A :class:`RadioPeer`
speaks our cluster the way the hub does, from its own address, and hears the lock's
answers, so a test can try exactly what such a node can: a revocation, a freeze, a replay.
"""

from __future__ import annotations

import asyncio
from typing import Any

import zigpy.types as t
import zigpy.zdo.types as zdo_t
from zigpy.zcl import foundation

from buildinghub.radio.cluster import CLUSTER_ID, MANUFACTURER_CODE, BuildingHubCluster, ObjectKind
from buildinghub.radio.transfer import StatusReply

from .device import HOME_AUTOMATION_PROFILE, VirtualDevice, VirtualEndpoint

ENDPOINT_ID = 1
ANSWER_TIMEOUT_S = 5.0


class RadioPeer(VirtualDevice):
    """Another node on the network, speaking the Building Hub cluster as a client."""

    def __init__(self, *, ieee: str, nwk: int) -> None:
        """A router at ``ieee``/``nwk``; join it to a medium to use it."""
        super().__init__(
            ieee=ieee,
            nwk=nwk,
            manufacturer="Unknown",
            model="Radio peer",
            manufacturer_code=MANUFACTURER_CODE,
            logical_type=zdo_t.LogicalType.Router,
            endpoints=[
                VirtualEndpoint(id=ENDPOINT_ID, device_type=0x0007, output_clusters=(CLUSTER_ID,))
            ],
        )
        self._answers: dict[int, asyncio.Future[Any]] = {}

    def link(self, target: VirtualDevice) -> PeerTransferLink:
        """Transfers to ``target`` from this node (a buildinghub.radio.transfer.TransferLink)."""
        return PeerTransferLink(self, target)

    async def request(self, target: VirtualDevice, command: str, **fields: Any) -> Any:
        """Send one command of our cluster to ``target`` and return its answer's fields."""
        definition: foundation.ZCLCommandDef = getattr(
            BuildingHubCluster.ServerCommandDefs, command
        )
        tsn = self._next_tsn()
        header = foundation.ZCLHeader(
            frame_control=foundation.FrameControl(
                frame_type=foundation.FrameType.CLUSTER_COMMAND,
                is_manufacturer_specific=True,
                direction=foundation.Direction.Client_to_Server,
                disable_default_response=1,
                reserved=0b000,
            ),
            manufacturer=t.uint16_t(MANUFACTURER_CODE),
            tsn=tsn,
            command_id=definition.id,
        )
        answer = asyncio.get_running_loop().create_future()
        self._answers[tsn] = answer
        try:
            await self.medium.to_peer(
                t.ZigbeePacket(
                    src=t.AddrModeAddress(addr_mode=t.AddrMode.NWK, address=t.NWK(self.nwk)),
                    src_ep=t.uint8_t(ENDPOINT_ID),
                    dst=t.AddrModeAddress(addr_mode=t.AddrMode.NWK, address=t.NWK(target.nwk)),
                    dst_ep=t.uint8_t(ENDPOINT_ID),
                    tsn=t.uint8_t(tsn),
                    profile_id=t.uint16_t(HOME_AUTOMATION_PROFILE),
                    cluster_id=t.uint16_t(CLUSTER_ID),
                    data=t.SerializableBytes(
                        header.serialize() + definition.schema(**fields).serialize()
                    ),
                )
            )
            async with asyncio.timeout(ANSWER_TIMEOUT_S):
                return await answer
        finally:
            self._answers.pop(tsn, None)

    async def handle_cluster_command(
        self,
        endpoint_id: int,
        cluster_id: int,
        header: foundation.ZCLHeader,
        command: foundation.ZCLCommandDef,
        args: foundation.CommandSchema,
    ) -> None:
        """An answer from the device we asked."""
        answer = self._answers.get(header.tsn)
        if answer is not None and not answer.done():
            answer.set_result(args)


class PeerTransferLink:
    """The three steps of a transfer, sent by a peer rather than the hub."""

    def __init__(self, peer: RadioPeer, target: VirtualDevice) -> None:
        """Transfers from ``peer`` to ``target``."""
        self._peer = peer
        self._target = target

    async def begin(
        self, transfer_id: int, kind: ObjectKind, size: int, digest: bytes
    ) -> StatusReply:
        """Announce an object."""
        return _status(
            await self._peer.request(
                self._target,
                "transfer_begin",
                transfer_id=transfer_id,
                kind=kind,
                size=size,
                digest=digest,
            )
        )

    async def chunk(self, transfer_id: int, offset: int, data: bytes) -> StatusReply:
        """Send one chunk."""
        return _status(
            await self._peer.request(
                self._target, "transfer_chunk", transfer_id=transfer_id, offset=offset, data=data
            )
        )

    async def commit(self, transfer_id: int) -> StatusReply:
        """Ask the device to apply the object."""
        return _status(
            await self._peer.request(self._target, "transfer_commit", transfer_id=transfer_id)
        )


def _status(args: Any) -> StatusReply:
    return StatusReply(args.transfer_id, args.status, args.next_offset, args.reason)
