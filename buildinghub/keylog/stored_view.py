"""A log view that only moves forward: the last accepted checkpoint, persisted atomically, plus
the evidence of any fork seen. Witnesses and hubs each keep one.

``advance`` is the rule both apply to a new checkpoint (already checked to be signed by the
log): it must extend the stored one, proven by a consistency proof; a smaller one is stale;
one of the same size with another root, or one whose proof fails, is a fork. A fork is
recorded with both signed notes and latches the view frozen until ``resolve``.
"""

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Self

from .atomic_file import write_atomically
from .checkpoint import Checkpoint, parse_checkpoint
from .errors import ForkDetected, InvalidProof, LogFrozen, MalformedCheckpoint, StaleCheckpoint
from .note import SignedNote, parse_note
from .proof import EMPTY_ROOT, verify_consistency

_FORMAT = 1


@dataclass(frozen=True, slots=True)
class ForkEvidence:
    """Two signed checkpoints of one log that are not consistent, and why.

    ``trusted`` is the checkpoint the holder had accepted, ``conflicting`` the one that does not
    extend it, both as full signed notes, so anyone holding the log key can check them.
    ``proof`` is the consistency proof that was offered (base64 hashes), if any.
    """

    origin: str
    trusted: str
    conflicting: str
    proof: tuple[str, ...]
    detail: str
    detected_at: int

    def to_json(self) -> dict[str, object]:
        """A JSON-ready dict."""
        return {
            "origin": self.origin,
            "trusted": self.trusted,
            "conflicting": self.conflicting,
            "proof": list(self.proof),
            "detail": self.detail,
            "detected_at": self.detected_at,
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Self:
        """Read what to_json wrote."""
        proof = data["proof"]
        if not isinstance(proof, list):
            raise TypeError("the evidence's proof must be a list")
        return cls(
            origin=str(data["origin"]),
            trusted=str(data["trusted"]),
            conflicting=str(data["conflicting"]),
            proof=tuple(str(item) for item in proof),
            detail=str(data["detail"]),
            detected_at=int(str(data["detected_at"])),
        )


class StoredView:
    """The last checkpoint accepted from one log, kept in a JSON file replaced atomically."""

    __slots__ = ("_evidence", "_frozen", "_note", "checkpoint", "path")

    def __init__(self, path: Path) -> None:
        """Load the view kept at path, or start with none if the file does not exist."""
        self.path = path
        self._note: SignedNote | None = None
        self.checkpoint: Checkpoint | None = None
        self._evidence: list[ForkEvidence] = []
        self._frozen = False
        if path.exists():
            self._load()

    @property
    def note(self) -> SignedNote | None:
        """The signed note of the accepted checkpoint."""
        return self._note

    @property
    def frozen(self) -> bool:
        """Whether a fork was seen and not yet resolved."""
        return self._frozen

    @property
    def evidence(self) -> tuple[ForkEvidence, ...]:
        """Every fork seen, oldest first (kept after resolution)."""
        return tuple(self._evidence)

    def advance(
        self, note: SignedNote, checkpoint: Checkpoint, proof: Sequence[bytes], now: int
    ) -> bool:
        """Move to checkpoint if it extends the stored one; return False if it is the same.

        Raise LogFrozen, StaleCheckpoint, or ForkDetected (after recording the evidence and
        freezing, durably).
        """
        if self._frozen:
            raise LogFrozen(
                "a fork of this log was detected: nothing new is accepted until a person "
                "resolves it (see the kept evidence)"
            )
        if checkpoint.size == 0 and checkpoint.root != EMPTY_ROOT:
            raise MalformedCheckpoint("a checkpoint of the empty log must have the empty root")
        trusted, trusted_note = self.checkpoint, self._note
        if trusted is not None and trusted_note is not None and trusted.size > 0:
            if checkpoint.origin != trusted.origin:
                raise MalformedCheckpoint(
                    f"the checkpoint is for log {checkpoint.origin!r}, this view follows "
                    f"{trusted.origin!r}"
                )
            if checkpoint.size < trusted.size:
                raise StaleCheckpoint(
                    f"the checkpoint has {checkpoint.size} entries, fewer than the "
                    f"{trusted.size} already accepted: a log view never goes back"
                )
            if checkpoint.size == trusted.size and checkpoint.root == trusted.root:
                return False
            try:
                verify_consistency(
                    trusted.size, checkpoint.size, proof, trusted.root, checkpoint.root
                )
            except InvalidProof as err:
                self._evidence.append(
                    ForkEvidence(
                        origin=trusted.origin,
                        trusted=trusted_note.encode().decode(),
                        conflicting=note.encode().decode(),
                        proof=tuple(base64.b64encode(item).decode() for item in proof),
                        detail=str(err),
                        detected_at=now,
                    )
                )
                self._frozen = True
                self._save()
                raise ForkDetected(
                    f"log {trusted.origin} forked: the checkpoint of size {checkpoint.size} is "
                    f"not consistent with the accepted one of size {trusted.size} ({err}); "
                    f"the evidence is kept and the view is frozen"
                ) from None
        self._note, self.checkpoint = note, checkpoint
        self._save()
        return True

    def resolve(self, note: SignedNote, checkpoint: Checkpoint) -> None:
        """A person re-anchors the view on a checkpoint they checked; the evidence is kept."""
        self._note, self.checkpoint, self._frozen = note, checkpoint, False
        self._save()

    def _save(self) -> None:
        state = {
            "format": _FORMAT,
            "checkpoint": None if self._note is None else self._note.encode().decode(),
            "frozen": self._frozen,
            "evidence": [item.to_json() for item in self._evidence],
        }
        write_atomically(self.path, json.dumps(state, indent=1, sort_keys=True).encode())

    def _load(self) -> None:
        state = json.loads(self.path.read_bytes())
        if not isinstance(state, dict) or state.get("format") != _FORMAT:
            raise ValueError(f"{self.path} is not a log view file this version reads")
        stored = state["checkpoint"]
        if stored is not None:
            self._note = parse_note(str(stored))
            self.checkpoint = parse_checkpoint(self._note.text)
        self._frozen = bool(state["frozen"])
        self._evidence = [ForkEvidence.from_json(item) for item in state["evidence"]]


class ForwardView:
    """Something that keeps a StoredView of a log (a witness, a hub): what it shows of it."""

    __slots__ = ("_view",)

    def __init__(self, state_path: Path) -> None:
        """Keep the view at state_path."""
        self._view = StoredView(state_path)

    @property
    def checkpoint(self) -> Checkpoint | None:
        """The last checkpoint accepted."""
        return self._view.checkpoint

    @property
    def note(self) -> SignedNote | None:
        """The signed note of the last checkpoint accepted."""
        return self._view.note

    @property
    def frozen(self) -> bool:
        """Whether a fork was seen and not yet resolved: nothing new is accepted."""
        return self._view.frozen

    @property
    def evidence(self) -> tuple[ForkEvidence, ...]:
        """Every fork seen, oldest first."""
        return self._view.evidence
