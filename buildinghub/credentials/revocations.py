"""What a lock (or the hub) remembers of revoked grants: each id until the grant's own end.

A revocation is never forgotten to make room: forgetting one would let the revoked grant be
installed again by anyone who recorded it on the air. The memory is bounded, so when it is
full, after the revocations of grants that have ended are dropped, a new revocation is
refused (RevocationsFull) and the person revoking hears it.
"""

from __future__ import annotations

from collections.abc import Mapping

from .clock import Clock
from .errors import RevocationsFull


class RevocationList:
    """Revoked grant ids and when each may be forgotten (the grant's expiry)."""

    __slots__ = ("_capacity", "_clock", "_until")

    def __init__(self, clock: Clock, capacity: int) -> None:
        """Hold at most ``capacity`` revocations, forgotten by ``clock``."""
        if capacity < 1:
            raise ValueError("a revocation list holds at least one revocation")
        self._clock = clock
        self._capacity = capacity
        self._until: dict[bytes, int] = {}

    def __contains__(self, grant_id: object) -> bool:
        return grant_id in self._until

    def __len__(self) -> int:
        return len(self._until)

    @property
    def capacity(self) -> int:
        """How many revocations fit."""
        return self._capacity

    def check_room(self, grant_id: bytes) -> None:
        """RevocationsFull unless :meth:`add` would take ``grant_id`` (purges first)."""
        if grant_id in self._until:
            return
        self.purge_expired()
        if len(self._until) >= self._capacity:
            raise RevocationsFull(
                f"this lock already remembers {self._capacity} revocations of grants that have "
                f"not ended, and forgets none early: the revocation is refused and the grant "
                f"stays as it was. Revocations free up as their grants expire."
            )

    def add(self, grant_id: bytes, until: int) -> None:
        """Remember ``grant_id`` as revoked until ``until`` (the later end wins)."""
        self.check_room(grant_id)
        self._until[grant_id] = max(until, self._until.get(grant_id, 0))

    def purge_expired(self) -> int:
        """Forget the revocations of grants that have ended; returns how many."""
        now = self._clock.now()
        ended = [grant_id for grant_id, until in self._until.items() if until <= now]
        for grant_id in ended:
            del self._until[grant_id]
        return len(ended)

    def to_json(self) -> dict[str, int]:
        """Hex grant id -> until."""
        return {grant_id.hex(): until for grant_id, until in self._until.items()}

    def load_json(self, data: Mapping[str, object]) -> None:
        """Restore :meth:`to_json`'s form (kept whole: these were remembered once)."""
        for grant_id, until in data.items():
            if not isinstance(until, int):
                raise ValueError("a revocation's end is an integer")
            self._until[bytes.fromhex(grant_id)] = until
