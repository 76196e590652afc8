"""Reference firmware of a Building Hub parking lock: what a real bay lock must do.

Like the door lock it trusts the one bay owner's key from its signed installation record,
and opens only for a fresh proof of possession by the holder key of a grant it stores. What
it stores are e-keys and the shares below them (buildinghub.credentials.delegation): each
share is verified against the chain it extends, counted, frozen and transferred in the
lock's own ledger (use_ledger), which it keeps in flash so that a power cut resets nothing.
Its vehicle sensor tells whether a car stands in the bay.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from buildinghub.credentials import (
    CredentialError,
    GrantKind,
    MalformedGrant,
    PublicKey,
    decode_grant,
    verify_proof,
)
from buildinghub.credentials.delegation import Chain, verify_root, verify_share
from buildinghub.credentials.lock_command import CommandAction, chain_authorities, decode_command
from buildinghub.credentials.lock_storage import StoragePlan, check_share_room
from buildinghub.credentials.use_ledger import UnknownMember, UseLedger
from buildinghub.devices.door_lock_protocol import (
    UNLOCK_OPERATION,
    AccessEvent,
    AccessMethod,
    ProtocolError,
    UnlockRequest,
)

from .door_lock_firmware import DoorLockFirmware, LockRefusal, StoredGrant


class ParkingLockFirmware(DoorLockFirmware):
    """The decisions of one parking bay's lock (a barrier that the DoorLock cluster drives)."""

    def __init__(self, lock_id: str, **kwargs: Any) -> None:
        super().__init__(lock_id, **kwargs)
        self.chains: dict[bytes, Chain] = {}
        self.storage = StoragePlan(capacity=self.max_grants)
        self.ledger = UseLedger(self.clock)
        self.occupied = False
        self._by_digest: dict[bytes, bytes] = {}
        self._occupancy_listeners: list[Callable[[bool], None]] = []

    # -- keys ------------------------------------------------------------------------------

    def apply_grant(self, data: bytes) -> StoredGrant:
        """Verify an e-key, or a share of a chain already stored, and keep it."""
        verifier = self._require_installed()
        kind = decode_grant(data).grant.kind
        if kind is GrantKind.EKEY:
            chain = verify_root(verifier, data, upcoming=True)
        elif kind is GrantKind.SHARE:
            parent_digest = decode_grant(data).grant.parent
            parent_id = self._by_digest.get(parent_digest or b"")
            if parent_id is None:
                raise LockRefusal(
                    "unknown_grant", "the grant this share comes from is not on this lock"
                )
            chain = verify_share(verifier, self.chains[parent_id], data, upcoming=True)
        else:
            raise LockRefusal("unsupported", f"a parking lock does not take {kind} grants")
        signed = chain.leaf
        grant_id = signed.grant.grant_id
        existing = self.grants.get(grant_id)
        if existing is not None:
            if existing.signed.encoded == signed.encoded:
                return existing  # resent after a lost answer: counts stay as they are
            raise MalformedGrant("another grant with this id is already stored")
        check_share_room(self.storage, self.chains.values(), chain)
        if len(self.grants) >= self.max_grants:
            raise LockRefusal("storage_full", "the lock has no free grant slot; purge or revoke")
        self.ledger.register(chain)
        stored = StoredGrant(signed=signed, pin_digest=None)
        self.grants[grant_id] = stored
        self.chains[grant_id] = chain
        self._by_digest[signed.digest] = grant_id
        return stored

    def revoke(self, data: bytes) -> None:
        """Drop a grant and every share below it; a transfer it received returns to its sharer.

        Signed by the owner, a manager the owner appointed, the grant's own holder (giving it
        back) or the sharer of a co-use share (lock_command).
        """
        grant_id = decode_command(data).grant_id
        super().revoke(data)
        for below in [gid for gid, chain in self.chains.items() if grant_id in chain.grant_ids()]:
            self._forget(below)
        self.ledger.release(grant_id)

    def command_holders(self, grant_id: bytes) -> list[PublicKey]:
        """The keys the chain down to ``grant_id`` gives a say over it (chain_authorities)."""
        return chain_authorities(self.chains.values(), grant_id)

    def set_frozen(self, data: bytes, frozen: bool) -> None:
        """The bay manager freezes or unfreezes a member (and so every share below it)."""
        action = CommandAction.FREEZE if frozen else CommandAction.UNFREEZE
        command = self.take_command(data, action)
        try:
            self.ledger.set_frozen(command.grant_id, frozen)
        except UnknownMember:
            raise LockRefusal("unknown_grant", "no such member on this lock") from None

    def purge_expired(self) -> int:
        """Remove expired keys; their counts go with them (an expired key never opens)."""
        now = self.clock.now()
        expired = [gid for gid, s in self.grants.items() if s.signed.grant.expires <= now]
        purged = super().purge_expired()
        for grant_id in expired:
            self._forget(grant_id)
        self.ledger.purge_expired()
        return purged

    def _forget(self, grant_id: bytes) -> None:
        chain = self.chains.pop(grant_id, None)
        self.grants.pop(grant_id, None)
        if chain is not None:
            self._by_digest.pop(chain.leaf.digest, None)

    # -- unlocking -------------------------------------------------------------------------

    def remote_unlock(self, data: bytes) -> AccessEvent:
        """A holder's proof of possession over our nonce, for the last link of a chain."""
        try:
            request = UnlockRequest.decode(data)
        except ProtocolError:
            return self._emit(AccessMethod.REMOTE, None, "malformed")
        chain = self.chains.get(request.grant_id)
        if chain is None:
            return self._emit(AccessMethod.REMOTE, request.grant_id, "unknown_grant")
        verifier = self._require_installed()
        leaf = chain.leaf
        try:
            self._challenges.consume(request.nonce)
            verify_proof(
                leaf.grant.holder_key,
                request.proof,
                nonce=request.nonce,
                verifier_id=self.lock_id,
                operation=UNLOCK_OPERATION,
                grant_digest=leaf.digest,
                counter=request.counter,
            )
            for link in chain.links:
                verifier.verify_not_revoked(link.grant)
            verifier.verify_window(leaf.grant, self.clock.now())
            self.ledger.record_use(chain, request.counter)
        except CredentialError as err:
            return self._emit(AccessMethod.REMOTE, leaf.grant.grant_id, err.reason)
        self.locked = False
        return self._emit(AccessMethod.REMOTE, leaf.grant.grant_id, "granted", granted=True)

    def uses_left(self, grant_id: bytes) -> int | None:
        """How many unlocks a stored key has left (None: no limit)."""
        chain = self.chains.get(grant_id)
        if chain is None:
            raise LockRefusal("unknown_grant", "no such grant on this lock")
        return self.ledger.uses_left(chain)

    # -- the vehicle sensor ----------------------------------------------------------------

    def vehicle_present(self, present: bool) -> None:
        """The sensor under the bay saw a car arrive (True) or leave (False)."""
        if present == self.occupied:
            return
        self.occupied = present
        for listener in list(self._occupancy_listeners):
            listener(present)

    def add_occupancy_listener(self, listener: Callable[[bool], None]) -> Callable[[], None]:
        """Be told when a car arrives or leaves."""
        self._occupancy_listeners.append(listener)
        return lambda: self._occupancy_listeners.remove(listener)

    # -- flash -----------------------------------------------------------------------------

    def flash(self) -> dict[str, Any]:
        """What the lock keeps across a power cut: its keys, in the order they came, and ledger."""
        order = sorted(self.chains.values(), key=lambda chain: len(chain.links))
        return {
            "keys": [chain.leaf.encoded.hex() for chain in order],
            "ledger": self.ledger.to_json(),
            "revoked": self._revoked.to_json(),
        }

    def restore(self, flash: dict[str, Any]) -> None:
        """Start from what :meth:`flash` saved (after installation, before any radio traffic)."""
        self._revoked.load_json(flash["revoked"])
        self.ledger.load_json(flash["ledger"])
        for encoded in flash["keys"]:
            try:
                self.apply_grant(bytes.fromhex(encoded))
            except CredentialError, LockRefusal:
                continue  # expired or frozen while the power was off: the ledger still has it
