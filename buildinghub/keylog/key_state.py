"""The state of every key, from replaying the ledger in order (SPEC K1, K6, R1-R3).

Per key id: its role, owner hash, public name (subject), status (active, rotated, revoked)
and the entry index and time of each change. Applying an entry checks it against the state
first and changes nothing if it is refused (EntryRefused): registering a known key, rotating
a key that is not active or without the old key's signature, revoking twice, a listing,
installation or identity check that does not verify against the keys in the ledger, a flat
listed by a second landlord.
"""

from dataclasses import dataclass, replace
from enum import StrEnum

from buildinghub.credentials.errors import BadSignature
from buildinghub.credentials.keys import PublicKey

from .entries import (
    Entry,
    KeyRegistration,
    KeyRevocation,
    KeyRotation,
    RecordKind,
    Role,
    SignedRecord,
    rotation_message,
)
from .errors import EntryRefused, KeyNotActive, NotAuthentic, UnknownKey
from .records import (
    ListingRecord,
    verify_identity_check,
    verify_installation_record,
    verify_listing,
)


class KeyStatus(StrEnum):
    """Where a key is in its life."""

    ACTIVE = "active"
    ROTATED = "rotated"
    REVOKED = "revoked"


@dataclass(frozen=True, slots=True)
class KeyRecord:
    """What the ledger says about one key."""

    kid: bytes
    key: PublicKey
    role: Role
    owner: bytes
    subject: str
    status: KeyStatus
    registered_index: int
    registered_at: int
    changed_index: int | None = None
    changed_at: int | None = None
    replaced_by: bytes | None = None


class KeyState:
    """Every key's record, built by applying the ledger's entries in order."""

    __slots__ = ("_entries_by_kid", "_keys", "_kids_by_owner", "_listings")

    def __init__(self) -> None:
        """The state of the empty ledger."""
        self._keys: dict[bytes, KeyRecord] = {}
        self._entries_by_kid: dict[bytes, list[int]] = {}
        self._kids_by_owner: dict[bytes, list[bytes]] = {}
        self._listings: dict[str, tuple[int, ListingRecord]] = {}

    def key(self, kid: bytes) -> KeyRecord | None:
        """The record of the key with this kid, whatever its status."""
        return self._keys.get(kid)

    def entries_of(self, kid: bytes) -> tuple[int, ...]:
        """The indexes of the entries that registered, rotated or revoked this key."""
        return tuple(self._entries_by_kid.get(kid, ()))

    def keys_of_owner(self, owner: bytes) -> tuple[KeyRecord, ...]:
        """Every key registered for this owner hash (e.g. a tenant's identity lookup hash)."""
        return tuple(self._keys[kid] for kid in self._kids_by_owner.get(owner, ()))

    def listing(self, flat: str) -> tuple[int, ListingRecord] | None:
        """The entry index and record of the listing of a flat or bay, if published."""
        return self._listings.get(flat)

    def active_key(self, kid: bytes, roles: frozenset[Role]) -> KeyRecord:
        """The record of an active key of one of roles; UnknownKey or KeyNotActive otherwise."""
        record = self._keys.get(kid)
        if record is None:
            raise UnknownKey(f"the ledger has no key {kid.hex()}")
        if record.status is not KeyStatus.ACTIVE:
            raise KeyNotActive(
                f"key {kid.hex()} was {record.status.value} at {record.changed_at} "
                f"(entry {record.changed_index})"
            )
        if record.role not in roles:
            raise KeyNotActive(
                f"key {kid.hex()} is a {record.role.value} key, not "
                f"{' or '.join(sorted(role.value for role in roles))}"
            )
        return record

    def signer(self, kid: bytes, roles: frozenset[Role]) -> tuple[PublicKey, str]:
        """The active key with this kid and one of roles, and its subject (records.py)."""
        record = self.active_key(kid, roles)
        return record.key, record.subject

    def apply(self, index: int, entry: Entry) -> None:
        """Apply entry ``index``; EntryRefused (and no change) if the state does not allow it."""
        match entry:
            case KeyRegistration():
                self._register(index, entry)
            case KeyRotation():
                self._rotate(index, entry)
            case KeyRevocation():
                self._revoke(index, entry)
            case SignedRecord():
                self._record(index, entry)

    def _register(self, index: int, entry: KeyRegistration) -> None:
        kid = entry.key.kid
        if kid in self._keys:
            raise EntryRefused(f"key {kid.hex()} is already registered")
        self._add(KeyRecord(kid, entry.key, entry.role, entry.owner, entry.subject,
                            KeyStatus.ACTIVE, index, entry.at))  # fmt: skip

    def _rotate(self, index: int, entry: KeyRotation) -> None:
        try:
            old = self.active_key(entry.old, frozenset(Role))
        except (UnknownKey, KeyNotActive) as err:
            raise EntryRefused(f"cannot rotate: {err}") from None
        new_kid = entry.key.kid
        if new_kid in self._keys:
            raise EntryRefused(f"cannot rotate to key {new_kid.hex()}: it is already registered")
        try:
            old.key.verify(entry.proof, rotation_message(entry.old, entry.key, entry.at))
        except BadSignature:
            raise EntryRefused(
                f"the rotation of key {entry.old.hex()} is not signed by that key"
            ) from None
        self._keys[old.kid] = replace(
            old, status=KeyStatus.ROTATED, changed_index=index, changed_at=entry.at,
            replaced_by=new_kid,
        )  # fmt: skip
        self._entries_by_kid[old.kid].append(index)
        self._add(KeyRecord(new_kid, entry.key, old.role, old.owner, old.subject,
                            KeyStatus.ACTIVE, index, entry.at))  # fmt: skip

    def _revoke(self, index: int, entry: KeyRevocation) -> None:
        record = self._keys.get(entry.kid)
        if record is None:
            raise EntryRefused(f"cannot revoke key {entry.kid.hex()}: it is not registered")
        if record.status is KeyStatus.REVOKED:
            raise EntryRefused(f"key {entry.kid.hex()} is already revoked")
        self._keys[entry.kid] = replace(
            record, status=KeyStatus.REVOKED, changed_index=index, changed_at=entry.at
        )
        self._entries_by_kid[entry.kid].append(index)

    def _record(self, index: int, entry: SignedRecord) -> None:
        try:
            match entry.kind:
                case RecordKind.LISTING:
                    listing = verify_listing(entry.record, self)
                    published = self._listings.get(listing.flat)
                    if published is not None and published[1].landlord != listing.landlord:
                        raise EntryRefused(
                            f"{listing.flat!r} is already listed by {published[1].landlord!r} "
                            f"(entry {published[0]}): a second landlord's listing is a duplicate"
                        )
                    self._listings[listing.flat] = (index, listing)
                case RecordKind.INSTALLATION:
                    verify_installation_record(entry.record, self)
                case RecordKind.IDENTITY:
                    check = verify_identity_check(entry.record, self)
                    tenant = self.active_key(check.tenant_key, frozenset({Role.TENANT}))
                    if tenant.owner != check.tenant:
                        raise EntryRefused("the identity check is for another tenant's key")
        except (NotAuthentic, UnknownKey, KeyNotActive) as err:
            raise EntryRefused(f"the {entry.kind.value} record is refused: {err}") from None

    def _add(self, record: KeyRecord) -> None:
        self._keys[record.kid] = record
        self._entries_by_kid.setdefault(record.kid, []).append(record.registered_index)
        self._kids_by_owner.setdefault(record.owner, []).append(record.kid)
