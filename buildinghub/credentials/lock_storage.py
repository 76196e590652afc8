"""How a bay lock's grant slots are shared fairly between its owner and its members (S5).

E-keys come from the bay's owner and may use every slot. Shares come from members, and one
member must not fill the lock for everyone: the shares below one e-key, the shares one member
signs, and all shares together each have a limit below the lock's capacity, so the last
slots stay for the owner's own e-keys. A share over a limit is refused with ShareLimit before
the lock is full; an e-key is refused only when the lock is full (a lock's own storage_full).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .delegation import Chain
from .errors import ShareLimit


@dataclass(frozen=True, slots=True, kw_only=True)
class StoragePlan:
    """Limits for a lock with ``capacity`` grant slots."""

    capacity: int
    reserved: int = 4
    per_key: int = 8
    per_member: int = 8

    def __post_init__(self) -> None:
        """Every limit is below what the shares may hold together."""
        if not 0 < self.per_key <= self.capacity - self.reserved:
            raise ValueError("per_key must be positive and leave the reserved slots free")
        if not 0 < self.per_member <= self.capacity - self.reserved:
            raise ValueError("per_member must be positive and leave the reserved slots free")


def check_share_room(plan: StoragePlan, stored: Iterable[Chain], new: Chain) -> None:
    """ShareLimit if storing ``new`` (a share: more than one link) breaks a limit of ``plan``.

    ``stored`` is every chain the lock holds now. An e-key (one link) is not limited here.
    """
    if len(new.links) < 2:
        return
    shares = [chain for chain in stored if len(chain.links) > 1]
    if len(shares) >= plan.capacity - plan.reserved:
        raise ShareLimit(
            f"shares already hold {len(shares)} of this lock's {plan.capacity} slots; the "
            f"last {plan.reserved} are kept for the owner's e-keys"
        )
    root = new.root.grant.grant_id
    signer = new.leaf.kid
    below_key = sum(1 for chain in shares if chain.root.grant.grant_id == root)
    if below_key >= plan.per_key:
        raise ShareLimit(
            f"e-key {root.hex()} already has {below_key} shares on this lock, the most one "
            f"e-key may have: give back or remove one first"
        )
    by_member = sum(1 for chain in shares if chain.leaf.kid == signer)
    if by_member >= plan.per_member:
        raise ShareLimit(
            f"key {signer.hex()} already signed {by_member} shares on this lock, the most one "
            f"member may: give back or remove one first"
        )
