"""Replaying the ledger: each key's role, owner, status and when, and what the log refuses."""

import pytest

from buildinghub.credentials import SigningKey
from buildinghub.keylog.checkpoint import parse_checkpoint
from buildinghub.keylog.entries import KeyRegistration, KeyRevocation, KeyRotation, Role, rotate_key
from buildinghub.keylog.errors import EntryRefused, KeyNotActive, UnknownKey
from buildinghub.keylog.identity import identity_lookup_hash
from buildinghub.keylog.key_state import KeyStatus
from buildinghub.keylog.proof import leaf_hash, verify_inclusion

from .conftest import BUILDING, NOW, SALT, Ledger


def test_registration_rotation_and_revocation_are_replayed(ledger: Ledger) -> None:
    tenant = ledger.register("tenant", Role.TENANT)
    new_key = SigningKey.generate()
    ledger.log.append(rotate_key(tenant, new_key.public_key, NOW + 10, building=BUILDING))
    ledger.log.append(
        KeyRevocation(new_key.public_key.kid, NOW + 20, "phone lost", building=BUILDING)
    )
    state = ledger.log.state

    old = state.key(tenant.public_key.kid)
    new = state.key(new_key.public_key.kid)
    assert old is not None
    assert new is not None
    assert (old.status, old.changed_at, old.replaced_by) == (
        KeyStatus.ROTATED,
        NOW + 10,
        new_key.public_key.kid,
    )
    assert (new.status, new.role, new.owner, new.changed_index) == (
        KeyStatus.REVOKED,
        Role.TENANT,
        old.owner,
        2,
    )
    assert state.entries_of(new_key.public_key.kid) == (1, 2)


def test_a_tenant_is_found_by_the_salted_hash_of_their_identity_number(ledger: Ledger) -> None:
    key = SigningKey.generate()
    owner = identity_lookup_hash(SALT, "X9876543")
    ledger.log.append(
        KeyRegistration(Role.TENANT, key.public_key, owner, "tenant-9", NOW, building=BUILDING)
    )
    ledger.check_identity(key)

    proven = ledger.log.lookup_owner(identity_lookup_hash(SALT, "x 987 6543"))

    assert [item.index for item in proven] == [0, 2]  # registered, then bound by the check
    assert ledger.log.state.keys_of_owner(owner)[0].key == key.public_key
    assert ledger.log.state.tenant_key(owner) == ledger.log.state.key(key.public_key.kid)


def test_a_tenants_own_claim_to_an_identity_hash_is_not_found_until_a_station_checks_it(
    ledger: Ledger,
) -> None:
    key = SigningKey.generate()
    owner = identity_lookup_hash(SALT, "X9876543")
    ledger.log.append(
        KeyRegistration(Role.TENANT, key.public_key, owner, "tenant-9", NOW, building=BUILDING)
    )

    assert ledger.log.lookup_owner(owner) == ()
    assert ledger.log.state.tenant_key(owner) is None


def test_lookups_come_with_inclusion_proofs(ledger: Ledger) -> None:
    for n in range(5):
        ledger.register(f"lock-{n}", Role.LOCK)
    lock = ledger.keys["lock-3"]

    (proven,) = ledger.log.lookup_key(lock.public_key.kid)

    checkpoint = parse_checkpoint(ledger.log.checkpoint().text)
    assert proven.tree_size == checkpoint.size == 5
    verify_inclusion(proven.index, 5, leaf_hash(proven.data), proven.proof, checkpoint.root)


def test_registering_a_key_twice_is_refused(ledger: Ledger) -> None:
    key = ledger.register("landlord", Role.LANDLORD)

    with pytest.raises(EntryRefused, match="already registered"):
        ledger.log.append(
            KeyRegistration(
                Role.LANDLORD, key.public_key, bytes(32), "again", NOW, building=BUILDING
            )
        )
    assert ledger.log.size == 1


def test_a_rotation_not_signed_by_the_old_key_is_refused(ledger: Ledger) -> None:
    key = ledger.register("landlord", Role.LANDLORD)
    thief = SigningKey.generate()
    forged = rotate_key(thief, thief.public_key, NOW, building=BUILDING)

    with pytest.raises(EntryRefused, match="not signed by that key"):
        ledger.log.append(
            KeyRotation(key.public_key.kid, thief.public_key, NOW, forged.proof, building=BUILDING)
        )
    assert ledger.log.size == 1


def test_revoked_keys_cannot_be_rotated_or_revoked_again(ledger: Ledger) -> None:
    key = ledger.register("landlord", Role.LANDLORD)
    ledger.log.append(
        KeyRevocation(key.public_key.kid, NOW, "left the building", building=BUILDING)
    )

    with pytest.raises(EntryRefused, match="revoked"):
        ledger.log.append(rotate_key(key, SigningKey.generate().public_key, NOW, building=BUILDING))
    with pytest.raises(EntryRefused, match="already revoked"):
        ledger.log.append(KeyRevocation(key.public_key.kid, NOW, "again", building=BUILDING))
    with pytest.raises(KeyNotActive, match="revoked"):
        ledger.log.state.active_key(key.public_key.kid, frozenset({Role.LANDLORD}))


def test_active_key_checks_the_role(ledger: Ledger) -> None:
    lock = ledger.register("lock", Role.LOCK)

    with pytest.raises(KeyNotActive, match="lock key, not landlord"):
        ledger.log.state.active_key(lock.public_key.kid, frozenset({Role.LANDLORD}))
    with pytest.raises(UnknownKey):
        ledger.log.state.active_key(bytes(16), frozenset(Role))
