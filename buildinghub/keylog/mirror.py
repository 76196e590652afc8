"""The hub's copy of the ledger (SPEC K3): every entry, checked against the trusted checkpoint.

Inclusion proofs show an entry is in the log; they cannot show that no later entry revoked
its key. So the hub keeps the whole ledger of its building (small: a few entries per key)
and replays it: ``sync`` takes a checkpoint, the consistency proof from the trusted one and
the entries since; the TrustedLogView accepts the checkpoint (signature, witness quorum,
consistency, forward only, fork detection), then the entries are appended to the hub's own
Merkle tree, whose root must equal the checkpoint's, and only then applied to the key state.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from .checkpoint import Checkpoint
from .entries import Role, decode_entry
from .errors import EntryRefused, InvalidProof, MalformedEntry
from .key_state import KeyRecord, KeyState
from .tree import MerkleTree
from .trusted_view import TrustedLogView


@dataclass(frozen=True, slots=True)
class RefusedEntry:
    """An entry the log holds that the hub's replay refused (a log misbehaving), and why."""

    index: int
    reason: str


class LedgerMirror:
    """The ledger as the hub holds it: trusted view, Merkle tree, key state."""

    __slots__ = ("_entries", "_refused", "_tree", "state", "view")

    def __init__(self, view: TrustedLogView) -> None:
        """Mirror the log that view trusts, starting empty.

        The view may already trust a checkpoint (a hub that restarted): the mirror then catches
        up with the entries from 0, checked against the root of that or a newer checkpoint.
        """
        self.view = view
        self._tree = MerkleTree()
        self._entries: list[bytes] = []
        self._refused: list[RefusedEntry] = []
        self.state = KeyState()

    @property
    def size(self) -> int:
        """How many entries the mirror holds."""
        return self._tree.size

    def entries(self, start: int = 0) -> tuple[bytes, ...]:
        """The entries the mirror holds from start (what a hub stores to restart from)."""
        return tuple(self._entries[start:])

    @property
    def refused(self) -> tuple[RefusedEntry, ...]:
        """Entries of the log the replay refused."""
        return tuple(self._refused)

    def sync(
        self, signed_checkpoint: bytes | str, proof: Sequence[bytes], entries: Sequence[bytes]
    ) -> Checkpoint:
        """Trust a newer checkpoint, then take the entries from the mirror's size up to it.

        ``proof`` is the consistency proof from the view's trusted checkpoint. The view moves
        first (signature, quorum, consistency, fork detection); the entries must then give
        exactly the checkpoint's root, or none of them is taken (InvalidProof) and the mirror
        stays behind the view until it is sent the right ones.
        """
        checkpoint = self.view.update(signed_checkpoint, proof)
        start = self._tree.size
        if checkpoint.size != start + len(entries):
            raise InvalidProof(
                f"the checkpoint has {checkpoint.size} entries; the mirror has {start} and was "
                f"given {len(entries)}: send the entries from {start} to {checkpoint.size}"
            )
        for data in entries:
            self._tree.append(data)
        if self._tree.root() != checkpoint.root:
            self._tree.truncate(start)
            raise InvalidProof(
                f"the entries {start} to {checkpoint.size} do not give the checkpoint's root: "
                f"they are not the log's"
            )
        for index, data in enumerate(entries, start):
            self._entries.append(data)
            try:
                self.state.apply(index, decode_entry(data))
            except (MalformedEntry, EntryRefused) as err:
                self._refused.append(RefusedEntry(index, str(err)))
        return checkpoint

    def verify_key(self, kid: bytes, roles: frozenset[Role]) -> KeyRecord:
        """The record of an active key of one of roles, its entry proven in the trusted log."""
        record = self.state.active_key(kid, roles)
        index = record.registered_index
        self.view.verify_inclusion(
            self._entries[index], index, self._tree.inclusion_proof(index, self.size)
        )
        return record
