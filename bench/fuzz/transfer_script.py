"""The chunked transfer's receiver under fuzz: an input is a script of begin, chunk, commit.

TransferReceiver takes commands, not bytes, so the fuzzer's input is read as a script of
them, each with its arguments (any values the frame fields can carry), plus steps of its
clock. The receiver must answer every command without raising, and whatever it hands over
to apply must be exactly the object announced in its transfer's begin: the size and the
SHA-256 named there. A broken promise raises TransferBroken, which is never a refusal.
"""

from __future__ import annotations

import hashlib
import struct

from buildinghub.radio.cluster import CHUNK_SIZE, ObjectKind, TransferStatus
from buildinghub.radio.transfer import StatusReply, TransferReceiver

TRANSFER_MAX_SIZE = 1024
_KINDS = tuple(ObjectKind)
_BEGIN, _CHUNK, _COMMIT, _WAIT = range(4)


class TransferBroken(AssertionError):
    """The receiver handed over an object other than the one announced."""


def script(kind: ObjectKind, payload: bytes, transfer_id: int = 7) -> bytes:
    """The script of a correct transfer of payload: begin, every chunk, commit."""
    digest = hashlib.sha256(payload).digest()
    parts = [struct.pack(">BBBHB", _BEGIN, transfer_id, _KINDS.index(kind), len(payload), 32)]
    parts.append(digest)
    for offset in range(0, len(payload), CHUNK_SIZE):
        data = payload[offset : offset + CHUNK_SIZE]
        parts.append(struct.pack(">BBHB", _CHUNK, transfer_id, offset, len(data)) + data)
    parts.append(struct.pack(">BB", _COMMIT, transfer_id))
    return b"".join(parts)


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def play(data: bytes) -> None:
    """Run the script in data against a new receiver; TransferBroken if it lies."""
    clock = _Clock()
    receiver = TransferReceiver(TRANSFER_MAX_SIZE, clock=clock)
    announced: dict[int, tuple[int, bytes]] = {}
    at = 0
    while at < len(data):
        op, at = data[at] % 4, at + 1
        if op == _BEGIN and at + 6 <= len(data):
            transfer_id, kind, size, length = struct.unpack_from(">BBHB", data, at)
            digest = data[at + 5 : at + 5 + length]
            at += 5 + length
            reply = receiver.begin(transfer_id, _KINDS[kind % len(_KINDS)], size, digest)
            if reply.status is TransferStatus.in_progress:
                announced[transfer_id] = (size, digest)
        elif op == _CHUNK and at + 4 <= len(data):
            transfer_id, offset, length = struct.unpack_from(">BHB", data, at)
            receiver.chunk(transfer_id, offset, data[at + 4 : at + 4 + length])
            at += 4 + length
        elif op == _COMMIT and at + 1 <= len(data):
            transfer_id, at = data[at], at + 1
            reply, kind, payload = receiver.commit(transfer_id)
            if kind is not None:
                _check_handed_over(announced.get(transfer_id), payload)
                receiver.finish(StatusReply(transfer_id, TransferStatus.accepted, len(payload)))
        elif op == _WAIT and at + 1 <= len(data):
            clock.now += data[at]
            at += 1
        else:
            return


def _check_handed_over(announced: tuple[int, bytes] | None, payload: bytes) -> None:
    if announced is None:
        raise TransferBroken("an object was handed over from a transfer never begun")
    size, digest = announced
    if len(payload) != size or hashlib.sha256(payload).digest() != digest:
        raise TransferBroken("the object handed over is not the one its begin announced")
    if size > TRANSFER_MAX_SIZE:
        raise TransferBroken(f"an object of {size} bytes passed the {TRANSFER_MAX_SIZE} limit")
