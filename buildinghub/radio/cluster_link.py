"""A chunked transfer's requests as commands of our cluster on a zigpy device (hub side)."""

from __future__ import annotations

from typing import Any, Final

from zigpy.exceptions import DeliveryError
from zigpy.zcl import Cluster

from .cluster import MANUFACTURER_CODE, MAX_CHUNK_SIZE, ObjectKind, Reason, TransferStatus
from .request_policy import RETRIES
from .transfer import StatusReply

REQUEST_TIMEOUT_S: Final = 5.0


class ClusterTransferLink:
    """The transfer's requests as commands of our cluster on one device.

    ``stream`` sends ``transfer_stream``, which only devices that take it (meters) know.
    """

    def __init__(self, cluster: Cluster) -> None:
        self._cluster = cluster

    async def _status(self, command: str, **kwargs: Any) -> StatusReply:
        reply = await getattr(self._cluster, command)(
            **kwargs,
            manufacturer=MANUFACTURER_CODE,
            timeout=REQUEST_TIMEOUT_S,
            retries=RETRIES,
        )
        if not hasattr(reply, "status") or not hasattr(reply, "next_offset"):
            raise DeliveryError(f"unexpected answer to {command}: {reply!r}")
        return StatusReply(
            int(reply.transfer_id),
            TransferStatus(reply.status),
            int(reply.next_offset),
            Reason(reply.reason),
        )

    async def begin(
        self, transfer_id: int, kind: ObjectKind, size: int, digest: bytes
    ) -> StatusReply:
        return await self._status(
            "transfer_begin", transfer_id=transfer_id, kind=kind, size=size, digest=digest
        )

    async def chunk(self, transfer_id: int, offset: int, data: bytes) -> StatusReply:
        assert len(data) <= MAX_CHUNK_SIZE
        return await self._status(
            "transfer_chunk", transfer_id=transfer_id, offset=offset, data=data
        )

    async def commit(self, transfer_id: int) -> StatusReply:
        return await self._status("transfer_commit", transfer_id=transfer_id)

    async def stream(self, transfer_id: int, offset: int, data: bytes) -> None:
        assert len(data) <= MAX_CHUNK_SIZE
        # No answer and no ZCL default response: the commit's answer says what arrived.
        await self._cluster.transfer_stream(
            transfer_id=transfer_id,
            offset=offset,
            data=data,
            manufacturer=MANUFACTURER_CODE,
            expect_reply=False,
            disable_default_response=True,
            timeout=REQUEST_TIMEOUT_S,
            retries=RETRIES,
        )
