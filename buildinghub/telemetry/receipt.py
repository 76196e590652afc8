"""Storage receipts (made by the cloud after its commit) and the erase commands built from them.

A receipt is ``CBOR [body, signature]`` with ``body = [version, meter_id, sequence,
packet_digest, stored_at]``, signed by the cloud connector's key under its own domain
tag. It names exactly one stored reading: the meter, the storage unit (sequence) and the
SHA-256 of the packet the cloud holds. The erase command the hub sends to a meter *is*
that receipt (SPEC M3): the meter checks the cloud's signature, its own id and that the
digest is that of the packet in that storage unit, so neither the hub nor an attacker can
make a meter erase a reading the cloud does not hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import cbor2

from buildinghub.credentials import PublicKey, SigningKey
from buildinghub.credentials.errors import BadSignature as KeyBadSignature
from buildinghub.credentials.errors import CredentialError
from buildinghub.credentials.strict_cbor import loads_one

from .errors import BadSignature, MalformedMessage, WrongMeter
from .reading import MAX_ID_LENGTH, MAX_UINT32, ReadingPacket

VERSION: Final = 1
RECEIPT_TAG: Final = b"buildinghub/storage-receipt/v1\x00"
DIGEST_LENGTH: Final = 32
MAX_RECEIPT_SIZE: Final = 200


@dataclass(frozen=True, slots=True)
class StorageReceipt:
    """The cloud's signed statement that it durably holds one reading."""

    meter_id: str
    sequence: int
    packet_digest: bytes
    stored_at: int
    encoded: bytes

    @property
    def key(self) -> tuple[str, int]:
        """(meter, sequence) of the reading it covers."""
        return self.meter_id, self.sequence

    def covers(self, packet: ReadingPacket) -> bool:
        """Whether this receipt names exactly ``packet``."""
        return self.key == packet.key and self.packet_digest == packet.digest


def issue_receipt(packet: ReadingPacket, stored_at: int, cloud_key: SigningKey) -> StorageReceipt:
    """Sign a receipt for a packet the caller has committed to its database."""
    meter_id, sequence = packet.key
    body = cbor2.dumps([VERSION, meter_id, sequence, packet.digest, stored_at])
    encoded = cbor2.dumps([body, cloud_key.sign(RECEIPT_TAG + body)])
    return StorageReceipt(meter_id, sequence, packet.digest, stored_at, encoded)


def verify_receipt(data: bytes, cloud_key: PublicKey) -> StorageReceipt:
    """Parse a receipt strictly and check the cloud's signature on it."""
    if len(data) > MAX_RECEIPT_SIZE:
        raise MalformedMessage(f"a storage receipt is at most {MAX_RECEIPT_SIZE} bytes")
    try:
        outer = loads_one(data, "the storage receipt")
        if not (isinstance(outer, list) and len(outer) == 2):
            raise MalformedMessage("a storage receipt is the array [body, signature]")
        body, signature = outer
        if not isinstance(body, bytes) or not isinstance(signature, bytes):
            raise MalformedMessage("a storage receipt's body and signature are byte strings")
        fields = loads_one(body, "the storage receipt body")
    except CredentialError as err:
        raise MalformedMessage(str(err)) from None
    if not (isinstance(fields, list) and len(fields) == 5 and fields[0] == VERSION):
        raise MalformedMessage(f"a storage receipt body is a 5-item array of version {VERSION}")
    _, meter_id, sequence, digest, stored_at = fields
    if not (
        isinstance(meter_id, str)
        and 0 < len(meter_id.encode()) <= MAX_ID_LENGTH
        and type(sequence) is int
        and 0 <= sequence <= MAX_UINT32
        and isinstance(digest, bytes)
        and len(digest) == DIGEST_LENGTH
        and type(stored_at) is int
        and 0 <= stored_at <= MAX_UINT32
    ):
        raise MalformedMessage("a storage receipt's meter, sequence, digest or time is invalid")
    try:
        cloud_key.verify(signature, RECEIPT_TAG + body)
    except KeyBadSignature:
        raise BadSignature(
            f"the receipt for reading {sequence} of {meter_id} is not signed by the cloud"
        ) from None
    return StorageReceipt(meter_id, sequence, digest, stored_at, bytes(data))


def verify_erase_command(data: bytes, cloud_key: PublicKey, meter_id: str) -> StorageReceipt:
    """What a meter runs on an erase command: a cloud receipt for one of its own readings.

    The caller still compares the digest with the packet in the named storage unit.
    """
    receipt = verify_receipt(data, cloud_key)
    if receipt.meter_id != meter_id:
        raise WrongMeter(f"the erase command is for meter {receipt.meter_id}, not {meter_id}")
    return receipt
