"""C2SP signed notes (c2sp.org/signed-note): text, a blank line, then signature lines.

    <text ending in a newline>
    <blank line>
    — <key name> <base64(4-byte key ID || signature)>
    ...

Parsing is strict: UTF-8 without control characters other than newline, a text that ends in
a newline, at least one and at most MAX_SIGNATURES signature lines, each em dash, space,
non-empty name without spaces or "+", space, canonical base64 of more than four bytes, newline.
Each refusal is a MalformedNote saying which rule failed. Which signatures count is decided
by the verifier (see ``NoteVerifier``): per the spec, lines from unknown keys are ignored,
a line from a known key (name and key ID) must verify.
"""

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from .errors import MalformedNote, NoteNotSigned

MAX_NOTE_BYTES = 16 * 1024
# The spec asks verifiers to accept at least 16; a log, its witnesses and spares fit in 32.
MAX_SIGNATURES = 32
KEY_ID_LENGTH = 4
_SIGNATURE_PREFIX = "\u2014 "  # em dash, space
_SEPARATOR = "\n\n"


@dataclass(frozen=True, slots=True)
class NoteSignature:
    """One signature line: who (key name and 4-byte key ID) and the signature bytes."""

    name: str
    key_id: bytes
    signature: bytes

    def to_line(self) -> str:
        """The line as it appears in a note, with its newline."""
        blob = base64.b64encode(self.key_id + self.signature).decode()
        return f"{_SIGNATURE_PREFIX}{self.name} {blob}\n"


@dataclass(frozen=True, slots=True)
class SignedNote:
    """A parsed note whose signatures have not been checked yet."""

    text: str
    signatures: tuple[NoteSignature, ...]

    def encode(self) -> bytes:
        """The note's bytes: text, blank line, signature lines."""
        return (self.text + "\n" + "".join(s.to_line() for s in self.signatures)).encode()

    def with_signature(self, signature: NoteSignature) -> SignedNote:
        """The same note with one more signature line (e.g. a witness cosignature)."""
        if len(self.signatures) >= MAX_SIGNATURES:
            raise MalformedNote(f"a note carries at most {MAX_SIGNATURES} signatures")
        return SignedNote(self.text, (*self.signatures, signature))


class NoteVerifier(Protocol):
    """A key a note may be signed with: its name, key ID and signature check."""

    @property
    def name(self) -> str:
        """The key name on its signature lines."""
        ...

    @property
    def key_id(self) -> bytes:
        """The 4-byte key ID on its signature lines."""
        ...

    def verify(self, text: str, signature: bytes) -> bool:
        """Whether signature (after the key ID) is this key's signature of text."""
        ...


def check_key_name(name: str) -> None:
    """Refuse a key name the spec does not allow (empty, spaces, "+", control characters)."""
    if not name or any(ch.isspace() or ch == "+" or ord(ch) < 0x20 for ch in name):
        raise MalformedNote(f"a key name is non-empty, without spaces or '+', got {name!r}")


def parse_note(data: bytes | str) -> SignedNote:
    """Parse a signed note strictly (see the module docstring); signatures are NOT checked."""
    if isinstance(data, bytes):
        if len(data) > MAX_NOTE_BYTES:
            raise MalformedNote(f"the note is {len(data)} bytes, more than {MAX_NOTE_BYTES}")
        try:
            note = data.decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedNote("a note must be valid UTF-8") from None
    else:
        note = data
        if len(note.encode()) > MAX_NOTE_BYTES:
            raise MalformedNote(f"the note is more than {MAX_NOTE_BYTES} bytes")
    for position, ch in enumerate(note):
        if ord(ch) < 0x20 and ch != "\n":
            raise MalformedNote(
                f"control character {ord(ch):#04x} at offset {position}: a note holds no "
                f"control characters other than newline (check for \\r line endings)"
            )
    split = note.rfind(_SEPARATOR)
    if split < 0:
        raise MalformedNote("the note has no blank line between its text and its signatures")
    text, block = note[: split + 1], note[split + 2 :]
    if not block:
        raise MalformedNote("the note has no signature lines after its blank line")
    if not block.endswith("\n"):
        raise MalformedNote("the last signature line must end with a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise MalformedNote(f"the note has {len(lines)} signatures, more than {MAX_SIGNATURES}")
    return SignedNote(text, tuple(_parse_signature_line(line) for line in lines))


def _parse_signature_line(line: str) -> NoteSignature:
    if not line.startswith(_SIGNATURE_PREFIX):
        raise MalformedNote(f"a signature line starts with an em dash and a space: {line[:40]!r}")
    fields = line[len(_SIGNATURE_PREFIX) :].split(" ")
    if len(fields) != 2:
        raise MalformedNote("a signature line is '— <name> <base64 signature>', single spaces")
    name, blob = fields
    check_key_name(name)
    try:
        raw = base64.b64decode(blob, validate=True)
    except ValueError:  # binascii.Error, or text with characters beyond ASCII
        raise MalformedNote(f"the signature of {name!r} is not base64") from None
    if base64.b64encode(raw).decode() != blob:
        raise MalformedNote(f"the signature of {name!r} is not canonical base64")
    if len(raw) <= KEY_ID_LENGTH:
        raise MalformedNote(f"the signature of {name!r} is a key ID without a signature")
    return NoteSignature(name, raw[:KEY_ID_LENGTH], raw[KEY_ID_LENGTH:])


def verified_signers(note: SignedNote, verifiers: Sequence[NoteVerifier]) -> list[NoteVerifier]:
    """The known keys that signed the note; NoteNotSigned if a known key's signature fails.

    Lines whose (name, key ID) match no verifier are ignored, as the spec requires; a line that
    matches a verifier must verify, otherwise the whole note is refused (the spec's SHOULD).
    """
    by_identity = {(v.name, v.key_id): v for v in verifiers}
    signers: list[NoteVerifier] = []
    for line in note.signatures:
        verifier = by_identity.get((line.name, line.key_id))
        if verifier is None:
            continue
        if not verifier.verify(note.text, line.signature):
            raise NoteNotSigned(
                f"the signature of {line.name} (key ID {line.key_id.hex()}) does not verify: "
                f"the note was changed or signed by another key"
            )
        if verifier not in signers:
            signers.append(verifier)
    return signers
