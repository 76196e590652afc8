"""Step-up confirmation: a manager action runs only with a fresh code sent to the manager.

The code reaches the manager on another channel than the request (a notification), is bound
to one person, one action and one target, is good once and for a short time, and three
wrong tries use it up. Nothing here knows how the code is delivered.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from .clock import Clock

STEP_UP_LIFETIME_S = 120
STEP_UP_TRIES = 3


class StepUpRefused(Exception):
    """No valid confirmation for this action: ask for a new code."""


@dataclass(slots=True)
class _Pending:
    code: str
    expires: int
    tries: int = 0


class StepUpBook:
    """Outstanding confirmation codes, one per (person, action, target)."""

    def __init__(self, clock: Clock, *, lifetime: int = STEP_UP_LIFETIME_S) -> None:
        """Codes last ``lifetime`` seconds by ``clock``."""
        self._clock = clock
        self._lifetime = lifetime
        self._pending: dict[tuple[str, str, str], _Pending] = {}

    def issue(self, person: str, action: str, target: str) -> str:
        """A new six-digit code for exactly this action; it replaces any earlier one."""
        code = f"{secrets.randbelow(10**6):06d}"
        self._pending[(person, action, target)] = _Pending(code, self._clock.now() + self._lifetime)
        return code

    def confirm(self, person: str, action: str, target: str, code: str) -> None:
        """Use the code up, or raise StepUpRefused saying why."""
        key = (person, action, target)
        pending = self._pending.get(key)
        if pending is None:
            raise StepUpRefused("no confirmation was requested for this action")
        if self._clock.now() >= pending.expires:
            del self._pending[key]
            raise StepUpRefused("the confirmation code has expired")
        if not hmac.compare_digest(pending.code.encode(), code.strip().encode()):
            pending.tries += 1
            if pending.tries >= STEP_UP_TRIES:
                del self._pending[key]
            raise StepUpRefused("the confirmation code is wrong")
        del self._pending[key]
