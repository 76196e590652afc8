"""A witness (SPEC K4): an independent party that cosigns a log's checkpoint only after it has
checked that the checkpoint is signed by the log and extends the last one it cosigned.

Its view is a StoredView in its own file, written atomically before a cosignature leaves, so
a witness that crashes never cosigns something it would not remember. It never goes back,
and a fork (same size with another root, or a failed consistency proof) is kept as evidence
and stops it cosigning this log until a person resolves it. A new witness accepts the first
checkpoint signed by the log as its starting point (there is nothing to be consistent with);
from then on every step needs a proof.
"""

from collections.abc import Sequence
from pathlib import Path

from buildinghub.credentials.clock import Clock

from .checkpoint import open_checkpoint
from .note import NoteSignature
from .signers import LogNoteKey, WitnessNoteKey, WitnessNoteSigner
from .stored_view import ForwardView


class Witness(ForwardView):
    """Cosigns one log's checkpoints after verifying signature and consistency."""

    __slots__ = ("_clock", "_log_key", "_signer")

    def __init__(
        self, signer: WitnessNoteSigner, log_key: LogNoteKey, state_path: Path, clock: Clock
    ) -> None:
        """Witness the log with log_key, keeping its view at state_path."""
        self._signer = signer
        self._log_key = log_key
        self._clock = clock
        super().__init__(state_path)

    @property
    def key(self) -> WitnessNoteKey:
        """The public key that verifies this witness's cosignatures."""
        return self._signer.verifier

    def cosign(self, signed_checkpoint: bytes | str, proof: Sequence[bytes]) -> NoteSignature:
        """Verify the checkpoint and its consistency proof from the last one; cosign it.

        Raise NoteNotSigned, MalformedNote/MalformedCheckpoint, StaleCheckpoint, ForkDetected
        or LogFrozen instead of cosigning.
        """
        note, checkpoint = open_checkpoint(signed_checkpoint, self._log_key)
        now = self._clock.now()
        self._view.advance(note, checkpoint, proof, now)
        return self._signer.cosign(note.text, now)
