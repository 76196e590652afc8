"""The readings a meter hands over in one pull: ``CBOR [packet, ...]``, oldest first.

One object for a meter's whole backlog (at most :data:`MAX_BUNDLE_READINGS` readings) lets
the radio fill every frame: on Zigbee the air, not the CPU, is the limit (SPEC C2).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import cbor2

from buildinghub.credentials.errors import CredentialError
from buildinghub.credentials.strict_cbor import loads_one

from .errors import MalformedMessage
from .reading import MAX_PACKET_SIZE, ReadingPacket, decode_packet

MAX_BUNDLE_READINGS: Final = 64
MAX_BUNDLE_SIZE: Final = 3 + MAX_BUNDLE_READINGS * (3 + MAX_PACKET_SIZE)


def encode_bundle(packets: Sequence[ReadingPacket]) -> bytes:
    """The bundle of ``packets`` (at most :data:`MAX_BUNDLE_READINGS`, oldest first)."""
    if len(packets) > MAX_BUNDLE_READINGS:
        raise ValueError(f"a bundle holds at most {MAX_BUNDLE_READINGS} readings")
    return cbor2.dumps([packet.encoded for packet in packets])


def decode_bundle(data: bytes, after: int) -> list[ReadingPacket]:
    """Parse a bundle strictly: packets of one meter, sequences rising, all above ``after``."""
    if len(data) > MAX_BUNDLE_SIZE:
        raise MalformedMessage(f"a bundle of readings is at most {MAX_BUNDLE_SIZE} bytes")
    try:
        items = loads_one(data, "the bundle of readings")
    except CredentialError as err:
        raise MalformedMessage(str(err)) from None
    if not (isinstance(items, list) and len(items) <= MAX_BUNDLE_READINGS):
        raise MalformedMessage(f"a bundle is an array of at most {MAX_BUNDLE_READINGS} packets")
    if not all(isinstance(item, bytes) for item in items):
        raise MalformedMessage("a bundle's packets are byte strings")
    packets = [decode_packet(item) for item in items]
    previous = after
    for packet in packets:
        if packet.reading.sequence <= previous:
            raise MalformedMessage(
                f"reading {packet.reading.sequence} is out of order (after {previous})"
            )
        previous = packet.reading.sequence
    if len({packet.reading.meter_id for packet in packets}) > 1:
        raise MalformedMessage("a bundle holds the readings of one meter")
    return packets
