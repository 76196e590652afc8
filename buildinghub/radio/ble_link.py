"""Requests and answers over one BLE GATT connection, in chunks the link can carry.

A parking lock on BLE has one service with two characteristics: the hub writes requests to
``REQUEST`` (write with response) and the lock answers by notifications on ``ANSWER``. A
message (request or answer) is a 2-byte big-endian length and that many bytes of CBOR, cut
into chunks of at most ``chunk_size(mtu)`` bytes: the ATT payload of one write or
notification (MTU - 3), and never more than 512 bytes (the longest attribute value). The
receiver puts chunks together until the length is reached; anything longer than
``MAX_MESSAGE`` is refused.

Requests are CBOR arrays ``[operation, argument]``; answers ``[status, value]`` where
status 0 means done and any other value is a :class:`~buildinghub.radio.cluster.Reason`.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Final

import cbor2

from .cluster import Reason

SERVICE_UUID: Final = "6b0a0001-2f5c-4f0e-9d2a-5b2c1a6d0b10"
REQUEST_UUID: Final = "6b0a0002-2f5c-4f0e-9d2a-5b2c1a6d0b10"
ANSWER_UUID: Final = "6b0a0003-2f5c-4f0e-9d2a-5b2c1a6d0b10"
# Manufacturer data in advertisements: [version, flags]; flags bit 0 occupied, bit 1 locked.
ADVERTISEMENT_VERSION: Final = 1
FLAG_OCCUPIED: Final = 0x01
FLAG_LOCKED: Final = 0x02
MAX_ATTRIBUTE: Final = 512
MAX_MESSAGE: Final = 4096
_HEADER = 2


class Operation(IntEnum):
    """What the hub asks a BLE parking lock."""

    read_installation = 1
    install_grant = 2
    revoke = 3
    challenge = 4
    unlock = 5
    freeze = 6
    unfreeze = 7
    lock = 8
    status = 9
    purge_expired = 10


class LinkError(Exception):
    """A message does not follow the link's framing."""


def chunk_size(mtu: int) -> int:
    """The largest chunk one ATT write or notification carries on a link with this MTU."""
    if mtu < 23:
        raise LinkError(f"an ATT MTU is at least 23, got {mtu}")
    return min(mtu - 3, MAX_ATTRIBUTE)


def frame(message: bytes, mtu: int) -> list[bytes]:
    """A message as the chunks to write or notify, in order."""
    if len(message) > MAX_MESSAGE:
        raise LinkError(f"a message is at most {MAX_MESSAGE} bytes, got {len(message)}")
    data = len(message).to_bytes(_HEADER, "big") + message
    size = chunk_size(mtu)
    return [data[offset : offset + size] for offset in range(0, len(data), size)]


class Reassembly:
    """Puts chunks back together into messages."""

    def __init__(self) -> None:
        """Start with nothing received."""
        self._buffer = bytearray()

    def add(self, chunk: bytes) -> bytes | None:
        """Take a chunk; the whole message once its last chunk is here, else None."""
        self._buffer += chunk
        if len(self._buffer) < _HEADER:
            return None
        length = int.from_bytes(self._buffer[:_HEADER], "big")
        if length > MAX_MESSAGE:
            self._buffer.clear()
            raise LinkError(f"a message is at most {MAX_MESSAGE} bytes, got a header of {length}")
        if len(self._buffer) < _HEADER + length:
            return None
        if len(self._buffer) > _HEADER + length:
            self._buffer.clear()
            raise LinkError("a chunk ran past the end of its message")
        message = bytes(self._buffer[_HEADER:])
        self._buffer.clear()
        return message


def encode_request(operation: Operation, argument: object = None) -> bytes:
    """``[operation, argument]`` as CBOR."""
    return bytes(cbor2.dumps([int(operation), argument]))


def decode_request(data: bytes) -> tuple[Operation, object]:
    """Read a request strictly (LinkError)."""
    value = _loads(data)
    if not isinstance(value, list) or len(value) != 2 or type(value[0]) is not int:
        raise LinkError("a request is [operation, argument]")
    try:
        return Operation(value[0]), value[1]
    except ValueError:
        raise LinkError(f"unknown operation {value[0]}") from None


def encode_answer(reason: Reason, value: object = None) -> bytes:
    """``[status, value]`` as CBOR; status 0 (Reason.none) means done."""
    return bytes(cbor2.dumps([int(reason), value]))


def decode_answer(data: bytes) -> tuple[Reason, object]:
    """Read an answer strictly (LinkError)."""
    value = _loads(data)
    if not isinstance(value, list) or len(value) != 2 or type(value[0]) is not int:
        raise LinkError("an answer is [status, value]")
    try:
        return Reason(value[0]), value[1]
    except ValueError:
        raise LinkError(f"unknown status {value[0]}") from None


def advertisement(occupied: bool, locked: bool) -> bytes:
    """The manufacturer data a lock advertises: version and state flags."""
    flags = (FLAG_OCCUPIED if occupied else 0) | (FLAG_LOCKED if locked else 0)
    return bytes([ADVERTISEMENT_VERSION, flags])


def read_advertisement(data: bytes) -> tuple[bool, bool] | None:
    """(occupied, locked) from a lock's manufacturer data; None if it is not ours."""
    if len(data) != 2 or data[0] != ADVERTISEMENT_VERSION:
        return None
    return bool(data[1] & FLAG_OCCUPIED), bool(data[1] & FLAG_LOCKED)


def _loads(data: bytes) -> object:
    try:
        return cbor2.loads(data)
    except (cbor2.CBORDecodeError, ValueError, TypeError, EOFError) as err:
        raise LinkError(f"not CBOR: {err}") from None
