"""Which tenant keys a hub vouches for: by key id, never by display name (SPEC S1, S3).

A tenant key is one the hub holds a grant for (the grant's holder key, not the hub's own),
and, where the hub keeps a key ledger, one the ledger has as an active tenant key. A key that
once recorded a consent is pinned, so its tenant can still withdraw after their grants ended.
Two tenants with the same name are two keys here; neither speaks for the other.
"""

from __future__ import annotations

from collections.abc import Callable

from buildinghub.credentials import PublicKey
from buildinghub.keylog.entries import Role
from buildinghub.keylog.errors import KeylogError
from buildinghub.keylog.mirror import LedgerMirror

from .grant_book import GrantBook

_TENANT = frozenset({Role.TENANT})


class TenantKeyring:
    """The tenant keys of one hub: those of its grants' holders (checked against its ledger),
    and the pinned keys that consented before."""

    def __init__(
        self,
        book: GrantBook,
        hub_key: Callable[[], PublicKey],
        ledger: Callable[[], LedgerMirror | None],
    ) -> None:
        """Look keys up in ``book`` (live), skipping ``hub_key()``, checked in ``ledger()``."""
        self._book = book
        self._hub_key = hub_key
        self._ledger = ledger
        self.pinned: dict[bytes, PublicKey] = {}

    def __call__(self, kid: bytes) -> PublicKey | None:
        """The tenant key with this kid, if the hub vouches for it."""
        pinned = self.pinned.get(kid)
        if pinned is not None:
            return pinned
        hub_kid = self._hub_key().kid
        key = next(
            (
                held.signed.grant.holder_key
                for held in self._book
                if held.signed.grant.holder_key.kid == kid != hub_kid
            ),
            None,
        )
        mirror = self._ledger()
        if key is None or mirror is None:
            return key
        try:
            mirror.state.active_key(kid, _TENANT)
        except KeylogError:
            return None
        return key

    def pin(self, kid: bytes) -> None:
        """Keep trusting this key (it recorded a consent) after its grants end."""
        key = self(kid)
        if key is not None:
            self.pinned.setdefault(kid, key)

    def user_holds(self, user: str, kid: bytes) -> bool:
        """Whether a grant the hub holds for Home Assistant ``user`` has this holder key."""
        return any(
            held.user == user and held.signed.grant.holder_key.kid == kid for held in self._book
        )
