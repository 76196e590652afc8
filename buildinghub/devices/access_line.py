"""An access attempt as one sentence a person reads in a logbook (SPEC R13, H8).

``Tess opened Flat 1A by fingerprint``, ``Someone was refused at Flat 1C: no match``. The
subject (who) and the rest are apart, because Home Assistant's logbook shows a name and a
message. Only words from a fixed list: a reason the lock reports that we do not know reads
as its code with spaces, never anything the radio peer chose beyond its code's letters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

SOMEONE: Final = "Someone"
MAX_NAME_LENGTH: Final = 64

_METHODS: Final = {
    "keypad": " with a PIN",
    "fingerprint": " by fingerprint",
    "remote": " from the app",
    "manual": " by hand",
}
_REASONS: Final = {
    "no_match": "no match",
    "unknown_credential": "unknown PIN",
    "keypad_locked_out": "keypad locked out after wrong PINs",
    "expired": "the grant has expired",
    "not_yet_valid": "the grant is not valid yet",
    "revoked": "the grant was revoked",
    "frozen": "the key is frozen",
    "uses_exhausted": "the key has no uses left",
    "transferred": "the key was given to someone else",
    "bad_signature": "the grant's signature is wrong",
    "unknown_grant": "no such grant on the lock",
    "wrong_audience": "the grant is for another lock",
    "proof_mismatch": "the key answered wrongly",
    "stale_challenge": "a stale answer",
    "malformed": "an unreadable request",
}
_CODE: Final = re.compile(r"[a-z0-9_]{1,40}")


@dataclass(frozen=True, slots=True)
class AccessLine:
    """Who, and what happened to them at the place."""

    who: str
    what: str

    def __str__(self) -> str:
        """The whole sentence."""
        return f"{self.who} {self.what}"


def reason_text(reason: str) -> str:
    """A refusal reason in words."""
    if reason in _REASONS:
        return _REASONS[reason]
    return reason.replace("_", " ") if _CODE.fullmatch(reason) else "an unknown reason"


def who_text(name: str | None) -> str:
    """A person's name as shown, or ``Someone`` when nobody is known."""
    shown = " ".join((name or "").split())[:MAX_NAME_LENGTH]
    return shown or SOMEONE


def subject_text(subject: str) -> str:
    """A ledger subject as a person reads it when no name is known: ``Tenant (flat-1c)``."""
    role, colon, rest = subject.partition(":")
    if colon and role.isalpha() and rest:
        return f"{role.capitalize()} ({rest})"
    return subject


def access_line(
    place: str, *, granted: bool, method: str | None, reason: str, who: str | None
) -> AccessLine:
    """The sentence for one attempt at ``place`` (a flat or a bay)."""
    person = who_text(who)
    if granted:
        return AccessLine(person, f"opened {place}{_METHODS.get(method or '', '')}")
    return AccessLine(person, f"was refused at {place}: {reason_text(reason)}")


def locked_line(place: str) -> AccessLine:
    """The sentence for a lock that closed by itself or was locked."""
    return AccessLine(place, "locked")
