"""A meter reading as the meter signs it (SPEC M2): content, time, dwelling, signature.

The packet is ``CBOR [body, signature]``; ``body`` is the canonical CBOR array
``[version, meter_id, sequence, quantity, value, created_at, dwelling]`` and the
signature is the meter's ES256 over a domain tag and ``body``. ``value`` is the
meter's running total in its base unit (Wh, litres or litres of gas), so a lost
packet never makes a later total wrong. The SHA-256 of the whole packet names the
reading in storage receipts and erase commands.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Final

import cbor2

from buildinghub.credentials import PublicKey, SigningKey
from buildinghub.credentials.errors import BadSignature as KeyBadSignature
from buildinghub.credentials.errors import CredentialError
from buildinghub.credentials.strict_cbor import loads_one

from .errors import BadSignature, MalformedMessage

VERSION: Final = 1
READING_TAG: Final = b"buildinghub/reading/v1\x00"
MAX_PACKET_SIZE: Final = 256
MAX_ID_LENGTH: Final = 32
MAX_UINT32: Final = 0xFFFFFFFF
MAX_VALUE: Final = (1 << 48) - 1


class Quantity(IntEnum):
    """What a meter measures; the base unit is fixed per quantity."""

    ELECTRICITY = 1
    """Wh delivered."""
    WATER = 2
    """Litres."""
    GAS = 3
    """Litres (thousandths of a cubic metre)."""


@dataclass(frozen=True, slots=True)
class Reading:
    """What the meter measured, before it signs it."""

    meter_id: str
    sequence: int
    quantity: Quantity
    value: int
    created_at: int
    dwelling: str

    def __post_init__(self) -> None:
        for name in ("meter_id", "dwelling"):
            text = getattr(self, name)
            if not isinstance(text, str) or not 0 < len(text.encode()) <= MAX_ID_LENGTH:
                raise MalformedMessage(f"{name} is 1 to {MAX_ID_LENGTH} bytes of text")
        for name, top in (
            ("sequence", MAX_UINT32),
            ("created_at", MAX_UINT32),
            ("value", MAX_VALUE),
        ):
            number = getattr(self, name)
            if type(number) is not int or not 0 <= number <= top:
                raise MalformedMessage(f"{name} is an integer from 0 to {top}, got {number!r}")

    def body(self) -> bytes:
        """The canonical CBOR body the meter signs."""
        return cbor2.dumps(
            [
                VERSION,
                self.meter_id,
                self.sequence,
                int(self.quantity),
                self.value,
                self.created_at,
                self.dwelling,
            ]
        )


@dataclass(frozen=True, slots=True)
class ReadingPacket:
    """A signed reading: what travels from the meter to the cloud, unchanged."""

    reading: Reading
    encoded: bytes
    body: bytes = field(repr=False, compare=False)
    """The signed body, as it stands in ``encoded``."""
    signature: bytes = field(repr=False, compare=False)
    """The meter's signature over the tag and ``body``, as it stands in ``encoded``."""
    digest: bytes = field(init=False, repr=False, compare=False)
    """SHA-256 of the packet: the reading's name in receipts and erase commands."""

    def __post_init__(self) -> None:
        # Computed once: the cloud names each reading by it several times per batch.
        object.__setattr__(self, "digest", hashlib.sha256(self.encoded).digest())

    @property
    def key(self) -> tuple[str, int]:
        """(meter, sequence): the identity the cloud is idempotent on."""
        return self.reading.meter_id, self.reading.sequence


def sign_reading(reading: Reading, key: SigningKey) -> ReadingPacket:
    """The meter signs a reading it has just taken."""
    body = reading.body()
    signature = key.sign(READING_TAG + body)
    return ReadingPacket(reading, cbor2.dumps([body, signature]), body, signature)


def decode_packet(data: bytes) -> ReadingPacket:
    """Parse a packet strictly, without checking its signature."""
    if len(data) > MAX_PACKET_SIZE:
        raise MalformedMessage(f"a reading packet is at most {MAX_PACKET_SIZE} bytes")
    try:
        outer = loads_one(data, "the reading packet")
        if not (isinstance(outer, list) and len(outer) == 2):
            raise MalformedMessage("a reading packet is the array [body, signature]")
        body, signature = outer
        if not isinstance(body, bytes) or not isinstance(signature, bytes):
            raise MalformedMessage("a reading packet's body and signature are byte strings")
        fields = loads_one(body, "the reading body")
    except CredentialError as err:
        raise MalformedMessage(str(err)) from None
    if not (isinstance(fields, list) and len(fields) == 7 and fields[0] == VERSION):
        raise MalformedMessage(f"a reading body is a 7-item array of version {VERSION}")
    _, meter_id, sequence, quantity, value, created_at, dwelling = fields
    try:
        kind = Quantity(quantity)
    except ValueError:
        raise MalformedMessage(f"unknown quantity {quantity!r}") from None
    reading = Reading(meter_id, sequence, kind, value, created_at, dwelling)
    if reading.body() != body:
        raise MalformedMessage("the reading body is not in canonical form")
    return ReadingPacket(reading, bytes(data), body, signature)


def verify_packet(data: bytes, meter_key: PublicKey) -> ReadingPacket:
    """Parse a packet and check that ``meter_key`` signed it."""
    return check_signature(decode_packet(data), meter_key)


def check_signature(packet: ReadingPacket, meter_key: PublicKey) -> ReadingPacket:
    """Check that ``meter_key`` signed a packet :func:`decode_packet` already parsed."""
    try:
        meter_key.verify(packet.signature, READING_TAG + packet.body)
    except KeyBadSignature:
        raise BadSignature(
            f"reading {packet.reading.sequence} of {packet.reading.meter_id} is not signed "
            "by that meter's registered key"
        ) from None
    return packet
