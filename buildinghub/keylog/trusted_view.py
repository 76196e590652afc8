"""The hub's view of the key ledger (SPEC K3, K4): which checkpoint it trusts, and why.

A checkpoint is accepted only if it is signed by the log key, cosigned by at least ``quorum``
of the configured witnesses, and proven (consistency proof) to extend the checkpoint already
trusted, which is kept in a file written atomically and only ever moves forward. A fork is
detected, its evidence kept, and the view frozen: no new checkpoint, so no newly registered
key, is trusted until a person resolves it. Entries are verified by inclusion proof against
the trusted checkpoint. The first checkpoint a new hub sees needs no consistency proof, only
the log signature and the quorum: the witnesses vouch that it is the one everyone sees.
"""

from collections.abc import Sequence
from pathlib import Path

from buildinghub.credentials.clock import Clock

from .checkpoint import Checkpoint, open_checkpoint
from .errors import InvalidProof, KeylogError, QuorumNotMet
from .note import SignedNote, verified_signers
from .proof import leaf_hash, verify_inclusion
from .signers import LogNoteKey, WitnessNoteKey
from .stored_view import ForwardView


class TrustedLogView(ForwardView):
    """The last checkpoint the hub trusts, updated only with signature, quorum and proof."""

    __slots__ = ("_clock", "_log_key", "_quorum", "_witnesses")

    def __init__(
        self,
        log_key: LogNoteKey,
        witnesses: Sequence[WitnessNoteKey],
        quorum: int,
        state_path: Path,
        clock: Clock,
    ) -> None:
        """Trust log_key's checkpoints when quorum of witnesses cosigned them."""
        if len({(w.name, w.key_id) for w in witnesses}) != len(witnesses):
            raise ValueError("each witness must be configured once")
        if not 1 <= quorum <= len(witnesses):
            raise ValueError(
                f"the quorum must be between 1 and the {len(witnesses)} witnesses, got {quorum}"
            )
        self._log_key = log_key
        self._witnesses = tuple(witnesses)
        self._quorum = quorum
        self._clock = clock
        super().__init__(state_path)

    def check(self, signed_checkpoint: bytes | str) -> tuple[SignedNote, Checkpoint]:
        """Parse a checkpoint and check log signature and witness quorum (not consistency)."""
        note, checkpoint = open_checkpoint(signed_checkpoint, self._log_key)
        cosigners = verified_signers(note, self._witnesses)
        if len(cosigners) < self._quorum:
            raise QuorumNotMet(
                f"the checkpoint of size {checkpoint.size} is cosigned by {len(cosigners)} of "
                f"the known witnesses, {self._quorum} are required: wait for more cosignatures"
            )
        return note, checkpoint

    def update(self, signed_checkpoint: bytes | str, proof: Sequence[bytes]) -> Checkpoint:
        """Move forward to a checkpoint that passes ``check`` and extends the trusted one.

        Raise QuorumNotMet, NoteNotSigned, StaleCheckpoint, LogFrozen or ForkDetected (the
        evidence is kept and the view frozen). Returns the trusted checkpoint.
        """
        note, checkpoint = self.check(signed_checkpoint)
        self._view.advance(note, checkpoint, proof, self._clock.now())
        return checkpoint

    def resolve(self, signed_checkpoint: bytes | str) -> Checkpoint:
        """After a person has investigated a fork: re-anchor on this checkpoint and unfreeze.

        The checkpoint must still be signed by the log and cosigned by the quorum; the
        evidence of the fork is kept.
        """
        note, checkpoint = self.check(signed_checkpoint)
        self._view.resolve(note, checkpoint)
        return checkpoint

    def verify_inclusion(self, entry: bytes, index: int, proof: Sequence[bytes]) -> Checkpoint:
        """Check that entry is entry ``index`` of the log at the trusted checkpoint."""
        checkpoint = self._view.checkpoint
        if checkpoint is None:
            raise KeylogError("no checkpoint is trusted yet: update the view first")
        if index >= checkpoint.size:
            raise InvalidProof(
                f"entry {index} is not in the trusted checkpoint of size {checkpoint.size}: "
                f"update the view to a newer checkpoint first"
            )
        verify_inclusion(index, checkpoint.size, leaf_hash(entry), proof, checkpoint.root)
        return checkpoint
