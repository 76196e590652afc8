"""A second implementation of the transfer's receiving side, written for this test from the
protocol as buildinghub/radio/transfer.py describes it (NOT importing that module), swapped
into a simulated door lock. The hub's real sender delivers a grant to it over the simulated
radio; if both ends of our own transfer shared a mistake, this receiver would not.

The protocol as described: ``begin(id, kind, size, sha256)`` opens a transfer (an object
larger than the device holds is refused ``oversized``); chunks of at most CHUNK_SIZE bytes
are taken strictly in order, and every answer names the offset wanted next, so a chunk at
another offset gets ``resume`` with that offset; ``commit`` checks the SHA-256 announced in
``begin`` before anything is applied (``digest_mismatch`` otherwise) and its final answer is
kept, so a repeated commit is answered again, not applied twice.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import pytest

from buildinghub.devices import door_lock
from buildinghub.devices.door_lock import LockRefused
from buildinghub.radio.cluster import CHUNK_SIZE, ObjectKind, Reason, TransferStatus
from buildinghub_sim.door_lock import MAX_OBJECT_SIZE
from tests.buildinghub_sim.test_door_lock_radio import Site

DIGEST_SIZE = 32


@dataclass(frozen=True)
class Answer:
    """One transfer_status answer: the fields the cluster's command carries."""

    transfer_id: int
    status: TransferStatus
    next_offset: int
    reason: Reason = Reason.none


@dataclass
class Incoming:
    kind: ObjectKind
    size: int
    digest: bytes
    data: bytearray = field(default_factory=bytearray)


class IndependentReceiver:
    """The device side of the transfer, from its description only."""

    def __init__(self, max_size: int) -> None:
        self.max_size = max_size
        self.open: dict[int, Incoming] = {}
        self.final: dict[int, Answer] = {}
        self.chunks: list[tuple[int, int]] = []  # (offset, length) of every chunk taken
        self.resumes: list[int] = []  # the offsets a resume asked for

    def begin(self, transfer_id: int, kind: ObjectKind, size: int, digest: bytes) -> Answer:
        if size > self.max_size:
            return Answer(transfer_id, TransferStatus.rejected, 0, Reason.oversized)
        if size == 0 or len(digest) != DIGEST_SIZE:
            return Answer(transfer_id, TransferStatus.rejected, 0, Reason.malformed)
        known = self.open.get(transfer_id)
        if known is None or (known.kind, known.size, known.digest) != (kind, size, digest):
            known = self.open[transfer_id] = Incoming(kind, size, digest)
        return Answer(transfer_id, TransferStatus.in_progress, len(known.data))

    def chunk(self, transfer_id: int, offset: int, data: bytes) -> Answer:
        incoming = self.open.get(transfer_id)
        if incoming is None:
            return Answer(transfer_id, TransferStatus.rejected, 0, Reason.unknown_transfer)
        have = len(incoming.data)
        if offset != have or not data:
            self.resumes.append(have)
            return Answer(transfer_id, TransferStatus.resume, have)
        if len(data) > CHUNK_SIZE or have + len(data) > incoming.size:
            del self.open[transfer_id]
            return Answer(transfer_id, TransferStatus.rejected, 0, Reason.oversized)
        incoming.data += data
        self.chunks.append((offset, len(data)))
        return Answer(transfer_id, TransferStatus.in_progress, len(incoming.data))

    def commit(self, transfer_id: int) -> tuple[Answer, ObjectKind | None, bytes]:
        incoming = self.open.get(transfer_id)
        if incoming is None:
            final = self.final.get(transfer_id)
            answer = final or Answer(
                transfer_id, TransferStatus.rejected, 0, Reason.unknown_transfer
            )
            return answer, None, b""
        if len(incoming.data) < incoming.size:
            return Answer(transfer_id, TransferStatus.resume, len(incoming.data)), None, b""
        del self.open[transfer_id]
        payload = bytes(incoming.data)
        if hashlib.sha256(payload).digest() != incoming.digest:
            answer = Answer(transfer_id, TransferStatus.rejected, 0, Reason.digest_mismatch)
            return self.finish(answer), None, b""
        return (
            Answer(transfer_id, TransferStatus.in_progress, incoming.size),
            incoming.kind,
            payload,
        )

    def finish(self, answer: Answer) -> Answer:
        self.final[answer.transfer_id] = answer
        return answer


@pytest.fixture
def receiver(site: Site) -> IndependentReceiver:
    """The first flat's lock, receiving through the independent implementation."""
    made = IndependentReceiver(MAX_OBJECT_SIZE)
    site.flat.lock.receiver = made  # type: ignore[assignment]
    return made


async def test_the_hub_delivers_a_grant_to_an_independent_receiver(
    site: Site, receiver: IndependentReceiver
) -> None:
    grant = site.lease()

    await site.client.install_grant(grant)

    stored = site.firmware.grants[grant.grant.grant_id]
    assert stored.signed.encoded == grant.encoded
    size = len(grant.encoded)
    assert size > CHUNK_SIZE  # the grant really needed several chunks
    assert receiver.chunks == [
        (offset, min(CHUNK_SIZE, size - offset)) for offset in range(0, size, CHUNK_SIZE)
    ]
    assert receiver.resumes == []


async def test_a_chunk_lost_on_the_air_is_resent_from_the_offset_the_receiver_names(
    site: Site, receiver: IndependentReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(door_lock, "REQUEST_TIMEOUT_S", 0.2)
    begin = receiver.begin

    def begin_then_lose_the_first_chunk(*args: object) -> Answer:
        site.medium.drop_next(direction="to_device", error=False)
        return begin(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(receiver, "begin", begin_then_lose_the_first_chunk)
    grant = site.lease()

    await site.client.install_grant(grant)

    assert site.firmware.grants[grant.grant.grant_id].signed.encoded == grant.encoded
    assert site.medium.stats.to_device.dropped >= 1
    assert [offset for offset, _ in receiver.chunks] == list(
        range(0, len(grant.encoded), CHUNK_SIZE)
    )


async def test_a_chunk_changed_on_the_air_fails_the_digest_and_nothing_is_stored(
    site: Site, receiver: IndependentReceiver
) -> None:
    def flip_last_byte(frame: bytes) -> bytes:
        return frame[:-1] + bytes([frame[-1] ^ 0xFF])

    site.medium.tamper_next(lambda frame: frame)  # transfer_begin arrives intact
    site.medium.tamper_next(flip_last_byte)  # the first chunk does not

    with pytest.raises(LockRefused) as refused:
        await site.client.install_grant(site.lease())

    assert refused.value.reason == "digest_mismatch"
    assert site.firmware.grants == {}
