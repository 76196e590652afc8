"""The hub's grant book: which lock a grant is for, who may use it, what is revoked."""

from __future__ import annotations

import base64
import json
import os
from dataclasses import replace
from typing import Any

import pytest

from buildinghub.credentials import (
    BadSignature,
    Grant,
    GrantExpired,
    GrantKind,
    GrantRevoked,
    RevocationsFull,
    SignedGrant,
    SigningKey,
    UnknownIssuer,
    WrongAudience,
    issue_grant,
)
from buildinghub.credentials.installation import InstallationRecord
from buildinghub.credentials.sealing import SealingKey, seal_pin
from buildinghub.devices import grant_book
from buildinghub.devices.grant_book import GrantBook, HeldGrant, LockIdTaken

NOW = 1_767_225_600  # 2026-01-01T00:00:00Z
HOUR = 3600
DAY = 24 * HOUR
LOCK_A, LOCK_B = "00:1b:b0:00:00:00:00:01", "00:1b:b0:00:00:00:00:02"
TENANT = "ha-user-tenant"


class Clock:
    """The hub's clock, set by the test."""

    def __init__(self, now: int) -> None:
        self.time = now

    def now(self) -> int:
        return self.time


class Lock:
    """One installed lock: its id, its landlord's key, its installation record."""

    def __init__(self, lock_id: str, landlord: str) -> None:
        self.landlord_key = SigningKey.generate()
        self.sealing_key = SealingKey.generate()
        self.installation = InstallationRecord(
            lock_id=lock_id,
            flat=f"flat of {lock_id}",
            landlord=landlord,
            landlord_key=self.landlord_key.public_key,
            lock_key=SigningKey.generate().public_key,
            lock_sealing_key=self.sealing_key.public_key,
            installed_at=NOW - 30 * DAY,
        )

    def grant(self, holder: SigningKey, *, key: SigningKey | None = None, **changes: Any) -> bytes:
        """A lease for this lock, signed by its landlord (or by ``key``)."""
        grant = Grant(
            issuer=self.installation.landlord,
            subject="tenant:flat",
            audience=self.installation.lock_id,
            not_before=NOW - HOUR,
            expires=NOW + 30 * DAY,
            issued_at=NOW - HOUR,
            grant_id=os.urandom(16),
            holder_key=holder.public_key,
            kind=GrantKind.LEASE,
        )
        return issue_grant(replace(grant, **changes), key or self.landlord_key)


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def lock_a() -> Lock:
    return Lock("door-01", "landlord:ana")


@pytest.fixture
def lock_b() -> Lock:
    return Lock("door-02", "landlord:bruno")


@pytest.fixture
def book(clock: Clock, lock_a: Lock, lock_b: Lock) -> GrantBook:
    book = GrantBook(clock)
    book.trust_lock(LOCK_A, lock_a.installation)
    book.trust_lock(LOCK_B, lock_b.installation)
    return book


@pytest.fixture
def hub_key() -> SigningKey:
    return SigningKey.generate()


def held(book: GrantBook, encoded: bytes, user: str | None = TENANT) -> HeldGrant:
    """Verify a grant and keep it for ``user``, as the hub does on install."""
    lock, signed = book.verify(encoded)
    grant = HeldGrant(signed=signed, lock=lock.ieee, user=user)
    book.add(grant)
    return grant


# -- verification ------------------------------------------------------------------------


def test_a_grant_is_verified_for_the_lock_it_names(
    book: GrantBook, lock_a: Lock, lock_b: Lock, hub_key: SigningKey
) -> None:
    for ieee, lock in ((LOCK_A, lock_a), (LOCK_B, lock_b)):
        encoded = lock.grant(hub_key)

        trusted, signed = book.verify(encoded)

        assert trusted.ieee == ieee
        assert trusted.installation == lock.installation
        assert signed.encoded == encoded


def test_a_trusted_lock_is_found_by_its_address(book: GrantBook, lock_a: Lock) -> None:
    trusted = book.lock(LOCK_A)

    assert trusted is not None
    assert trusted.installation == lock_a.installation
    assert book.lock("00:1b:b0:00:00:00:00:99") is None


def test_a_grant_for_a_lock_the_hub_does_not_know_is_wrong_audience(
    book: GrantBook, lock_a: Lock, hub_key: SigningKey
) -> None:
    with pytest.raises(WrongAudience, match="door-99"):
        book.verify(lock_a.grant(hub_key, audience="door-99"))


def test_a_grant_signed_by_another_locks_landlord_is_refused(
    book: GrantBook, lock_a: Lock, lock_b: Lock, hub_key: SigningKey
) -> None:
    with pytest.raises(UnknownIssuer):
        book.verify(lock_a.grant(hub_key, key=lock_b.landlord_key, issuer="landlord:bruno"))


def test_a_grant_with_a_broken_signature_is_refused(
    book: GrantBook, lock_a: Lock, hub_key: SigningKey
) -> None:
    encoded = bytearray(lock_a.grant(hub_key))
    encoded[-1] ^= 0x01

    with pytest.raises(BadSignature):
        book.verify(bytes(encoded))


def test_a_grant_that_starts_later_is_accepted_ahead_of_time(
    book: GrantBook, lock_a: Lock, hub_key: SigningKey
) -> None:
    _, signed = book.verify(lock_a.grant(hub_key, not_before=NOW + DAY, expires=NOW + 2 * DAY))

    assert signed.grant.not_before == NOW + DAY


def test_an_expired_grant_is_refused(book: GrantBook, lock_a: Lock, hub_key: SigningKey) -> None:
    with pytest.raises(GrantExpired):
        book.verify(lock_a.grant(hub_key, not_before=NOW - 2 * DAY, expires=NOW - DAY))


# -- keeping and revoking ----------------------------------------------------------------


def test_a_kept_grant_is_found_by_its_id_and_its_lock(
    book: GrantBook, lock_a: Lock, hub_key: SigningKey
) -> None:
    grant = held(book, lock_a.grant(hub_key))

    assert book.get(grant.grant_id) == grant
    assert book.for_lock(LOCK_A) == [grant]
    assert book.for_lock(LOCK_B) == []
    assert list(book) == [grant]
    assert len(book) == 1


def test_grants_for_a_lock_are_listed_earliest_start_first(
    book: GrantBook, lock_a: Lock, hub_key: SigningKey
) -> None:
    later = held(book, lock_a.grant(hub_key, not_before=NOW + DAY, expires=NOW + 2 * DAY))
    current = held(book, lock_a.grant(hub_key))

    assert book.for_lock(LOCK_A) == [current, later]
    assert book.active_for_lock(LOCK_A) == [current]


def test_revoking_forgets_the_grant_and_returns_it(
    book: GrantBook, lock_a: Lock, hub_key: SigningKey
) -> None:
    grant = held(book, lock_a.grant(hub_key))

    assert book.revoke(grant.grant_id) == grant
    assert book.get(grant.grant_id) is None
    assert len(book) == 0


def test_a_full_revocation_memory_refuses_and_the_grant_stays_held(
    clock: Clock, lock_a: Lock, hub_key: SigningKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(grant_book, "MAX_REVOKED", 2)
    book = GrantBook(clock)
    book.trust_lock(LOCK_A, lock_a.installation)
    for _ in range(2):
        book.revoke(os.urandom(16))
    grant = held(book, lock_a.grant(hub_key))

    with pytest.raises(RevocationsFull):
        book.revoke(grant.grant_id)

    assert book.get(grant.grant_id) == grant
    assert not book.is_revoked(grant.grant_id)


def test_a_revoked_grant_cannot_be_added_again(
    book: GrantBook, lock_a: Lock, hub_key: SigningKey
) -> None:
    grant = held(book, lock_a.grant(hub_key))
    book.revoke(grant.grant_id)

    with pytest.raises(GrantRevoked):
        book.add(grant)
    with pytest.raises(GrantRevoked):
        book.verify(grant.signed.encoded)


def test_a_grant_revoked_before_the_hub_held_it_is_refused(
    book: GrantBook, lock_a: Lock, hub_key: SigningKey
) -> None:
    encoded = lock_a.grant(hub_key)
    _, signed = book.verify(encoded)

    assert book.revoke(signed.grant.grant_id) is None
    with pytest.raises(GrantRevoked):
        book.verify(encoded)


def test_a_grant_revoked_before_the_hub_held_it_stays_refused_after_a_purge(
    book: GrantBook, clock: Clock, lock_a: Lock, hub_key: SigningKey
) -> None:
    encoded = lock_a.grant(hub_key)
    _, signed = book.verify(encoded)
    book.revoke(signed.grant.grant_id)
    clock.time = NOW + HOUR

    book.purge_expired()

    with pytest.raises(GrantRevoked):
        book.verify(encoded)


# -- remote unlock -----------------------------------------------------------------------


def test_the_bound_user_may_open_remotely_with_a_grant_the_hub_holds_the_key_of(
    book: GrantBook, lock_a: Lock, hub_key: SigningKey
) -> None:
    grant = held(book, lock_a.grant(hub_key))

    assert book.remote_grant(LOCK_A, TENANT, hub_key.public_key) == grant


def test_another_user_may_not_use_the_grant(
    book: GrantBook, lock_a: Lock, hub_key: SigningKey
) -> None:
    held(book, lock_a.grant(hub_key))

    assert book.remote_grant(LOCK_A, "ha-user-neighbour", hub_key.public_key) is None
    assert book.remote_grant(LOCK_A, None, hub_key.public_key) is None


def test_a_grant_installed_for_no_user_opens_for_nobody(
    book: GrantBook, lock_a: Lock, hub_key: SigningKey
) -> None:
    held(book, lock_a.grant(hub_key), user=None)

    assert book.remote_grant(LOCK_A, None, hub_key.public_key) is None


def test_a_grant_held_by_the_tenants_phone_cannot_be_used_by_the_hub(
    book: GrantBook, lock_a: Lock, hub_key: SigningKey
) -> None:
    held(book, lock_a.grant(SigningKey.generate()))

    assert book.remote_grant(LOCK_A, TENANT, hub_key.public_key) is None


def test_a_grant_is_not_used_at_another_lock(
    book: GrantBook, lock_a: Lock, hub_key: SigningKey
) -> None:
    held(book, lock_a.grant(hub_key))

    assert book.remote_grant(LOCK_B, TENANT, hub_key.public_key) is None
    assert book.remote_grant("00:1b:b0:00:00:00:00:99", TENANT, hub_key.public_key) is None


@pytest.mark.parametrize("now", [NOW + DAY - 1, NOW + 2 * DAY], ids=["before", "after"])
def test_a_grant_opens_remotely_only_inside_its_window(
    book: GrantBook, clock: Clock, lock_a: Lock, hub_key: SigningKey, now: int
) -> None:
    held(book, lock_a.grant(hub_key, not_before=NOW + DAY, expires=NOW + 2 * DAY))
    clock.time = now

    assert book.remote_grant(LOCK_A, TENANT, hub_key.public_key) is None


# -- purging -----------------------------------------------------------------------------


def test_purging_drops_expired_grants_and_returns_them(
    book: GrantBook, clock: Clock, lock_a: Lock, hub_key: SigningKey
) -> None:
    short = held(book, lock_a.grant(hub_key, expires=NOW + HOUR))
    lease = held(book, lock_a.grant(hub_key))
    clock.time = NOW + HOUR

    assert book.purge_expired() == [short]
    assert list(book) == [lease]


def test_purging_forgets_revocations_of_grants_past_their_end(
    book: GrantBook, clock: Clock, lock_a: Lock, hub_key: SigningKey
) -> None:
    grant = held(book, lock_a.grant(hub_key, expires=NOW + HOUR))
    book.revoke(grant.grant_id)
    clock.time = NOW + HOUR

    book.purge_expired()

    assert book.to_json()["revoked"] == {}


# -- storage -----------------------------------------------------------------------------


def test_a_stored_book_loads_with_the_same_grants_and_revocations(
    book: GrantBook, clock: Clock, lock_a: Lock, lock_b: Lock, hub_key: SigningKey
) -> None:
    kept = [held(book, lock_a.grant(hub_key)), held(book, lock_b.grant(hub_key), user=None)]
    revoked = held(book, lock_a.grant(hub_key))
    book.revoke(revoked.grant_id)

    restored = GrantBook(clock)
    restored.load_json(json.loads(json.dumps(book.to_json())))

    assert list(restored) == kept
    with pytest.raises(GrantRevoked):
        restored.add(revoked)


def test_the_stored_book_holds_the_signed_grant_bytes_and_nothing_secret(
    book: GrantBook, lock_a: Lock, hub_key: SigningKey
) -> None:
    grant_id = os.urandom(16)
    sealed = seal_pin(
        "480213", lock_a.sealing_key.public_key, audience="door-01", grant_id=grant_id
    )
    grant = held(book, lock_a.grant(hub_key, grant_id=grant_id, sealed_pin=sealed))

    stored = book.to_json()

    assert stored == {
        "grants": [
            {
                "grant": base64.b64encode(grant.signed.encoded).decode(),
                "lock": LOCK_A,
                "user": TENANT,
            }
        ],
        "revoked": {},
    }
    assert "480213" not in json.dumps(stored)


def test_a_loaded_grant_is_the_same_signed_grant(
    book: GrantBook, clock: Clock, lock_a: Lock, hub_key: SigningKey
) -> None:
    grant = held(book, lock_a.grant(hub_key))
    restored = GrantBook(clock)
    restored.load_json(book.to_json())

    loaded = restored.get(grant.grant_id)

    assert loaded is not None
    assert isinstance(loaded.signed, SignedGrant)
    assert loaded.signed.digest == grant.signed.digest


def test_a_second_device_claiming_a_trusted_lock_id_is_not_trusted(
    book: GrantBook, lock_a: Lock, hub_key: SigningKey
) -> None:
    copycat = "00:99:99:99:99:99:99:99"

    with pytest.raises(LockIdTaken, match="already belongs to device"):
        book.trust_lock(copycat, lock_a.installation)

    trusted, _ = book.verify(lock_a.grant(hub_key))
    assert trusted.ieee == LOCK_A
    assert book.lock(copycat) is None


def test_a_device_reinstalled_under_a_new_lock_id_no_longer_answers_to_the_old_one(
    book: GrantBook, lock_a: Lock, hub_key: SigningKey
) -> None:
    moved = Lock("door-09", "landlord:ana")

    book.trust_lock(LOCK_A, moved.installation)

    with pytest.raises(WrongAudience):
        book.verify(lock_a.grant(hub_key))
    trusted, _ = book.verify(moved.grant(hub_key))
    assert trusted.ieee == LOCK_A
