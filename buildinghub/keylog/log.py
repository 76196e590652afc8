"""The key log itself (SPEC K1, K2): entries, their Merkle tree, the key state, checkpoints.

The cloud connector serves it; this class is storage-agnostic and does no I/O. An entry is
checked against the key state before it is appended, so the log only ever holds entries its
own replay accepts. Look-ups answer with the entries and their inclusion proofs at the
current size, which the log's signed checkpoint (cosigned by the witnesses) commits to.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from .checkpoint import Checkpoint
from .entries import Entry, decode_entry, encode_entry
from .key_state import KeyState
from .note import SignedNote
from .signers import LogNoteSigner
from .tree import MerkleTree


@dataclass(frozen=True, slots=True)
class ProvenEntry:
    """An entry, where it is in the log, and the proof of that against a tree size."""

    index: int
    data: bytes
    tree_size: int
    proof: tuple[bytes, ...]


class KeyLog:
    """An append-only log of ledger entries with RFC 9162 proofs and signed checkpoints."""

    __slots__ = ("_entries", "_signer", "_tree", "state")

    def __init__(self, signer: LogNoteSigner) -> None:
        """An empty log whose checkpoints signer signs (its name is the log's origin)."""
        self._signer = signer
        self._tree = MerkleTree()
        self._entries: list[bytes] = []
        self.state = KeyState()

    @property
    def origin(self) -> str:
        """The log's name on its checkpoints."""
        return self._signer.verifier.name

    @property
    def size(self) -> int:
        """How many entries the log holds."""
        return self._tree.size

    def append(self, entry: Entry) -> int:
        """Check entry against the key state, then append it; return its index.

        Raises EntryRefused (or MalformedEntry) and appends nothing if it is not allowed.
        """
        data = encode_entry(entry)
        index = self._tree.size
        self.state.apply(index, entry)
        self._entries.append(data)
        self._tree.append(data)
        return index

    def append_encoded(self, data: bytes) -> int:
        """Append an entry received encoded (decoded strictly first)."""
        return self.append(decode_entry(data))

    def entries(self, start: int, end: int | None = None) -> list[bytes]:
        """The encoded entries [start, end)."""
        end = self.size if end is None else end
        if not 0 <= start <= end <= self.size:
            raise ValueError(f"entries {start} to {end} are not in a log of size {self.size}")
        return self._entries[start:end]

    def checkpoint(self) -> SignedNote:
        """The log's checkpoint at its current size, signed by the log key (no cosignatures)."""
        text = Checkpoint(self.origin, self.size, self._tree.root()).to_text()
        return SignedNote(text, (self._signer.sign(text),))

    def consistency_proof(self, size1: int, size2: int | None = None) -> list[bytes]:
        """The proof that the log at size1 is a prefix of the log at size2 (default: now)."""
        return self._tree.consistency_proof(size1, size2)

    def prove(self, index: int, size: int | None = None) -> ProvenEntry:
        """Entry ``index`` with its inclusion proof at size (default: now)."""
        size = self.size if size is None else size
        proof = tuple(self._tree.inclusion_proof(index, size))
        return ProvenEntry(index, self._entries[index], size, proof)

    def lookup_key(self, kid: bytes) -> tuple[ProvenEntry, ...]:
        """Every entry that registered, rotated or revoked the key, each with its proof."""
        return self._prove_all(self.state.entries_of(kid))

    def lookup_owner(self, owner: bytes) -> tuple[ProvenEntry, ...]:
        """The entries of every key of an owner hash (a tenant: their identity lookup hash)."""
        indexes = sorted(
            {index for record in self.state.keys_of_owner(owner)
             for index in self.state.entries_of(record.kid)}
        )  # fmt: skip
        return self._prove_all(indexes)

    def lookup_listing(self, building: str, flat: str) -> ProvenEntry | None:
        """The published listing of a building's flat or bay, with its proof."""
        listing = self.state.listing(building, flat)
        return None if listing is None else self.prove(listing.index)

    def _prove_all(self, indexes: Sequence[int]) -> tuple[ProvenEntry, ...]:
        return tuple(self.prove(index) for index in indexes)
