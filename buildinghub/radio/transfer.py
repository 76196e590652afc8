"""Chunked, resumable transfer of objects larger than one APS frame.

zigpy does not fragment and an APS payload holds about 82 bytes, so grants,
proofs and records are cut into chunks of at most :data:`CHUNK_SIZE` bytes
(:data:`MAX_CHUNK_SIZE`, a full frame, for devices that take it: meters).
The receiver accepts chunks strictly in order and always says which offset it
wants next, so a lost chunk or a lost answer is recovered by resending from
that offset (resume), and a tampered chunk is caught by the SHA-256 announced
in ``begin`` before anything is applied.

:class:`TransferReceiver` is the device's side and :func:`send_object` the
hub's; both are free of any radio so they can be tested and reused by every
device kind. :func:`stream_object` sends the chunks unanswered (a device that takes
``transfer_stream``): on Zigbee the air is the limit, and the commit's answer already
names the offset the device wants next, so a lost chunk costs one more pass from there.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from typing import NotRequired, Protocol, TypedDict, Unpack

from zigpy.exceptions import DeliveryError

from .cluster import CHUNK_SIZE, ObjectKind, Reason, TransferStatus
from .errors import DeviceUnreachable

DIGEST_SIZE = 32
# A transfer silent this long may make way for a new one (a sender that went away).
IDLE_S = 10.0
# How long a sender waits for a busy device to take its transfer, and between tries.
BUSY_WAIT_S = 2 * IDLE_S
BUSY_RETRY_S = 0.25


@dataclass(frozen=True, slots=True)
class StatusReply:
    """One ``transfer_status`` answer."""

    transfer_id: int
    status: TransferStatus
    next_offset: int
    reason: Reason = Reason.none


@dataclass(slots=True)
class _Session:
    kind: ObjectKind
    size: int
    digest: bytes
    data: bytearray = field(default_factory=bytearray)
    seen: float = 0.0


class TransferReceiver:
    """The device side: collects chunks in order and checks the digest on commit.

    ``max_size`` bounds every object (a device has little memory) and ``chunk_size``
    every chunk; at most
    ``max_sessions`` transfers are open at once. A new one takes the place of a
    transfer that has been idle for ``idle_s`` seconds, never of one in progress:
    when none is idle it is refused as ``busy`` and its sender tries again later,
    so concurrent senders queue instead of pushing each other out.
    The final answers of as many closed transfers are kept, so a commit the
    hub resends after losing the answer is answered again, not applied twice.
    """

    def __init__(
        self,
        max_size: int,
        max_sessions: int = 4,
        *,
        idle_s: float = IDLE_S,
        clock: Callable[[], float] = time.monotonic,
        chunk_size: int = CHUNK_SIZE,
    ) -> None:
        self._max_size = max_size
        self._chunk_size = chunk_size
        self._max_sessions = max_sessions
        self._idle_s = idle_s
        self._clock = clock
        self._sessions: OrderedDict[int, _Session] = OrderedDict()
        self._finished: OrderedDict[int, StatusReply] = OrderedDict()

    def begin(self, transfer_id: int, kind: ObjectKind, size: int, digest: bytes) -> StatusReply:
        """Open a transfer, or resume it when the same object is announced again."""
        if size > self._max_size:
            return StatusReply(transfer_id, TransferStatus.rejected, 0, Reason.oversized)
        if size == 0 or len(digest) != DIGEST_SIZE:
            return StatusReply(transfer_id, TransferStatus.rejected, 0, Reason.malformed)
        now = self._clock()
        session = self._sessions.get(transfer_id)
        if session is None or (session.kind, session.size, session.digest) != (kind, size, digest):
            if session is None and not self._make_room(now):
                return StatusReply(transfer_id, TransferStatus.rejected, 0, Reason.busy)
            session = _Session(kind, size, bytes(digest))
            self._sessions[transfer_id] = session
            self._finished.pop(transfer_id, None)
        session.seen = now
        self._sessions.move_to_end(transfer_id)
        return StatusReply(transfer_id, TransferStatus.in_progress, len(session.data))

    def _make_room(self, now: float) -> bool:
        """Whether a new transfer fits, after dropping the oldest idle one if need be."""
        if len(self._sessions) < self._max_sessions:
            return True
        idle = next(
            (tid for tid, s in self._sessions.items() if now - s.seen >= self._idle_s), None
        )
        if idle is None:
            return False
        del self._sessions[idle]
        return True

    def chunk(self, transfer_id: int, offset: int, data: bytes) -> StatusReply:
        """Take one chunk; anything but the next expected offset asks for a resume."""
        session = self._sessions.get(transfer_id)
        if session is None:
            return StatusReply(transfer_id, TransferStatus.rejected, 0, Reason.unknown_transfer)
        received = len(session.data)
        if offset != received or not data:
            return StatusReply(transfer_id, TransferStatus.resume, received)
        if len(data) > self._chunk_size or received + len(data) > session.size:
            del self._sessions[transfer_id]
            return StatusReply(transfer_id, TransferStatus.rejected, 0, Reason.oversized)
        session.seen = self._clock()
        session.data += data
        return StatusReply(transfer_id, TransferStatus.in_progress, len(session.data))

    def commit(self, transfer_id: int) -> tuple[StatusReply, ObjectKind | None, bytes]:
        """Close a complete transfer whose digest matches; return the object to apply.

        The returned reply is ``in_progress`` with the kind and payload when the
        caller should now apply the object and answer accepted or rejected itself,
        through :meth:`finish`. A commit repeated after the transfer closed gets
        its final answer again.
        """
        session = self._sessions.get(transfer_id)
        if session is None:
            reply = self._finished.get(transfer_id) or StatusReply(
                transfer_id, TransferStatus.rejected, 0, Reason.unknown_transfer
            )
            return reply, None, b""
        if len(session.data) < session.size:
            return StatusReply(transfer_id, TransferStatus.resume, len(session.data)), None, b""
        del self._sessions[transfer_id]
        payload = bytes(session.data)
        if hashlib.sha256(payload).digest() != session.digest:
            reply = StatusReply(transfer_id, TransferStatus.rejected, 0, Reason.digest_mismatch)
            return self.finish(reply), None, b""
        return (
            StatusReply(transfer_id, TransferStatus.in_progress, session.size),
            session.kind,
            payload,
        )

    def finish(self, reply: StatusReply) -> StatusReply:
        """Record the final answer to a commit (accepted or rejected) and return it.

        The caller that applied the object from :meth:`commit` passes its answer
        here; a later commit of the same transfer gets this answer again.
        """
        self._finished[reply.transfer_id] = reply
        self._finished.move_to_end(reply.transfer_id)
        while len(self._finished) > self._max_sessions:
            self._finished.popitem(last=False)
        return reply


class TransferLink(Protocol):
    """The three requests of a transfer, as a device client sends them over a radio."""

    async def begin(
        self, transfer_id: int, kind: ObjectKind, size: int, digest: bytes
    ) -> StatusReply: ...

    async def chunk(self, transfer_id: int, offset: int, data: bytes) -> StatusReply: ...

    async def commit(self, transfer_id: int) -> StatusReply: ...


class StreamLink(TransferLink, Protocol):
    """A transfer link that can also send chunks the device takes without answering."""

    async def stream(self, transfer_id: int, offset: int, data: bytes) -> None: ...


class TransferRefused(Exception):
    """The device refused the object; ``reason`` says why in the device's words."""

    def __init__(self, kind: ObjectKind, reason: Reason) -> None:
        super().__init__(f"the device refused the {kind.name}: {reason.name}")
        self.kind = kind
        self.reason = reason


async def _with_retries[R](device: str, attempts: int, step: Callable[[], Awaitable[R]]) -> R:
    """Run one request, retrying radio failures; give up as DeviceUnreachable."""
    last: Exception | None = None
    for _ in range(attempts):
        try:
            return await step()
        except (DeliveryError, TimeoutError) as err:
            last = err
    raise DeviceUnreachable(device) from last


class TransferOptions(TypedDict):
    """What to deliver, to whom, and how hard to try."""

    device: str
    transfer_id: int
    kind: ObjectKind
    payload: bytes
    attempts: NotRequired[int]
    """Tries of each step before the device counts as unreachable (default 3)."""
    chunk_size: NotRequired[int]
    """Bytes of payload per chunk (default :data:`CHUNK_SIZE`)."""


async def send_object(link: TransferLink, **options: Unpack[TransferOptions]) -> StatusReply:
    """Deliver ``payload`` in chunks of ``chunk_size``; return the device's ``accepted`` answer.

    Raises :class:`TransferRefused` when the device rejects the object and
    :class:`DeviceUnreachable` when a step fails ``attempts`` times in a row.
    """
    return await _deliver(link, None, **options)


async def stream_object(link: StreamLink, **options: Unpack[TransferOptions]) -> StatusReply:
    """Like :func:`send_object`, with the chunks sent unanswered and only the commit asked.

    A pass sends every chunk from the offset the device last named, then commits; a chunk
    lost in the air makes the commit answer ``resume`` at its offset and the next pass
    starts there. ``attempts`` passes in a row that move nothing on raise
    :class:`DeviceUnreachable`. A corrupted chunk fails the digest at the commit, as with
    answered chunks.
    """
    return await _deliver(link, link.stream, **options)


async def _deliver(
    link: TransferLink,
    stream: Callable[[int, int, bytes], Awaitable[None]] | None,
    *,
    device: str,
    transfer_id: int,
    kind: ObjectKind,
    payload: bytes,
    attempts: int = 3,
    chunk_size: int = CHUNK_SIZE,
) -> StatusReply:
    digest = hashlib.sha256(payload).digest()
    size = len(payload)

    def checked(reply: StatusReply) -> StatusReply:
        if reply.status is TransferStatus.rejected:
            raise TransferRefused(kind, reply.reason)
        return reply

    async def begin() -> StatusReply:
        # A busy device has all its transfers in progress (other senders): wait our turn.
        for _ in range(int(BUSY_WAIT_S / BUSY_RETRY_S)):
            reply = await link.begin(transfer_id, kind, size, digest)
            if reply.reason is not Reason.busy:
                return reply
            await asyncio.sleep(BUSY_RETRY_S)
        return reply

    async def commit() -> StatusReply:
        return checked(await _with_retries(device, attempts, lambda: link.commit(transfer_id)))

    reply = checked(await _with_retries(device, attempts, begin))
    offset = reply.next_offset
    if stream is not None:
        # Each pass must move the device's offset on; ``attempts`` passes in a row that
        # do not (the pass's first chunk lost each time) make the device unreachable.
        stalled = 0
        while stalled < attempts:
            for start in range(offset, size, chunk_size):
                data = payload[start : start + chunk_size]
                await _with_retries(device, attempts, partial(stream, transfer_id, start, data))
            reply = await commit()
            if reply.status is TransferStatus.accepted:
                return reply
            stalled = stalled + 1 if reply.next_offset <= offset else 0
            offset = reply.next_offset
        raise DeviceUnreachable(device)
    # Every answer names the next offset the device wants; a bounded number of
    # steps keeps a confused device from holding the hub forever.
    for _ in range(4 * (size // chunk_size + 2) + attempts):
        if offset >= size:
            reply = await commit()
            if reply.status is TransferStatus.accepted:
                return reply
            offset = reply.next_offset
            continue
        step = partial(link.chunk, transfer_id, offset, payload[offset : offset + chunk_size])
        reply = checked(await _with_retries(device, attempts, step))
        offset = reply.next_offset
    raise DeviceUnreachable(device)
