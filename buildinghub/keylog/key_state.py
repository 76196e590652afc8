"""The state of every key, from replaying the ledger in order (SPEC K1, K6, R1-R3, S2).

Per key id: its role, owner hash, public name (subject), building, status (active, rotated,
revoked), the entry index and time of each change, and for a tenant the identity check that
bound it. Applying an entry checks it against the state first and changes nothing if it is
refused (EntryRefused or one of its specific kinds):

- registering a known key; a second active key of a role's subject in a building
  (SubjectTaken: tenants are not scoped by subject but by identity, below);
- rotating a key that is not active, without the old key's signature, or naming another
  building than the key's (WrongBuilding); revoking twice, or under another building;
- a listing, installation or identity check that does not verify against the keys in the
  ledger; an installation whose landlord and lock keys are of different buildings;
- a listing of a flat its building already has listed by another landlord key: only the key
  that published it (or the key it was rotated to) replaces it, or, once that key is revoked,
  the building's active landlord key of the same name (NotListingOwner);
- an identity check by a station of another building than the tenant key's, for a key bound
  already, or for an identity hash another active key is bound to (IdentityTaken).
"""

from dataclasses import dataclass, replace

from buildinghub.credentials.errors import BadSignature
from buildinghub.credentials.installation import InstallationRecord

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
from .errors import (
    EntryRefused,
    IdentityTaken,
    KeyNotActive,
    NotAuthentic,
    NotListingOwner,
    SubjectTaken,
    UnknownKey,
    WrongBuilding,
)
from .key_record import KeyRecord, KeyStatus
from .records import ListingRecord, open_identity_check, open_installation, open_listing

__all__ = ["KeyRecord", "KeyState", "KeyStatus", "PublishedListing"]


@dataclass(frozen=True, slots=True)
class PublishedListing:
    """The listing of a flat as published: its entry, the record and the key that signed it."""

    index: int
    record: ListingRecord
    kid: bytes


class KeyState:
    """Every key's record, built by applying the ledger's entries in order."""

    __slots__ = (
        "_bound_identities",
        "_entries_by_kid",
        "_installations",
        "_keys",
        "_kids_by_owner",
        "_listings",
        "_subjects",
    )

    def __init__(self) -> None:
        """The state of the empty ledger."""
        self._keys: dict[bytes, KeyRecord] = {}
        self._entries_by_kid: dict[bytes, list[int]] = {}
        self._kids_by_owner: dict[bytes, list[bytes]] = {}
        self._listings: dict[tuple[str, str], PublishedListing] = {}
        self._installations: dict[tuple[str, str], tuple[int, InstallationRecord]] = {}
        # The one active key of each (building, role, subject), tenants aside.
        self._subjects: dict[tuple[str, Role, str], bytes] = {}
        # The one active tenant key an identity check bound to each owner hash.
        self._bound_identities: dict[bytes, bytes] = {}

    def key(self, kid: bytes) -> KeyRecord | None:
        """The record of the key with this kid, whatever its status."""
        return self._keys.get(kid)

    def entries_of(self, kid: bytes) -> tuple[int, ...]:
        """The indexes of the entries that registered, rotated, revoked or bound this key."""
        return tuple(self._entries_by_kid.get(kid, ()))

    def keys_of_owner(self, owner: bytes) -> tuple[KeyRecord, ...]:
        """Every key someone vouched for under this owner hash (a tenant's identity lookup hash:
        only keys an identity check bound; a tenant's own claim is not an answer)."""
        found = (self._keys[kid] for kid in self._kids_by_owner.get(owner, ()))
        return tuple(record for record in found if record.vouched)

    def tenant_key(self, owner: bytes) -> KeyRecord | None:
        """The active tenant key bound to this identity hash, if any."""
        kid = self._bound_identities.get(owner)
        return None if kid is None else self._keys[kid]

    def subject_key(self, building: str, role: Role, subject: str) -> KeyRecord | None:
        """The active key of a role's subject in a building (not for tenants), if any."""
        kid = self._subjects.get((building, role, subject))
        return None if kid is None else self._keys[kid]

    def listing(self, building: str, flat: str) -> PublishedListing | None:
        """The published listing of a flat or bay of a building, if any."""
        return self._listings.get((building, flat))

    def installation(self, building: str, lock_id: str) -> tuple[int, InstallationRecord] | None:
        """The entry index and the latest published installation record of a building's lock."""
        return self._installations.get((building, lock_id))

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
        if entry.role is not Role.TENANT:
            taken = self.subject_key(entry.building, entry.role, entry.subject)
            if taken is not None:
                raise SubjectTaken(
                    f"{entry.building!r} already has an active {entry.role.value} key for "
                    f"{entry.subject!r} ({taken.kid.hex()}): rotate or revoke it first"
                )
        self._add(KeyRecord(kid, entry.key, entry.role, entry.owner, entry.subject,
                            entry.building, KeyStatus.ACTIVE, index, entry.at))  # fmt: skip

    def _rotate(self, index: int, entry: KeyRotation) -> None:
        try:
            old = self.active_key(entry.old, frozenset(Role))
        except (UnknownKey, KeyNotActive) as err:
            raise EntryRefused(f"cannot rotate: {err}") from None
        _same_building(old, entry.building, "rotation")
        new_kid = entry.key.kid
        if new_kid in self._keys:
            raise EntryRefused(f"cannot rotate to key {new_kid.hex()}: it is already registered")
        try:
            old.key.verify(entry.proof, rotation_message(entry.old, entry.key, entry.at))
        except BadSignature:
            raise EntryRefused(
                f"the rotation of key {entry.old.hex()} is not signed by that key"
            ) from None
        self._retire(replace(
            old, status=KeyStatus.ROTATED, changed_index=index, changed_at=entry.at,
            replaced_by=new_kid,
        ))  # fmt: skip
        self._entries_by_kid[old.kid].append(index)
        # The new key takes the old one's place: name, building and identity binding.
        self._add(KeyRecord(new_kid, entry.key, old.role, old.owner, old.subject, old.building,
                            KeyStatus.ACTIVE, index, entry.at,
                            identity_check=old.identity_check))  # fmt: skip

    def _revoke(self, index: int, entry: KeyRevocation) -> None:
        record = self._keys.get(entry.kid)
        if record is None:
            raise EntryRefused(f"cannot revoke key {entry.kid.hex()}: it is not registered")
        if record.status is KeyStatus.REVOKED:
            raise EntryRefused(f"key {entry.kid.hex()} is already revoked")
        _same_building(record, entry.building, "revocation")
        self._retire(
            replace(record, status=KeyStatus.REVOKED, changed_index=index, changed_at=entry.at)
        )
        self._entries_by_kid[entry.kid].append(index)

    def _record(self, index: int, entry: SignedRecord) -> None:
        try:
            match entry.kind:
                case RecordKind.LISTING:
                    self._list(index, entry.record)
                case RecordKind.INSTALLATION:
                    record, building = open_installation(entry.record, self)
                    self._installations[(building, record.lock_id)] = (index, record)
                case RecordKind.IDENTITY:
                    self._bind_identity(index, entry.record)
        except (NotAuthentic, UnknownKey, KeyNotActive) as err:
            raise EntryRefused(f"the {entry.kind.value} record is refused: {err}") from None

    def _list(self, index: int, data: bytes) -> None:
        listing, signer = open_listing(data, self)
        place = (signer.building, listing.flat)
        published = self._listings.get(place)
        if published is not None and not self._may_replace(published, signer):
            raise NotListingOwner(
                f"{listing.flat!r} of {signer.building!r} is listed by key "
                f"{published.kid.hex()} ({published.record.landlord!r}, entry "
                f"{published.index}): only that landlord key replaces its listing"
            )
        self._listings[place] = PublishedListing(index, listing, signer.kid)

    def _may_replace(self, published: PublishedListing, signer: KeyRecord) -> bool:
        # The publishing key, or the key it was rotated to; once that line of keys is revoked,
        # the building's landlord key of the same name (its hub vouched for it).
        current = self._keys[published.kid]
        while current.replaced_by is not None:
            current = self._keys[current.replaced_by]
        if current.kid == signer.kid:
            return True
        return current.status is KeyStatus.REVOKED and current.subject == signer.subject

    def _bind_identity(self, index: int, data: bytes) -> None:
        check, station = open_identity_check(data, self)
        tenant = self.active_key(check.tenant_key, frozenset({Role.TENANT}))
        if tenant.owner != check.tenant:
            raise EntryRefused("the identity check is for another tenant's key")
        _same_building(tenant, station.building, "identity check")
        if tenant.identity_check is not None:
            raise EntryRefused(
                f"key {tenant.kid.hex()} was bound to its identity by entry "
                f"{tenant.identity_check} already"
            )
        bound = self.tenant_key(check.tenant)
        if bound is not None:
            raise IdentityTaken(
                f"this identity is bound to the active tenant key {bound.kid.hex()}: the tenant "
                f"rotates it (or it is revoked) before another key is bound"
            )
        self._keys[tenant.kid] = replace(tenant, identity_check=index)
        self._entries_by_kid[tenant.kid].append(index)
        self._bound_identities[tenant.owner] = tenant.kid

    def _add(self, record: KeyRecord) -> None:
        self._keys[record.kid] = record
        self._entries_by_kid.setdefault(record.kid, []).append(record.registered_index)
        self._kids_by_owner.setdefault(record.owner, []).append(record.kid)
        if record.role is not Role.TENANT:
            self._subjects[(record.building, record.role, record.subject)] = record.kid
        elif record.identity_check is not None:
            self._bound_identities[record.owner] = record.kid

    def _retire(self, record: KeyRecord) -> None:
        # The key stops being its subject's or its identity's active key.
        self._keys[record.kid] = record
        self._subjects.pop((record.building, record.role, record.subject), None)
        if self._bound_identities.get(record.owner) == record.kid:
            del self._bound_identities[record.owner]


def _same_building(record: KeyRecord, building: str, what: str) -> None:
    if record.building != building:
        raise WrongBuilding(
            f"the {what} names {building!r}, but key {record.kid.hex()} is of "
            f"{record.building!r}: each building changes only its own keys"
        )
