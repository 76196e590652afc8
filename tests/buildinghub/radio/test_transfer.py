"""Chunked transfer: every object arrives whole and once, or is refused, whatever the air does."""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Callable, Iterable
from enum import Enum, auto

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from zigpy.exceptions import DeliveryError

from buildinghub.radio.cluster import CHUNK_SIZE, ObjectKind, Reason, TransferStatus
from buildinghub.radio.errors import DeviceUnreachable
from buildinghub.radio.transfer import (
    StatusReply,
    TransferReceiver,
    TransferRefused,
    send_object,
    stream_object,
)

MAX_SIZE = 1024
DEVICE = "00:1b:b0:00:00:00:00:01"
GRANT = ObjectKind.grant


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def deliver(receiver: TransferReceiver, transfer_id: int, payload: bytes) -> StatusReply:
    """Begin and send every chunk in order; return the last chunk's answer."""
    reply = receiver.begin(transfer_id, GRANT, len(payload), sha256(payload))
    for offset in range(0, len(payload), CHUNK_SIZE):
        reply = receiver.chunk(transfer_id, offset, payload[offset : offset + CHUNK_SIZE])
    return reply


# -- the device's side -------------------------------------------------------------------


@pytest.fixture
def receiver() -> TransferReceiver:
    return TransferReceiver(MAX_SIZE)


def test_an_object_sent_in_order_is_handed_over_on_commit(receiver: TransferReceiver) -> None:
    payload = bytes(range(256)) * 2

    deliver(receiver, 7, payload)
    reply, kind, received = receiver.commit(7)

    assert reply == StatusReply(7, TransferStatus.in_progress, len(payload))
    assert (kind, received) == (GRANT, payload)


def test_each_chunk_answer_names_the_next_offset(receiver: TransferReceiver) -> None:
    payload = b"x" * 100
    receiver.begin(1, GRANT, len(payload), sha256(payload))

    first = receiver.chunk(1, 0, payload[:CHUNK_SIZE])
    second = receiver.chunk(1, CHUNK_SIZE, payload[CHUNK_SIZE : 2 * CHUNK_SIZE])

    assert (first.status, first.next_offset) == (TransferStatus.in_progress, CHUNK_SIZE)
    assert (second.status, second.next_offset) == (TransferStatus.in_progress, 2 * CHUNK_SIZE)


def test_an_object_larger_than_the_device_holds_is_refused_at_begin(
    receiver: TransferReceiver,
) -> None:
    reply = receiver.begin(1, GRANT, MAX_SIZE + 1, sha256(b""))

    assert reply == StatusReply(1, TransferStatus.rejected, 0, Reason.oversized)


def test_an_object_of_exactly_the_limit_is_accepted(receiver: TransferReceiver) -> None:
    payload = bytes(MAX_SIZE)

    deliver(receiver, 1, payload)

    assert receiver.commit(1)[2] == payload


@pytest.mark.parametrize(
    ("size", "digest"),
    [(0, sha256(b"")), (10, b"\x00" * 31), (10, b"\x00" * 33)],
    ids=["empty object", "short digest", "long digest"],
)
def test_an_empty_object_or_a_digest_that_is_not_sha256_is_malformed(
    receiver: TransferReceiver, size: int, digest: bytes
) -> None:
    reply = receiver.begin(1, GRANT, size, digest)

    assert reply == StatusReply(1, TransferStatus.rejected, 0, Reason.malformed)


def test_a_chunk_ahead_of_the_next_offset_asks_to_resume(receiver: TransferReceiver) -> None:
    payload = b"y" * 120
    receiver.begin(1, GRANT, len(payload), sha256(payload))
    receiver.chunk(1, 0, payload[:CHUNK_SIZE])

    reply = receiver.chunk(1, 2 * CHUNK_SIZE, payload[2 * CHUNK_SIZE :])

    assert reply == StatusReply(1, TransferStatus.resume, CHUNK_SIZE)


def test_a_repeated_chunk_is_not_taken_twice(receiver: TransferReceiver) -> None:
    payload = b"z" * 60
    receiver.begin(1, GRANT, len(payload), sha256(payload))
    receiver.chunk(1, 0, payload[:CHUNK_SIZE])

    repeated = receiver.chunk(1, 0, payload[:CHUNK_SIZE])
    receiver.chunk(1, CHUNK_SIZE, payload[CHUNK_SIZE:])

    assert repeated == StatusReply(1, TransferStatus.resume, CHUNK_SIZE)
    assert receiver.commit(1)[2] == payload


def test_an_empty_chunk_asks_to_resume(receiver: TransferReceiver) -> None:
    receiver.begin(1, GRANT, 10, sha256(bytes(10)))

    assert receiver.chunk(1, 0, b"") == StatusReply(1, TransferStatus.resume, 0)


def test_a_chunk_larger_than_chunk_size_is_refused_and_ends_the_transfer(
    receiver: TransferReceiver,
) -> None:
    payload = bytes(100)
    receiver.begin(1, GRANT, len(payload), sha256(payload))

    reply = receiver.chunk(1, 0, payload[: CHUNK_SIZE + 1])

    assert reply == StatusReply(1, TransferStatus.rejected, 0, Reason.oversized)
    assert receiver.commit(1)[0].reason is Reason.unknown_transfer


def test_a_chunk_past_the_announced_size_is_refused(receiver: TransferReceiver) -> None:
    receiver.begin(1, GRANT, 10, sha256(bytes(10)))

    reply = receiver.chunk(1, 0, bytes(11))

    assert reply == StatusReply(1, TransferStatus.rejected, 0, Reason.oversized)


def test_announcing_the_same_object_again_resumes_where_it_stopped(
    receiver: TransferReceiver,
) -> None:
    payload = bytes(range(100))
    receiver.begin(1, GRANT, len(payload), sha256(payload))
    receiver.chunk(1, 0, payload[:CHUNK_SIZE])

    reply = receiver.begin(1, GRANT, len(payload), sha256(payload))

    assert reply == StatusReply(1, TransferStatus.in_progress, CHUNK_SIZE)


def test_announcing_another_object_under_the_same_id_starts_over(
    receiver: TransferReceiver,
) -> None:
    first, second = bytes(100), bytes(range(100))
    receiver.begin(1, GRANT, len(first), sha256(first))
    receiver.chunk(1, 0, first[:CHUNK_SIZE])

    reply = receiver.begin(1, GRANT, len(second), sha256(second))

    assert reply == StatusReply(1, TransferStatus.in_progress, 0)


def test_commit_before_the_last_chunk_asks_to_resume(receiver: TransferReceiver) -> None:
    payload = bytes(100)
    receiver.begin(1, GRANT, len(payload), sha256(payload))
    receiver.chunk(1, 0, payload[:CHUNK_SIZE])

    reply, kind, received = receiver.commit(1)

    assert reply == StatusReply(1, TransferStatus.resume, CHUNK_SIZE)
    assert (kind, received) == (None, b"")


def test_an_object_whose_digest_does_not_match_is_refused(receiver: TransferReceiver) -> None:
    payload = bytes(60)
    receiver.begin(1, GRANT, len(payload), sha256(b"something else"))
    receiver.chunk(1, 0, payload[:CHUNK_SIZE])
    receiver.chunk(1, CHUNK_SIZE, payload[CHUNK_SIZE:])

    reply, kind, received = receiver.commit(1)

    assert reply == StatusReply(1, TransferStatus.rejected, 0, Reason.digest_mismatch)
    assert (kind, received) == (None, b"")


def test_chunks_and_commits_of_a_transfer_never_begun_are_refused(
    receiver: TransferReceiver,
) -> None:
    unknown = StatusReply(9, TransferStatus.rejected, 0, Reason.unknown_transfer)

    assert receiver.chunk(9, 0, b"data") == unknown
    assert receiver.commit(9) == (unknown, None, b"")


class Seconds:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_new_transfer_is_busy_while_every_open_one_is_in_progress() -> None:
    receiver = TransferReceiver(MAX_SIZE, max_sessions=2, clock=Seconds())
    for transfer_id in (1, 2):
        receiver.begin(transfer_id, GRANT, 4, sha256(b"abcd"))

    busy = receiver.begin(3, GRANT, 4, sha256(b"abcd"))

    assert busy == StatusReply(3, TransferStatus.rejected, 0, Reason.busy)
    assert receiver.chunk(1, 0, b"abcd").status is TransferStatus.in_progress
    assert receiver.chunk(2, 0, b"abcd").status is TransferStatus.in_progress


def test_a_new_transfer_takes_the_place_of_an_idle_one_only() -> None:
    seconds = Seconds()
    receiver = TransferReceiver(MAX_SIZE, max_sessions=2, idle_s=10, clock=seconds)
    receiver.begin(1, GRANT, 8, sha256(b"abcdefgh"))
    receiver.begin(2, GRANT, 8, sha256(b"abcdefgh"))
    seconds.now = 6
    receiver.chunk(2, 0, b"abcd")
    seconds.now = 10

    reply = receiver.begin(3, GRANT, 4, sha256(b"abcd"))

    assert reply.status is TransferStatus.in_progress
    assert receiver.chunk(1, 0, b"abcd").reason is Reason.unknown_transfer
    assert receiver.chunk(2, 4, b"efgh").status is TransferStatus.in_progress


def test_a_commit_repeated_after_its_answer_was_lost_gets_the_same_answer(
    receiver: TransferReceiver,
) -> None:
    payload = bytes(range(60))
    deliver(receiver, 4, payload)
    _, kind, _ = receiver.commit(4)
    assert kind is GRANT
    final = receiver.finish(StatusReply(4, TransferStatus.accepted, len(payload)))

    repeated, kind, received = receiver.commit(4)

    assert repeated == final
    assert (kind, received) == (None, b"")


def test_a_digest_mismatch_is_answered_again_to_a_repeated_commit(
    receiver: TransferReceiver,
) -> None:
    receiver.begin(4, GRANT, 4, sha256(b"abcd"))
    receiver.chunk(4, 0, b"abce")
    receiver.commit(4)

    reply, kind, _ = receiver.commit(4)

    assert reply.reason is Reason.digest_mismatch
    assert kind is None


def test_a_finished_transfer_id_can_carry_a_new_object(receiver: TransferReceiver) -> None:
    deliver(receiver, 4, b"first")
    receiver.commit(4)
    receiver.finish(StatusReply(4, TransferStatus.accepted, 5))

    deliver(receiver, 4, b"second")

    assert receiver.commit(4)[1:] == (GRANT, b"second")


# -- the hub's side, over an in-memory link ------------------------------------------------


class Fault(Enum):
    """What happens to one request on the air."""

    LOSE_REQUEST = auto()
    """The device never gets it; the hub sees a DeliveryError."""
    LOSE_ANSWER = auto()
    """The device handles it, but its answer never comes; the hub times out."""
    DUPLICATE = auto()
    """The device gets it twice; the first answer reaches the hub."""
    CORRUPT = auto()
    """A chunk's data arrives with one byte changed."""


FAILURES = (Fault.LOSE_REQUEST, Fault.LOSE_ANSWER)


class Device:
    """A TransferLink to an in-memory device: a receiver and what it applied.

    Each request takes the next fault of ``faults`` (none once they run out).
    ``refuse`` makes the device refuse a complete object with that reason.
    """

    def __init__(
        self, faults: Iterable[Fault | None] = (), *, refuse: Reason | None = None
    ) -> None:
        self.receiver = TransferReceiver(MAX_SIZE)
        self.faults: deque[Fault | None] = deque(faults)
        self.refuse = refuse
        self.applied: list[tuple[ObjectKind, bytes]] = []
        self.chunks: list[bytes] = []
        self.streamed: list[int] = []  # offsets of the chunks sent unanswered
        self.requests = 0
        """Answered requests (begin, chunk, commit)."""

    async def begin(
        self, transfer_id: int, kind: ObjectKind, size: int, digest: bytes
    ) -> StatusReply:
        return self._air(lambda: self.receiver.begin(transfer_id, kind, size, digest))

    async def chunk(self, transfer_id: int, offset: int, data: bytes) -> StatusReply:
        self.chunks.append(data)
        fault = self.faults[0] if self.faults else None
        if fault is Fault.CORRUPT:
            self.faults[0] = None
            data = bytes([data[0] ^ 0xFF]) + data[1:]
        return self._air(lambda: self.receiver.chunk(transfer_id, offset, data))

    async def stream(self, transfer_id: int, offset: int, data: bytes) -> None:
        """An unanswered chunk: LOSE_ANSWER here means it vanished after the APS ack."""
        self.streamed.append(offset)
        fault = self.faults.popleft() if self.faults else None
        if fault is Fault.LOSE_REQUEST:
            raise DeliveryError("frame lost in the air")
        if fault is Fault.LOSE_ANSWER:
            return
        if fault is Fault.CORRUPT:
            data = bytes([data[0] ^ 0xFF]) + data[1:]
        self.receiver.chunk(transfer_id, offset, data)
        if fault is Fault.DUPLICATE:
            self.receiver.chunk(transfer_id, offset, data)

    async def commit(self, transfer_id: int) -> StatusReply:
        return self._air(lambda: self._commit(transfer_id))

    def _commit(self, transfer_id: int) -> StatusReply:
        reply, kind, payload = self.receiver.commit(transfer_id)
        if kind is None:
            return reply
        if self.refuse is not None:
            return self.receiver.finish(
                StatusReply(transfer_id, TransferStatus.rejected, 0, self.refuse)
            )
        self.applied.append((kind, payload))
        return self.receiver.finish(StatusReply(transfer_id, TransferStatus.accepted, len(payload)))

    def _air(self, handle: Callable[[], StatusReply]) -> StatusReply:
        self.requests += 1
        fault = self.faults.popleft() if self.faults else None
        if fault is Fault.LOSE_REQUEST:
            raise DeliveryError("frame lost in the air")
        reply = handle()
        if fault is Fault.DUPLICATE:
            handle()
        if fault is Fault.LOSE_ANSWER:
            raise TimeoutError
        return reply


async def send(device: Device, payload: bytes, **options: int) -> StatusReply:
    return await send_object(
        device, device=DEVICE, transfer_id=3, kind=GRANT, payload=payload, **options
    )


async def stream(device: Device, payload: bytes, **options: int) -> StatusReply:
    return await stream_object(
        device, device=DEVICE, transfer_id=3, kind=GRANT, payload=payload, **options
    )


async def test_the_hub_delivers_an_object_in_chunks_of_at_most_chunk_size() -> None:
    device = Device()
    payload = bytes(range(250))

    reply = await send(device, payload)

    assert reply == StatusReply(3, TransferStatus.accepted, len(payload))
    assert device.applied == [(GRANT, payload)]
    assert [len(chunk) for chunk in device.chunks] == [48, 48, 48, 48, 48, 10]


async def test_a_lost_request_is_sent_again() -> None:
    device = Device([None, Fault.LOSE_REQUEST])

    await send(device, bytes(100))

    assert device.applied == [(GRANT, bytes(100))]
    assert device.chunks[0] == device.chunks[1]


async def test_a_lost_answer_to_a_chunk_resumes_after_that_chunk() -> None:
    payload = bytes(range(100))
    device = Device([None, Fault.LOSE_ANSWER])

    await send(device, payload)

    assert device.applied == [(GRANT, payload)]
    assert len(device.chunks) == 4  # the first chunk twice, then the other two


async def test_a_lost_answer_to_the_commit_still_reports_the_object_accepted() -> None:
    payload = bytes(range(100))
    device = Device([None, None, None, None, Fault.LOSE_ANSWER])

    reply = await send(device, payload)

    assert reply.status is TransferStatus.accepted
    assert device.applied == [(GRANT, payload)]


async def test_a_device_that_never_answers_is_unreachable_after_the_attempts() -> None:
    device = Device([Fault.LOSE_ANSWER] * 5)

    with pytest.raises(DeviceUnreachable) as raised:
        await send(device, bytes(10), attempts=5)

    assert raised.value.ieee == DEVICE
    assert isinstance(raised.value.__cause__, TimeoutError)
    assert device.requests == 5
    assert device.applied == []


async def test_a_device_that_keeps_asking_to_resume_cannot_hold_the_hub_forever() -> None:
    class Stuck(Device):
        async def chunk(self, transfer_id: int, offset: int, data: bytes) -> StatusReply:
            self.requests += 1
            return StatusReply(transfer_id, TransferStatus.resume, 0)

    device = Stuck()

    with pytest.raises(DeviceUnreachable):
        await send(device, bytes(100))
    assert device.requests < 50


async def test_an_oversized_object_is_refused_before_any_chunk_is_sent() -> None:
    device = Device()

    with pytest.raises(TransferRefused) as raised:
        await send(device, bytes(MAX_SIZE + 1))

    assert (raised.value.kind, raised.value.reason) == (GRANT, Reason.oversized)
    assert device.chunks == []


async def test_a_refusal_by_the_device_names_its_reason() -> None:
    device = Device(refuse=Reason.expired)

    with pytest.raises(TransferRefused, match="refused the grant: expired") as raised:
        await send(device, bytes(100))

    assert raised.value.reason is Reason.expired


async def test_a_corrupted_chunk_is_refused_as_a_digest_mismatch() -> None:
    device = Device([None, None, Fault.CORRUPT])

    with pytest.raises(TransferRefused) as raised:
        await send(device, bytes(range(100)))

    assert raised.value.reason is Reason.digest_mismatch
    assert device.applied == []


ATTEMPTS = 3


@st.composite
def weather(draw: st.DrawFn) -> list[Fault | None]:
    """Faults on the air, never failing one request ATTEMPTS times in a row."""
    faults: list[Fault | None] = []
    for _ in range(draw(st.integers(0, 12))):
        faults += draw(st.lists(st.sampled_from(FAILURES), max_size=ATTEMPTS - 1))
        faults.append(draw(st.sampled_from([None, Fault.DUPLICATE])))
    return faults


@settings(deadline=None, max_examples=100)
@given(payload=st.binary(min_size=1, max_size=MAX_SIZE), faults=weather())
async def test_within_the_retry_budget_the_device_ends_with_exactly_the_payload(
    payload: bytes, faults: list[Fault | None]
) -> None:
    device = Device(faults)

    reply = await send(device, payload, attempts=ATTEMPTS)

    assert reply.status is TransferStatus.accepted
    assert device.applied == [(GRANT, payload)]


@settings(deadline=None, max_examples=100)
@given(
    payload=st.binary(min_size=1, max_size=MAX_SIZE),
    corrupted=st.integers(min_value=0),
    faults=weather(),
)
async def test_a_corrupted_chunk_never_yields_an_applied_object(
    payload: bytes, corrupted: int, faults: list[Fault | None]
) -> None:
    chunks = -(-len(payload) // CHUNK_SIZE)
    # begin and each chunk pass once, one chunk corrupted; then the weather.
    first = [Fault.CORRUPT if i == 1 + corrupted % chunks else None for i in range(chunks + 1)]
    device = Device(first + faults)

    with pytest.raises(TransferRefused) as raised:
        await send(device, payload, attempts=ATTEMPTS)

    assert raised.value.reason is Reason.digest_mismatch
    assert device.applied == []


# -- streamed: chunks unanswered, only begin and commit asked ------------------------------


async def test_a_streamed_object_asks_only_for_the_answers_to_begin_and_commit() -> None:
    device = Device()
    payload = bytes(range(250))

    reply = await stream(device, payload)

    assert reply == StatusReply(3, TransferStatus.accepted, len(payload))
    assert device.applied == [(GRANT, payload)]
    assert device.streamed == [0, 48, 96, 144, 192, 240]
    assert device.requests == 2


async def test_a_streamed_chunk_lost_silently_is_sent_again_from_the_offset_the_commit_names() -> (
    None
):
    payload = bytes(range(200))
    device = Device([None, None, Fault.LOSE_ANSWER])  # begin, chunk 0, then chunk 48 vanishes

    reply = await stream(device, payload)

    assert reply.status is TransferStatus.accepted
    assert device.applied == [(GRANT, payload)]
    # The chunks after the lost one were out of order for the device: the second pass
    # starts at the offset the commit named.
    assert device.streamed == [0, 48, 96, 144, 192, 48, 96, 144, 192]
    assert device.requests == 3  # begin, the commit that said resume, the one that took it


async def test_a_corrupted_streamed_chunk_is_refused_as_a_digest_mismatch() -> None:
    device = Device([None, None, Fault.CORRUPT])

    with pytest.raises(TransferRefused) as raised:
        await stream(device, bytes(range(100)))

    assert raised.value.reason is Reason.digest_mismatch
    assert device.applied == []


async def test_a_device_that_keeps_losing_streamed_chunks_cannot_hold_the_hub_forever() -> None:
    class Deaf(Device):
        async def stream(self, transfer_id: int, offset: int, data: bytes) -> None:
            self.streamed.append(offset)

    device = Deaf()

    with pytest.raises(DeviceUnreachable):
        await stream(device, bytes(100))
    assert device.requests < 50
    assert device.applied == []


@settings(deadline=None, max_examples=100)
@given(
    payload=st.binary(min_size=1, max_size=MAX_SIZE),
    faults=st.lists(st.sampled_from([*FAILURES, Fault.DUPLICATE, None]), max_size=40),
)
async def test_streamed_the_device_applies_exactly_the_payload_once_or_nothing(
    payload: bytes, faults: list[Fault | None]
) -> None:
    device = Device(faults)

    try:
        reply = await stream(device, payload, attempts=ATTEMPTS)
    except DeviceUnreachable:
        # Gave up: the device may have applied it just before the last answer was lost.
        assert device.applied in ([], [(GRANT, payload)])
    else:
        assert reply.status is TransferStatus.accepted
        assert device.applied == [(GRANT, payload)]


@settings(deadline=None, max_examples=100)
@given(
    payload=st.binary(min_size=1, max_size=MAX_SIZE),
    faults=st.lists(st.sampled_from([*FAILURES, Fault.DUPLICATE, None]), max_size=ATTEMPTS - 1),
)
async def test_streamed_with_fewer_faults_than_attempts_the_object_is_accepted(
    payload: bytes, faults: list[Fault | None]
) -> None:
    device = Device(faults)

    reply = await stream(device, payload, attempts=ATTEMPTS)

    assert reply.status is TransferStatus.accepted
    assert device.applied == [(GRANT, payload)]
