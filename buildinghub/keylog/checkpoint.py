"""C2SP tlog-checkpoints (c2sp.org/tlog-checkpoint): the signed head of the log at one size.

    <origin>
    <tree size, decimal, no leading zeros>
    <root hash, base64>
    [extension lines]

Parsing is strict and each refusal is a MalformedCheckpoint that names the line.
"""

import base64
from dataclasses import dataclass

from .errors import MalformedCheckpoint, NoteNotSigned
from .note import SignedNote, parse_note, verified_signers
from .proof import HASH_LENGTH
from .signers import LogNoteKey

_MAX_SIZE = 2**63 - 1


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A log's tree head: which log (origin), how many entries, their root hash."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        """Refuse a checkpoint that could not be written as a note text."""
        _check_line(self.origin, "the origin")
        if not 0 <= self.size <= _MAX_SIZE:
            raise MalformedCheckpoint(f"the tree size must be 0 to 2**63 - 1, got {self.size}")
        if len(self.root) != HASH_LENGTH:
            raise MalformedCheckpoint(f"the root hash is {HASH_LENGTH} bytes, got {len(self.root)}")
        for extension in self.extensions:
            _check_line(extension, "an extension line")

    def to_text(self) -> str:
        """The note text of this checkpoint."""
        lines = (self.origin, str(self.size), base64.b64encode(self.root).decode())
        return "".join(f"{line}\n" for line in (*lines, *self.extensions))


def parse_checkpoint(text: str) -> Checkpoint:
    """Read a checkpoint from a note text (which must end in a newline)."""
    if not text.endswith("\n"):
        raise MalformedCheckpoint("a checkpoint text ends with a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise MalformedCheckpoint(
            f"a checkpoint has an origin, a tree size and a root hash line, got {len(lines)} lines"
        )
    origin, size_line, root_line, *extensions = lines
    if (
        not size_line.isascii()
        or not size_line.isdigit()
        or (size_line.startswith("0") and size_line != "0")
    ):
        raise MalformedCheckpoint(
            f"the tree size line must be a decimal number without leading zeros, got {size_line!r}"
        )
    try:
        root = base64.b64decode(root_line, validate=True)
    except ValueError:  # binascii.Error, or text with characters beyond ASCII
        raise MalformedCheckpoint("the root hash line is not base64") from None
    if base64.b64encode(root).decode() != root_line:
        raise MalformedCheckpoint("the root hash line is not canonical base64")
    size = int(size_line)
    if size > _MAX_SIZE:
        raise MalformedCheckpoint(f"the tree size must be at most 2**63 - 1, got {size}")
    return Checkpoint(origin, size, root, tuple(extensions))


def _check_line(line: str, what: str) -> None:
    if not line:
        raise MalformedCheckpoint(f"{what} must not be empty")
    if any(ord(ch) < 0x20 for ch in line):
        raise MalformedCheckpoint(f"{what} must be one line without control characters")


def open_checkpoint(data: bytes | str, log_key: LogNoteKey) -> tuple[SignedNote, Checkpoint]:
    """Parse a signed checkpoint and check it is signed by the log key and names its origin.

    Other signature lines (witness cosignatures) are parsed but not checked here.
    """
    note = parse_note(data)
    if not verified_signers(note, [log_key]):
        raise NoteNotSigned(
            f"the checkpoint carries no signature of the log key {log_key.name} "
            f"(key ID {log_key.key_id.hex()}): it is not this log's"
        )
    checkpoint = parse_checkpoint(note.text)
    if checkpoint.origin != log_key.name:
        raise MalformedCheckpoint(
            f"the checkpoint is for log {checkpoint.origin!r}, the key signs for {log_key.name!r}"
        )
    return note, checkpoint
