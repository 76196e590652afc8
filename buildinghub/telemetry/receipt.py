"""Storage receipts (one per stored batch, made after the cloud's commit) and erase commands.

The cloud signs ONE receipt per batch it stored (SPEC C1): ``CBOR [body, signature]`` with
``body = [version, size, root]``, where ``root`` is the RFC 9162 Merkle root of the batch's
entries, ES256-signed by the cloud connector's key under its own domain tag. An entry names
one stored reading: the leaf is ``CBOR [meter_id, sequence, packet_digest, stored_at]``.
Entries are ordered by meter and sequence, so each meter's readings are consecutive leaves.

The erase command the hub sends a meter (SPEC M3) is ``CBOR [version, receipt, meter_id,
first, entries, proof]``: the signed receipt as the cloud made it, the meter's run of
entries (``[sequence, packet_digest, stored_at]`` each) starting at leaf ``first``, and the
range proof (:mod:`buildinghub.keylog.range_proof`) that the run is in the signed tree. The
meter checks the one signature, its own id, the proof, and that each digest is that of the
packet in that storage unit, so neither the hub nor an attacker can make a meter erase a
reading the cloud does not hold.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import groupby, pairwise
from typing import Any, Final

import cbor2

from buildinghub.credentials import PublicKey, SigningKey
from buildinghub.credentials.errors import BadSignature as KeyBadSignature
from buildinghub.credentials.errors import CredentialError
from buildinghub.credentials.strict_cbor import loads_one
from buildinghub.keylog.errors import InvalidProof
from buildinghub.keylog.proof import HASH_LENGTH, leaf_hash
from buildinghub.keylog.range_proof import range_proof, root_from_range_proof
from buildinghub.keylog.tree import MerkleTree

from .errors import BadSignature, MalformedMessage, NotInReceipt, WrongMeter
from .reading import MAX_ID_LENGTH, MAX_UINT32, ReadingPacket

VERSION: Final = 1
RECEIPT_TAG: Final = b"buildinghub/batch-receipt/v1\x00"
DIGEST_LENGTH: Final = 32
MAX_BATCH: Final = 500
"""Readings in one stored batch: one receipt, a tree of at most this many leaves."""
MAX_ERASE_ENTRIES: Final = 32
"""Readings one erase command names (a meter's memory bounds what it takes in one go)."""
MAX_RECEIPT_SIZE: Final = 160
MAX_PROOF_HASHES: Final = 2 * (MAX_BATCH - 1).bit_length()
MAX_ERASE_COMMAND_SIZE: Final = 2400
"""Bytes: a receipt, 32 entries and the longest range proof of a 500-reading batch fit."""


@dataclass(frozen=True, slots=True)
class ReceiptEntry:
    """One stored reading as a batch receipt names it."""

    meter_id: str
    sequence: int
    packet_digest: bytes
    stored_at: int

    @classmethod
    def of(cls, packet: ReadingPacket, stored_at: int) -> ReceiptEntry:
        """The entry for a packet stored at ``stored_at``."""
        return cls(*packet.key, packet.digest, stored_at)

    @property
    def key(self) -> tuple[str, int]:
        """(meter, sequence) of the reading it covers."""
        return self.meter_id, self.sequence

    def leaf(self) -> bytes:
        """The entry's Merkle leaf hash."""
        return leaf_hash(
            cbor2.dumps([self.meter_id, self.sequence, self.packet_digest, self.stored_at])
        )

    def covers(self, packet: ReadingPacket) -> bool:
        """Whether this entry names exactly ``packet``."""
        return self.key == packet.key and self.packet_digest == packet.digest


@dataclass(frozen=True, slots=True)
class StorageReceipt:
    """The cloud's one signed statement that it durably holds a batch: its entries' root."""

    size: int
    root: bytes
    encoded: bytes


@dataclass(frozen=True, slots=True)
class EraseCommand:
    """A meter's run of entries of one batch receipt, with the proof that they are in it."""

    receipt: StorageReceipt
    meter_id: str
    first: int
    entries: tuple[ReceiptEntry, ...]
    proof: tuple[bytes, ...]
    encoded: bytes

    @property
    def keys(self) -> list[tuple[str, int]]:
        """(meter, sequence) of every reading it erases."""
        return [entry.key for entry in self.entries]


@dataclass(frozen=True, slots=True)
class ReceiptedBatch:
    """What the cloud answers for a stored batch: the receipt and each meter's erase commands."""

    receipt: StorageReceipt
    commands: list[EraseCommand]


def issue_receipt(entries: Sequence[ReceiptEntry], cloud_key: SigningKey) -> ReceiptedBatch:
    """Sign one receipt for entries the caller has committed to its database."""
    ordered = sorted(entries, key=lambda entry: entry.key)
    if not 0 < len(ordered) <= MAX_BATCH:
        raise ValueError(f"a batch receipt covers 1 to {MAX_BATCH} readings, not {len(ordered)}")
    if len({entry.key for entry in ordered}) != len(ordered):
        raise ValueError("a batch receipt names each reading once")
    tree = MerkleTree()
    for entry in ordered:
        tree.append_leaf_hash(entry.leaf())
    body = cbor2.dumps([VERSION, tree.size, tree.root()])
    encoded = cbor2.dumps([body, cloud_key.sign(RECEIPT_TAG + body)])
    receipt = StorageReceipt(tree.size, tree.root(), encoded)
    return ReceiptedBatch(receipt, list(_commands(receipt, tree, ordered)))


def _commands(
    receipt: StorageReceipt, tree: MerkleTree, ordered: list[ReceiptEntry]
) -> Iterator[EraseCommand]:
    start = 0
    for meter_id, group in groupby(ordered, key=lambda entry: entry.meter_id):
        run = list(group)
        for offset in range(0, len(run), MAX_ERASE_ENTRIES):
            entries = tuple(run[offset : offset + MAX_ERASE_ENTRIES])
            first = start + offset
            proof = tuple(range_proof(tree, first, first + len(entries)))
            encoded = cbor2.dumps(
                [
                    VERSION,
                    receipt.encoded,
                    meter_id,
                    first,
                    [[e.sequence, e.packet_digest, e.stored_at] for e in entries],
                    list(proof),
                ]
            )
            yield EraseCommand(receipt, meter_id, first, entries, proof, encoded)
        start += len(run)


def decode_receipt(data: bytes) -> tuple[StorageReceipt, bytes, bytes]:
    """Parse a receipt strictly; returns it with its signed body and signature (unchecked)."""
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
    if not (isinstance(fields, list) and len(fields) == 3 and fields[0] == VERSION):
        raise MalformedMessage(f"a storage receipt body is a 3-item array of version {VERSION}")
    _, size, root = fields
    if not (type(size) is int and 0 < size <= MAX_BATCH):
        raise MalformedMessage(f"a storage receipt covers 1 to {MAX_BATCH} readings")
    if not (isinstance(root, bytes) and len(root) == HASH_LENGTH):
        raise MalformedMessage(f"a storage receipt's root is {HASH_LENGTH} bytes")
    return StorageReceipt(size, root, bytes(data)), body, signature


def verify_receipt(data: bytes, cloud_key: PublicKey) -> StorageReceipt:
    """Parse a receipt strictly and check the cloud's signature on it."""
    receipt, body, signature = decode_receipt(data)
    try:
        cloud_key.verify(signature, RECEIPT_TAG + body)
    except KeyBadSignature:
        raise BadSignature("the storage receipt is not signed by the cloud") from None
    return receipt


def decode_erase_command(data: bytes) -> EraseCommand:
    """Parse an erase command strictly, without checking its proof or signature."""
    if len(data) > MAX_ERASE_COMMAND_SIZE:
        raise MalformedMessage(f"an erase command is at most {MAX_ERASE_COMMAND_SIZE} bytes")
    try:
        fields = loads_one(data, "the erase command")
    except CredentialError as err:
        raise MalformedMessage(str(err)) from None
    if not (isinstance(fields, list) and len(fields) == 6 and fields[0] == VERSION):
        raise MalformedMessage(f"an erase command is a 6-item array of version {VERSION}")
    _, receipt_data, meter_id, first, items, proof = fields
    if not isinstance(receipt_data, bytes):
        raise MalformedMessage("an erase command carries its receipt as a byte string")
    receipt, _, _ = decode_receipt(receipt_data)
    if not (isinstance(meter_id, str) and 0 < len(meter_id.encode()) <= MAX_ID_LENGTH):
        raise MalformedMessage(f"an erase command names a meter of 1 to {MAX_ID_LENGTH} bytes")
    if not (isinstance(items, list) and 0 < len(items) <= MAX_ERASE_ENTRIES):
        raise MalformedMessage(f"an erase command names 1 to {MAX_ERASE_ENTRIES} readings")
    if not (type(first) is int and first >= 0 and first + len(items) <= receipt.size):
        raise MalformedMessage("an erase command's readings are not within its receipt")
    if not (
        isinstance(proof, list)
        and len(proof) <= MAX_PROOF_HASHES
        and all(isinstance(h, bytes) and len(h) == HASH_LENGTH for h in proof)
    ):
        raise MalformedMessage(f"an erase command's proof is at most {MAX_PROOF_HASHES} hashes")
    entries = tuple(_entry(meter_id, item) for item in items)
    if any(a.sequence >= b.sequence for a, b in pairwise(entries)):
        raise MalformedMessage("an erase command names its readings in rising order")
    return EraseCommand(receipt, meter_id, first, entries, tuple(proof), bytes(data))


def _entry(meter_id: str, item: Any) -> ReceiptEntry:
    if not (isinstance(item, list) and len(item) == 3):
        raise MalformedMessage("an erase command's entry is [sequence, digest, stored_at]")
    sequence, digest, stored_at = item
    if not (
        type(sequence) is int
        and 0 <= sequence <= MAX_UINT32
        and isinstance(digest, bytes)
        and len(digest) == DIGEST_LENGTH
        and type(stored_at) is int
        and 0 <= stored_at <= MAX_UINT32
    ):
        raise MalformedMessage("an erase command's sequence, digest or time is invalid")
    return ReceiptEntry(meter_id, sequence, digest, stored_at)


def check_proof(command: EraseCommand) -> None:
    """Check that the command's entries are leaves of its receipt's tree (NotInReceipt if not)."""
    try:
        root = root_from_range_proof(
            command.first, [e.leaf() for e in command.entries], command.receipt.size, command.proof
        )
    except InvalidProof as err:
        raise NotInReceipt(f"the erase command's proof is invalid: {err}") from None
    if root != command.receipt.root:
        raise NotInReceipt(
            f"readings {command.entries[0].sequence} to {command.entries[-1].sequence} of "
            f"{command.meter_id} are not the ones the cloud's receipt covers"
        )


def verify_erase_command(data: bytes, cloud_key: PublicKey, meter_id: str) -> EraseCommand:
    """What a meter runs on an erase command: its own entries, proven in a cloud receipt.

    The caller still compares each digest with the packet in the named storage unit.
    """
    command = decode_erase_command(data)
    if command.meter_id != meter_id:
        raise WrongMeter(f"the erase command is for meter {command.meter_id}, not {meter_id}")
    check_proof(command)
    verify_receipt(command.receipt.encoded, cloud_key)
    return command
