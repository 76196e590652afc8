"""The hub's book of parking e-keys and the shares below them.

The hub verifies every chain itself (against the bay owner's key from the lock's
installation record) before it hands the links to the lock, which verifies them again and
keeps its own count. The hub keeps a ledger too, so a key that is used up, frozen or
transferred away is refused before anything goes on air, and decides which Home Assistant
user may use which key: only the user it was added for, and only if the key's holder
(cnf) is that user's own key, so an e-key copied to another user opens nothing.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from buildinghub.credentials import (
    Clock,
    CredentialError,
    GrantRevoked,
    PublicKey,
    WrongAudience,
    decode_grant,
)
from buildinghub.credentials.delegation import Chain, verify_chain
from buildinghub.credentials.installation import InstallationRecord
from buildinghub.credentials.lock_command import chain_authorities
from buildinghub.credentials.use_ledger import UseLedger

from .grant_book import GrantBook, TrustedLock


class HolderMismatch(CredentialError):
    """The key is bound to someone else's key: a copied e-key."""

    reason = "holder_mismatch"


@dataclass(frozen=True, slots=True, kw_only=True)
class HeldKey:
    """A verified chain the hub holds for one bay, and the HA user it was added for."""

    chain: Chain
    bay: str
    user: str | None

    @property
    def grant_id(self) -> bytes:
        """The id of the chain's last link: the key its holder uses."""
        return self.chain.leaf.grant.grant_id


class EKeyBook:
    """Chains by the id of their last link, the bays they open, and their ledger."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._trust = GrantBook(clock)
        self._keys: dict[bytes, HeldKey] = {}
        self.ledger = UseLedger(clock)

    def trust_bay(self, ieee: str, installation: InstallationRecord) -> None:
        """Accept e-keys for this bay from the owner its installation record names."""
        self._trust.trust_lock(ieee, installation)

    def verify(self, links: Sequence[bytes]) -> tuple[TrustedLock, Chain]:
        """Verify an e-key and its shares for one of our bays; raises a CredentialError."""
        if not links:
            raise WrongAudience("no e-key given")
        audience = decode_grant(links[0]).grant.audience
        lock = self._trust.lock_for_audience(audience)
        if lock is None:
            raise WrongAudience(f"no bay on this hub is called {audience!r}")
        return lock, verify_chain(lock.verifier, links, upcoming=True)

    def add(self, chain: Chain, bay: str, user: str | None, holder: PublicKey | None) -> HeldKey:
        """Keep a verified chain for ``user``, whose own key must be the chain's holder."""
        leaf = chain.leaf.grant
        if holder is not None:
            self.check_holder(chain, holder)
        if self._trust.is_revoked(leaf.grant_id):
            raise GrantRevoked("this key was revoked or given back")
        self.ledger.register(chain)
        held = HeldKey(chain=chain, bay=bay, user=user)
        self._keys[held.grant_id] = held
        return held

    @staticmethod
    def check_holder(chain: Chain, holder: PublicKey) -> None:
        """HolderMismatch unless the chain's last link is bound to ``holder``."""
        leaf = chain.leaf.grant
        if leaf.holder_key != holder:
            raise HolderMismatch(
                f"grant {leaf.grant_id.hex()} is bound to key {leaf.holder_key.kid.hex()}, not "
                f"to this user's key {holder.kid.hex()}: an e-key only works for its holder"
            )

    def get(self, grant_id: bytes) -> HeldKey | None:
        """The key whose last link has this id."""
        return self._keys.get(grant_id)

    def for_bay(self, bay: str) -> list[HeldKey]:
        """Every key held for one bay, shortest chain first (so parents go to the lock first)."""
        return sorted(
            (k for k in self._keys.values() if k.bay == bay), key=lambda k: len(k.chain.links)
        )

    def for_user(self, bay: str, user: str | None, holder: PublicKey) -> list[HeldKey]:
        """The keys ``user`` holds for a bay with their own key."""
        return [
            k
            for k in self.for_bay(bay)
            if user is not None and k.user == user and k.chain.leaf.grant.holder_key == holder
        ]

    def holders(self, bay: str) -> frozenset[str]:
        """The users who hold a key for this bay whose window includes now (frozen or not:
        a frozen member still has the bay, only not its lock, until the manager removes them)."""
        now = self._clock.now()
        return frozenset(
            k.user
            for k in self.for_bay(bay)
            if k.user is not None
            and k.chain.leaf.grant.not_before <= now < k.chain.leaf.grant.expires
        )

    def next_holders_change(self) -> int | None:
        """When, by the clock alone, some bay's holders next change (a key starts or ends)."""
        now = self._clock.now()
        times = [
            moment
            for k in self._keys.values()
            if k.user is not None
            for moment in (k.chain.leaf.grant.not_before, k.chain.leaf.grant.expires)
            if moment > now
        ]
        return min(times, default=None)

    def usable(self, bay: str, user: str | None, holder: PublicKey) -> HeldKey | None:
        """A key this user may open the bay with now; raises why if all they hold are refused."""
        refusal: CredentialError | None = None
        lock = self._trust.lock(bay)
        for held in self.for_user(bay, user, holder):
            try:
                assert lock is not None
                for link in held.chain.links:
                    lock.verifier.verify_not_revoked(link.grant)
                lock.verifier.verify_window(held.chain.leaf.grant)
                self.ledger.check(held.chain)
            except CredentialError as err:
                refusal = refusal or err
                continue
            return held
        if refusal is not None:
            raise refusal
        return None

    def record_use(self, held: HeldKey, counter: int) -> None:
        """Count an unlock the lock accepted."""
        self.ledger.record_use(held.chain, counter)

    def revoke(self, grant_id: bytes) -> list[HeldKey]:
        """Remove a member: its key and every share below it; a transfer returns to its sharer.

        RevocationsFull (and nothing changes) when the hub's revocation memory is full.
        """
        self._trust.check_revocable(grant_id)
        removed = [k for k in self._keys.values() if grant_id in k.chain.grant_ids()]
        for held in removed:
            del self._keys[held.grant_id]
        self._trust.revoke(grant_id)
        self.ledger.release(grant_id)
        return removed

    def revocation_end(self, grant_id: bytes) -> int | None:
        """The end of the link ``grant_id`` (None: the hub does not hold it)."""
        for held in self._keys.values():
            for link in held.chain.links:
                if link.grant.grant_id == grant_id:
                    return link.grant.expires
        return None

    def command_holders(self, grant_id: bytes) -> list[PublicKey]:
        """Keys besides the owner's that may revoke this link (lock_command.chain_authorities)."""
        return chain_authorities((held.chain for held in self._keys.values()), grant_id)

    def purge_expired(self) -> list[HeldKey]:
        """Drop expired keys and their ledger entries."""
        now = self._clock.now()
        expired = [k for k in self._keys.values() if k.chain.leaf.grant.expires <= now]
        for held in expired:
            del self._keys[held.grant_id]
        self._trust.purge_expired()
        self.ledger.purge_expired()
        return expired

    def to_json(self) -> dict[str, Any]:
        """What the hub stores: signed bytes, who they are for, and the ledger."""
        return {
            "keys": [
                {
                    "links": [base64.b64encode(link.encoded).decode() for link in k.chain.links],
                    "bay": k.bay,
                    "user": k.user,
                }
                for k in self._keys.values()
            ],
            "revocations": self._trust.to_json()["revoked"],
            "ledger": self.ledger.to_json(),
        }

    def load_json(self, data: dict[str, Any]) -> None:
        """Restore what :meth:`to_json` wrote (the chains were verified when added)."""
        self._trust.load_json({"revoked": data.get("revocations", {})})
        self.ledger.load_json(data.get("ledger", {}))
        for item in data.get("keys", []):
            links = tuple(decode_grant(base64.b64decode(link)) for link in item["links"])
            held = HeldKey(chain=Chain(links), bay=str(item["bay"]), user=item.get("user"))
            self._keys[held.grant_id] = held
