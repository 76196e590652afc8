"""One interface for every kind of door lock Rental Lock manages (SPEC R15).

In the spirit of Lock Code Manager's providers: the hub speaks to a lock through
this protocol whatever the lock is. Two providers exist: our signed-grant lock
(:class:`~buildinghub.devices.door_lock.DoorLockClient`, which verifies every grant
itself) and a standard ZCL door lock
(:class:`~buildinghub.devices.standard_door_lock.StandardDoorLock`, for which the hub
is the last verifier and the lock enforces a PIN user's year-day schedule).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from buildinghub.credentials import SignedGrant, SigningKey

from .door_lock import LockStatus
from .door_lock_protocol import AccessEvent
from .pin_users import Guarantee


class LockProvider(Protocol):
    """What the hub needs of a door lock."""

    @property
    def ieee(self) -> str:
        """The lock's address on the building network."""
        ...

    @property
    def guarantee(self) -> Guarantee:
        """Who checks a credential at this door."""
        ...

    async def install_grant(self, signed: SignedGrant) -> None:
        """Bring a grant the hub verified to the lock (LockRefused when the lock says no)."""
        ...

    async def install_delegated_grant(self, delegation: bytes, signed: SignedGrant) -> None:
        """Bring a grant the hub issued under a landlord's booking delegation to the lock."""
        ...

    async def purge_expired(self) -> int:
        """Remove what expired; how many."""
        ...

    async def unlock(self, signed: SignedGrant, holder_key: SigningKey) -> None:
        """Open the door for a grant whose holder key the hub keeps."""
        ...

    async def lock(self) -> None:
        """Bolt the door."""
        ...

    async def read_status(self) -> LockStatus:
        """The bolt, the battery, the lock's clock."""
        ...

    def add_access_listener(self, callback: Callable[[AccessEvent], None]) -> Callable[[], None]:
        """Be told of every attempt at the door."""
        ...

    def add_bolt_listener(self, callback: Callable[[bool], None]) -> Callable[[], None]:
        """Be told whenever the bolt moves (True: locked)."""
        ...
