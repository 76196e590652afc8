"""What a verifier remembers about each link of a share chain: uses, transfers and freezes.

A use-limited grant has one verifier (its audience), which counts here. A use by a share
counts against every link above it too, so a chain can never open the bay more often than
its e-key allows. Counts and unlock counters only move forward: loading the ledger after a
restart or receiving an old grant again never resets them, and an unlock whose counter is
not above the last one accepted is refused (a replayed request). A transfer share takes
effect when the verifier first accepts it: from then on its parent opens nothing for the
parent's holder, and the parent cannot be transferred to anyone else.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from .clock import Clock
from .delegation import Chain
from .errors import KeyTransferred, MemberFrozen, StaleChallenge, UsesExhausted
from .grant import Grant, ShareMode


@dataclass(slots=True)
class LinkState:
    """The verifier's memory of one grant in a chain."""

    expires: int
    uses: int = 0
    last_counter: int = 0
    frozen: bool = False
    transferred_to: bytes | None = None


class UnknownMember(KeyError):
    """The ledger has never seen a grant with this id."""


class UseLedger:
    """Link states by grant id; serialisable so that they survive a restart."""

    def __init__(self, clock: Clock) -> None:
        """Purge by ``clock``."""
        self._clock = clock
        self._links: dict[bytes, LinkState] = {}

    def state(self, grant_id: bytes) -> LinkState | None:
        """What is known of one grant (None: never seen, or purged after it expired)."""
        return self._links.get(grant_id)

    def uses_left(self, chain: Chain) -> int | None:
        """How many more unlocks the chain allows (None: no limit)."""
        left: int | None = None
        for link in chain.links:
            limit = link.grant.max_uses
            if limit is None:
                continue
            state = self._links.get(link.grant.grant_id)
            remaining = max(0, limit - (state.uses if state else 0))
            left = remaining if left is None else min(left, remaining)
        return left

    def register(self, chain: Chain) -> None:
        """Remember a chain a verifier accepted; a transfer share takes effect here.

        Registering again (the same grant sent twice, or after a restart) changes nothing.
        Only a share below a key that was transferred to someone else is refused here; a
        frozen or used-up chain may be stored, and is refused when it is used.
        """
        ids = chain.grant_ids()
        for index, link in enumerate(chain.links[:-1]):
            self._check_not_transferred(link.grant, ids[index + 1])
        leaf = chain.leaf.grant
        parent_state: LinkState | None = None
        if leaf.share_mode is ShareMode.TRANSFER:
            parent_state = self._ensure(chain.links[-2].grant)
        for link in chain.links:
            self._ensure(link.grant)
        if parent_state is not None:
            parent_state.transferred_to = leaf.grant_id

    def check(self, chain: Chain) -> None:
        """Raise why the chain cannot be used now: frozen, transferred away, or used up."""
        ids = chain.grant_ids()
        for index, link in enumerate(chain.links):
            grant = link.grant
            state = self._links.get(grant.grant_id)
            if state is None:
                continue
            if state.frozen:
                raise MemberFrozen(
                    f"the bay's manager froze grant {grant.grant_id.hex()} of {grant.subject!r}"
                )
            self._check_not_transferred(grant, ids[index + 1] if index + 1 < len(ids) else None)
            if grant.max_uses is not None and state.uses >= grant.max_uses:
                raise UsesExhausted(
                    f"grant {grant.grant_id.hex()} of {grant.subject!r} has used all "
                    f"{grant.max_uses} unlocks"
                )

    def _check_not_transferred(self, grant: Grant, below: bytes | None) -> None:
        state = self._links.get(grant.grant_id)
        if state is not None and state.transferred_to not in (None, below):
            raise KeyTransferred(
                f"{grant.subject!r} transferred grant {grant.grant_id.hex()} to someone "
                f"else: it opens nothing for them now"
            )

    def record_use(self, chain: Chain, counter: int) -> None:
        """Count one unlock by the chain's leaf, whose holder signed ``counter``."""
        self.check(chain)
        leaf = self._ensure(chain.leaf.grant)
        if counter <= leaf.last_counter:
            raise StaleChallenge(
                f"unlock counter {counter} is not above the last accepted {leaf.last_counter}: "
                f"a replayed request"
            )
        leaf.last_counter = counter
        for link in chain.links:
            self._ensure(link.grant).uses += 1

    def set_frozen(self, grant_id: bytes, frozen: bool) -> None:
        """Freeze or unfreeze one member (and so every share below it)."""
        state = self._links.get(grant_id)
        if state is None:
            raise UnknownMember(grant_id.hex())
        state.frozen = frozen

    def release(self, grant_id: bytes) -> None:
        """A share was given back or removed: a sharer who transferred it has the key again."""
        for state in self._links.values():
            if state.transferred_to == grant_id:
                state.transferred_to = None

    def purge_expired(self) -> int:
        """Forget grants whose window has ended (they are refused by their window anyway)."""
        now = self._clock.now()
        expired = [grant_id for grant_id, s in self._links.items() if s.expires <= now]
        for grant_id in expired:
            del self._links[grant_id]
        return len(expired)

    def to_json(self) -> dict[str, Any]:
        """A JSON-able snapshot."""
        return {
            grant_id.hex(): {
                **asdict(state),
                "transferred_to": state.transferred_to.hex() if state.transferred_to else None,
            }
            for grant_id, state in self._links.items()
        }

    def load_json(self, data: dict[str, Any]) -> None:
        """Restore a snapshot; a count already higher here is never lowered by it."""
        for key, item in data.items():
            loaded = LinkState(
                expires=int(item["expires"]),
                uses=int(item["uses"]),
                last_counter=int(item["last_counter"]),
                frozen=bool(item["frozen"]),
                transferred_to=bytes.fromhex(item["transferred_to"])
                if item["transferred_to"]
                else None,
            )
            current = self._links.get(bytes.fromhex(key))
            if current is not None:
                loaded.uses = max(loaded.uses, current.uses)
                loaded.last_counter = max(loaded.last_counter, current.last_counter)
            self._links[bytes.fromhex(key)] = loaded

    def _ensure(self, grant: Grant) -> LinkState:
        state = self._links.get(grant.grant_id)
        if state is None:
            state = self._links[grant.grant_id] = LinkState(expires=grant.expires)
        return state
