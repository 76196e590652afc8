"""The reference door lock firmware: what a lock must accept, refuse, remember and report."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import cbor2
import pytest

from buildinghub.credentials import (
    BadSignature,
    Grant,
    GrantExpired,
    GrantKind,
    GrantRevoked,
    MalformedGrant,
    RevocationsFull,
    SigningKey,
    StaleChallenge,
    UnauthorisedCommand,
    UnknownIssuer,
    WrongAudience,
    decode_grant,
    issue_grant,
    prove,
)
from buildinghub.credentials.installation import InstallationRecord, sign_installation
from buildinghub.credentials.lock_command import Appointment, appoint_manager
from buildinghub.credentials.sealing import SealingKey, seal_pin
from buildinghub.credentials.signed_record import MalformedRecord
from buildinghub.devices.door_lock_protocol import (
    UNLOCK_OPERATION,
    AccessEvent,
    AccessMethod,
    UnlockRequest,
)
from buildinghub_sim.door_lock_firmware import (
    KEYPAD_LOCKOUT_S,
    KEYPAD_TRIES,
    MAX_REVOKED,
    DoorLockFirmware,
    LockRefusal,
)
from tests.buildinghub.tampering import with_other_s

from .commands import command

NOW = 1_767_225_600  # 2026-01-01T00:00:00Z
HOUR = 3600
DAY = 24 * HOUR
LOCK = "door-01"
LANDLORD = "landlord:ana"
PIN = "482915"


class Clock:
    """The lock's clock, set by the test."""

    def __init__(self, now: int) -> None:
        self.time = now

    def now(self) -> int:
        return self.time


class Landlord:
    """Signs installation records and grants for one lock, as the landlord's app does."""

    def __init__(self, lock: DoorLockFirmware, key: SigningKey | None = None) -> None:
        self.lock = lock
        self.key = key or SigningKey.generate()

    def record(self, **changes: Any) -> bytes:
        record = InstallationRecord(
            lock_id=self.lock.lock_id,
            flat="Flat 1A",
            landlord=LANDLORD,
            landlord_key=self.key.public_key,
            lock_key=self.lock.signing_key.public_key,
            lock_sealing_key=self.lock.sealing_key.public_key,
            installed_at=NOW - 30 * DAY,
        )
        return sign_installation(replace(record, **changes), self.key)

    def grant(self, *, holder: SigningKey, pin: str | None = None, **changes: Any) -> bytes:
        grant_id = changes.pop("grant_id", None) or os.urandom(16)
        audience = changes.get("audience", self.lock.lock_id)
        grant = Grant(
            issuer=LANDLORD,
            subject="tenant:flat-1a",
            audience=audience,
            not_before=NOW - HOUR,
            expires=NOW + 30 * DAY,
            issued_at=NOW - HOUR,
            grant_id=grant_id,
            holder_key=holder.public_key,
            kind=GrantKind.LEASE,
            sealed_pin=None
            if pin is None
            else seal_pin(
                pin, self.lock.sealing_key.public_key, audience=audience, grant_id=grant_id
            ),
        )
        return issue_grant(replace(grant, **changes), self.key)


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def factory_new(clock: Clock) -> DoorLockFirmware:
    return DoorLockFirmware(LOCK, clock=clock)


@pytest.fixture
def landlord(factory_new: DoorLockFirmware) -> Landlord:
    return Landlord(factory_new)


@pytest.fixture
def firmware(factory_new: DoorLockFirmware, landlord: Landlord) -> DoorLockFirmware:
    factory_new.install(landlord.record())
    return factory_new


@pytest.fixture
def holder() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture
def events(firmware: DoorLockFirmware) -> Iterator[list[AccessEvent]]:
    heard: list[AccessEvent] = []
    stop = firmware.add_listener(heard.append)
    yield heard
    stop()


def contents(firmware: DoorLockFirmware) -> dict[bytes, tuple[object, ...]]:
    """Everything the lock keeps per grant, as values (to compare before and after)."""
    return {
        grant_id: (
            stored.signed.encoded,
            stored.pin_digest,
            stored.uses,
            stored.last_counter,
        )
        for grant_id, stored in firmware.grants.items()
    }


def unlock_request(
    firmware: DoorLockFirmware,
    grant: bytes,
    key: SigningKey,
    *,
    counter: int = 1,
    nonce: bytes | None = None,
    lock_id: str | None = None,
) -> bytes:
    """What the holder's phone or the hub sends: a proof over a fresh nonce of this lock."""
    signed = decode_grant(grant)
    nonce = firmware.challenge() if nonce is None else nonce
    proof = prove(key, nonce, lock_id or firmware.lock_id, UNLOCK_OPERATION, signed.digest, counter)
    return UnlockRequest(
        grant_id=signed.grant.grant_id, nonce=nonce, counter=counter, proof=proof
    ).encode()


# -- installation ------------------------------------------------------------------------


def test_a_factory_new_lock_trusts_the_landlord_its_installation_record_names(
    factory_new: DoorLockFirmware, landlord: Landlord
) -> None:
    record = landlord.record()

    installed = factory_new.install(record)

    assert (installed.lock_id, installed.landlord) == (LOCK, LANDLORD)
    assert installed.landlord_key == landlord.key.public_key
    assert factory_new.installation == installed
    assert factory_new.installation_bytes == record


def test_an_installed_lock_refuses_a_second_installation(
    firmware: DoorLockFirmware, landlord: Landlord
) -> None:
    intruder = Landlord(firmware)

    with pytest.raises(LockRefusal) as refused:
        firmware.install(intruder.record(landlord_key=intruder.key.public_key))

    assert refused.value.reason == "unsupported"
    assert firmware.installation is not None
    assert firmware.installation.landlord_key == landlord.key.public_key


@pytest.mark.parametrize(
    "changed",
    ["lock_id", "lock_key", "lock_sealing_key"],
)
def test_an_installation_record_for_another_lock_or_key_is_refused(
    factory_new: DoorLockFirmware, landlord: Landlord, changed: str
) -> None:
    other = {
        "lock_id": "door-02",
        "lock_key": SigningKey.generate().public_key,
        "lock_sealing_key": SealingKey.generate().public_key,
    }

    with pytest.raises(LockRefusal) as refused:
        factory_new.install(landlord.record(**{changed: other[changed]}))

    assert refused.value.reason == "wrong_audience"
    assert factory_new.installation is None


def test_a_tampered_installation_record_is_refused(
    factory_new: DoorLockFirmware, landlord: Landlord
) -> None:
    record = bytearray(landlord.record())
    record[-1] ^= 0x01

    with pytest.raises(BadSignature):
        factory_new.install(bytes(record))
    assert factory_new.installation is None


def test_a_lock_without_installation_refuses_grants(
    factory_new: DoorLockFirmware, landlord: Landlord, holder: SigningKey
) -> None:
    with pytest.raises(LockRefusal) as refused:
        factory_new.apply_grant(landlord.grant(holder=holder))

    assert refused.value.reason == "not_installed"
    assert factory_new.grants == {}


# -- grants ------------------------------------------------------------------------------


def test_a_good_grant_is_stored(
    firmware: DoorLockFirmware, landlord: Landlord, holder: SigningKey
) -> None:
    grant = landlord.grant(holder=holder, pin=PIN)

    stored = firmware.apply_grant(grant)

    assert firmware.grants == {stored.signed.grant.grant_id: stored}
    assert stored.signed.encoded == grant


def test_the_pin_is_kept_only_as_a_digest_keyed_by_the_lock(
    clock: Clock, landlord: Landlord, holder: SigningKey
) -> None:
    locks = [DoorLockFirmware(LOCK, clock=clock) for _ in range(2)]
    digests = []
    for lock in locks:
        issuer = Landlord(lock, landlord.key)
        lock.install(issuer.record())
        digests.append(lock.apply_grant(issuer.grant(holder=holder, pin=PIN)).pin_digest)

    assert all(digest is not None and len(digest) == 32 for digest in digests)
    assert digests[0] != digests[1]
    assert hashlib.sha256(PIN.encode()).digest() not in digests


def test_a_grant_whose_window_has_not_started_is_stored_for_later(
    firmware: DoorLockFirmware, landlord: Landlord, holder: SigningKey
) -> None:
    tomorrow = landlord.grant(holder=holder, not_before=NOW + DAY, expires=NOW + 2 * DAY)

    firmware.apply_grant(tomorrow)

    assert len(firmware.grants) == 1


def test_the_same_grant_delivered_twice_is_stored_once(
    firmware: DoorLockFirmware, landlord: Landlord, holder: SigningKey
) -> None:
    grant = landlord.grant(holder=holder, pin=PIN)
    first = firmware.apply_grant(grant)

    again = firmware.apply_grant(grant)

    assert again is first
    assert len(firmware.grants) == 1


def test_another_grant_with_a_stored_grant_id_is_refused(
    firmware: DoorLockFirmware, landlord: Landlord, holder: SigningKey
) -> None:
    grant_id = os.urandom(16)
    firmware.apply_grant(landlord.grant(holder=holder, grant_id=grant_id))
    before = contents(firmware)

    with pytest.raises(MalformedGrant, match="already stored"):
        firmware.apply_grant(landlord.grant(holder=holder, grant_id=grant_id, subject="other"))

    assert contents(firmware) == before


def test_a_full_lock_refuses_another_grant(
    clock: Clock, landlord: Landlord, holder: SigningKey
) -> None:
    lock = DoorLockFirmware(LOCK, clock=clock, max_grants=2)
    issuer = Landlord(lock, landlord.key)
    lock.install(issuer.record())
    lock.apply_grant(issuer.grant(holder=holder))
    lock.apply_grant(issuer.grant(holder=holder))
    before = contents(lock)

    with pytest.raises(LockRefusal) as refused:
        lock.apply_grant(issuer.grant(holder=holder))

    assert refused.value.reason == "storage_full"
    assert contents(lock) == before


@pytest.mark.parametrize("kind", [GrantKind.EKEY, GrantKind.SHARE])
def test_a_door_lock_refuses_grants_it_cannot_use(
    firmware: DoorLockFirmware, landlord: Landlord, holder: SigningKey, kind: GrantKind
) -> None:
    with pytest.raises(LockRefusal) as refused:
        firmware.apply_grant(landlord.grant(holder=holder, kind=kind))

    assert refused.value.reason == "unsupported"
    assert firmware.grants == {}


@pytest.mark.parametrize("kind", [GrantKind.VIEWING, GrantKind.LEASE, GrantKind.REMOTE])
def test_a_door_lock_takes_viewing_lease_and_remote_grants(
    firmware: DoorLockFirmware, landlord: Landlord, holder: SigningKey, kind: GrantKind
) -> None:
    firmware.apply_grant(landlord.grant(holder=holder, kind=kind))

    assert len(firmware.grants) == 1


def test_a_grant_signed_by_another_key_is_refused(
    firmware: DoorLockFirmware, holder: SigningKey
) -> None:
    forger = Landlord(firmware)

    with pytest.raises(UnknownIssuer):
        firmware.apply_grant(forger.grant(holder=holder))
    assert firmware.grants == {}


def test_a_grant_with_a_changed_claim_is_refused(
    firmware: DoorLockFirmware, landlord: Landlord, holder: SigningKey
) -> None:
    genuine = landlord.grant(holder=holder, expires=NOW + DAY)
    # Same length: move the end of the window by changing one digit of exp.
    forged = genuine.replace((NOW + DAY).to_bytes(4), (NOW + DAY + 1).to_bytes(4), 1)
    assert forged != genuine

    with pytest.raises(BadSignature):
        firmware.apply_grant(forged)
    assert firmware.grants == {}


def test_a_grant_for_another_lock_is_refused(
    firmware: DoorLockFirmware, landlord: Landlord, holder: SigningKey
) -> None:
    with pytest.raises(WrongAudience):
        firmware.apply_grant(landlord.grant(holder=holder, audience="door-02"))
    assert firmware.grants == {}


def test_an_expired_grant_is_refused(
    firmware: DoorLockFirmware, landlord: Landlord, holder: SigningKey
) -> None:
    with pytest.raises(GrantExpired):
        firmware.apply_grant(
            landlord.grant(holder=holder, not_before=NOW - 2 * DAY, expires=NOW - DAY)
        )
    assert firmware.grants == {}


def test_a_pin_sealed_for_another_grant_is_refused(
    firmware: DoorLockFirmware, landlord: Landlord, holder: SigningKey
) -> None:
    moved = seal_pin(PIN, firmware.sealing_key.public_key, audience=LOCK, grant_id=bytes(16))

    with pytest.raises(MalformedGrant) as refused:
        firmware.apply_grant(landlord.grant(holder=holder, sealed_pin=moved))

    assert PIN not in str(refused.value)
    assert firmware.grants == {}


def test_bytes_that_are_not_a_grant_are_malformed(firmware: DoorLockFirmware) -> None:
    with pytest.raises(MalformedGrant):
        firmware.apply_grant(b"not a grant")
    assert firmware.grants == {}


# -- revocation --------------------------------------------------------------------------


def test_a_revoked_grant_is_dropped_with_its_pin(
    firmware: DoorLockFirmware, landlord: Landlord, holder: SigningKey
) -> None:
    grant = landlord.grant(holder=holder, pin=PIN)
    grant_id = firmware.apply_grant(grant).signed.grant.grant_id

    firmware.revoke(command(firmware, landlord.key, grant_id))

    assert firmware.grants == {}
    assert firmware.keypad(PIN).reason == "unknown_credential"


def test_a_revoked_grant_is_refused_when_delivered_again(
    firmware: DoorLockFirmware, landlord: Landlord, holder: SigningKey
) -> None:
    grant = landlord.grant(holder=holder)
    firmware.apply_grant(grant)
    firmware.revoke(command(firmware, landlord.key, decode_grant(grant).grant.grant_id))

    with pytest.raises(GrantRevoked):
        firmware.apply_grant(grant)
    assert firmware.grants == {}


def test_a_grant_revoked_before_it_arrived_is_refused(
    firmware: DoorLockFirmware, landlord: Landlord, holder: SigningKey
) -> None:
    grant = landlord.grant(holder=holder)
    firmware.revoke(command(firmware, landlord.key, decode_grant(grant).grant.grant_id))

    with pytest.raises(GrantRevoked):
        firmware.apply_grant(grant)


def test_a_revoked_grant_stays_refused_after_257_more_revocations(
    firmware: DoorLockFirmware, landlord: Landlord, holder: SigningKey
) -> None:
    grant = landlord.grant(holder=holder, pin=PIN)
    revoked = firmware.apply_grant(grant).signed.grant.grant_id
    firmware.revoke(command(firmware, landlord.key, revoked))
    refused = 0
    for _ in range(MAX_REVOKED + 1):
        try:
            firmware.revoke(command(firmware, landlord.key, os.urandom(16)))
        except RevocationsFull:
            refused += 1

    # The memory was full after MAX_REVOKED - 1 more: those after it were refused, not
    # made room for by forgetting the first.
    assert refused == 2
    with pytest.raises(GrantRevoked):
        firmware.apply_grant(grant)
    assert firmware.grants == {}
    assert firmware.keypad(PIN).reason == "unknown_credential"


def test_a_full_revocation_memory_refuses_a_revocation_and_keeps_the_grant(
    firmware: DoorLockFirmware, landlord: Landlord, holder: SigningKey
) -> None:
    for _ in range(MAX_REVOKED):
        firmware.revoke(command(firmware, landlord.key, os.urandom(16)))
    stored = firmware.apply_grant(landlord.grant(holder=holder, pin=PIN))
    before = contents(firmware)

    with pytest.raises(RevocationsFull):
        firmware.revoke(command(firmware, landlord.key, stored.signed.grant.grant_id))

    assert contents(firmware) == before
    assert firmware.keypad(PIN).granted


def test_revocations_of_grants_that_ended_make_room_for_new_ones(
    firmware: DoorLockFirmware, clock: Clock, landlord: Landlord, holder: SigningKey
) -> None:
    for _ in range(MAX_REVOKED):
        firmware.revoke(command(firmware, landlord.key, os.urandom(16), until=NOW + HOUR))
    grant = landlord.grant(holder=holder)
    clock.time = NOW + HOUR

    firmware.revoke(command(firmware, landlord.key, decode_grant(grant).grant.grant_id))

    with pytest.raises(GrantRevoked):
        firmware.apply_grant(grant)


def test_a_revocation_signed_by_another_landlord_is_refused_and_changes_nothing(
    firmware: DoorLockFirmware, landlord: Landlord, holder: SigningKey
) -> None:
    stored = firmware.apply_grant(landlord.grant(holder=holder, pin=PIN))
    before = contents(firmware)

    with pytest.raises(UnauthorisedCommand):
        firmware.revoke(command(firmware, SigningKey.generate(), stored.signed.grant.grant_id))

    assert contents(firmware) == before
    assert firmware.keypad(PIN).granted


def test_a_replayed_revocation_is_refused(
    firmware: DoorLockFirmware, landlord: Landlord, holder: SigningKey
) -> None:
    first = firmware.apply_grant(landlord.grant(holder=holder)).signed.grant.grant_id
    nonce = firmware.challenge()
    firmware.revoke(command(firmware, landlord.key, first, nonce=nonce))
    second = firmware.apply_grant(landlord.grant(holder=holder, pin=PIN))
    before = contents(firmware)

    with pytest.raises(StaleChallenge):
        firmware.revoke(command(firmware, landlord.key, second.signed.grant.grant_id, nonce=nonce))

    assert contents(firmware) == before


def test_a_revocation_for_another_lock_is_refused(
    firmware: DoorLockFirmware, landlord: Landlord, holder: SigningKey
) -> None:
    stored = firmware.apply_grant(landlord.grant(holder=holder))

    with pytest.raises(WrongAudience):
        firmware.revoke(
            command(firmware, landlord.key, stored.signed.grant.grant_id, lock="door-02")
        )
    assert list(firmware.grants) == [stored.signed.grant.grant_id]


def test_a_revocation_whose_signature_has_the_high_s_form_is_refused(
    firmware: DoorLockFirmware, landlord: Landlord, holder: SigningKey
) -> None:
    stored = firmware.apply_grant(landlord.grant(holder=holder))
    signed = command(firmware, landlord.key, stored.signed.grant.grant_id)
    record, appointment = cbor2.loads(signed)

    with pytest.raises(BadSignature):
        firmware.revoke(cbor2.dumps([with_other_s(record), appointment]))
    assert list(firmware.grants) == [stored.signed.grant.grant_id]


def test_a_manager_the_landlord_appointed_may_revoke(
    firmware: DoorLockFirmware, landlord: Landlord, holder: SigningKey
) -> None:
    manager = SigningKey.generate()
    appointment = appoint_manager(
        Appointment(lock=LOCK, manager_key=manager.public_key, expires=NOW + DAY), landlord.key
    )
    stored = firmware.apply_grant(landlord.grant(holder=holder))

    firmware.revoke(
        command(firmware, manager, stored.signed.grant.grant_id, appointment=appointment)
    )

    assert firmware.grants == {}


def test_a_manager_appointed_by_another_landlord_is_refused(
    firmware: DoorLockFirmware, landlord: Landlord, holder: SigningKey
) -> None:
    manager = SigningKey.generate()
    appointment = appoint_manager(
        Appointment(lock=LOCK, manager_key=manager.public_key, expires=NOW + DAY),
        SigningKey.generate(),
    )
    stored = firmware.apply_grant(landlord.grant(holder=holder))

    with pytest.raises(UnauthorisedCommand):
        firmware.revoke(
            command(firmware, manager, stored.signed.grant.grant_id, appointment=appointment)
        )
    assert list(firmware.grants) == [stored.signed.grant.grant_id]


def test_a_malformed_revocation_is_refused_and_changes_nothing(
    firmware: DoorLockFirmware, landlord: Landlord, holder: SigningKey
) -> None:
    firmware.apply_grant(landlord.grant(holder=holder))
    before = contents(firmware)

    with pytest.raises(MalformedRecord):
        firmware.revoke(b"\x81\x41\x00")

    assert contents(firmware) == before


# -- purging -----------------------------------------------------------------------------


def test_purging_removes_expired_grants_with_their_credentials(
    firmware: DoorLockFirmware, clock: Clock, landlord: Landlord, holder: SigningKey
) -> None:
    firmware.apply_grant(landlord.grant(holder=holder, pin=PIN, expires=NOW + HOUR))
    lease = firmware.apply_grant(landlord.grant(holder=holder, pin="1111"))
    clock.time = NOW + HOUR

    purged = firmware.purge_expired()

    assert purged == 1
    assert list(firmware.grants) == [lease.signed.grant.grant_id]
    assert firmware.keypad(PIN).reason == "unknown_credential"


def test_purging_with_nothing_expired_removes_nothing(
    firmware: DoorLockFirmware, landlord: Landlord, holder: SigningKey
) -> None:
    firmware.apply_grant(landlord.grant(holder=holder))
    before = contents(firmware)

    assert firmware.purge_expired() == 0
    assert contents(firmware) == before


# -- keypad and fingerprint --------------------------------------------------------------


def test_the_right_pin_inside_the_window_opens_the_door(
    firmware: DoorLockFirmware,
    landlord: Landlord,
    holder: SigningKey,
    events: list[AccessEvent],
) -> None:
    grant_id = firmware.apply_grant(landlord.grant(holder=holder, pin=PIN)).signed.grant.grant_id

    event = firmware.keypad(PIN)

    assert event == AccessEvent(
        method=AccessMethod.KEYPAD, granted=True, reason="granted", grant_id=grant_id, at=NOW
    )
    assert not firmware.locked
    assert events == [event]


def test_the_right_pin_before_the_window_is_not_yet_valid(
    firmware: DoorLockFirmware, landlord: Landlord, holder: SigningKey
) -> None:
    firmware.apply_grant(
        landlord.grant(holder=holder, pin=PIN, not_before=NOW + DAY, expires=NOW + 2 * DAY)
    )

    event = firmware.keypad(PIN)

    assert (event.granted, event.reason) == (False, "not_yet_valid")
    assert firmware.locked


def test_the_right_pin_after_the_window_has_expired(
    firmware: DoorLockFirmware, clock: Clock, landlord: Landlord, holder: SigningKey
) -> None:
    firmware.apply_grant(landlord.grant(holder=holder, pin=PIN, expires=NOW + HOUR))
    clock.time = NOW + HOUR

    event = firmware.keypad(PIN)

    assert (event.granted, event.reason) == (False, "expired")
    assert firmware.locked


WIDE_PIN = "\uff14\uff18\uff12\uff19\uff11\uff15"  # PIN in full-width digits


@pytest.mark.parametrize("typed", ["000000", "48291", WIDE_PIN], ids=["wrong", "short", "wide"])
def test_a_pin_of_no_grant_is_an_unknown_credential(
    firmware: DoorLockFirmware,
    landlord: Landlord,
    holder: SigningKey,
    events: list[AccessEvent],
    typed: str,
) -> None:
    firmware.apply_grant(landlord.grant(holder=holder, pin=PIN))

    event = firmware.keypad(typed)

    assert (event.granted, event.reason, event.grant_id) == (False, "unknown_credential", None)
    assert firmware.locked
    assert events == [event]


def test_a_grant_with_one_use_opens_once(
    firmware: DoorLockFirmware, landlord: Landlord, holder: SigningKey
) -> None:
    firmware.apply_grant(landlord.grant(holder=holder, pin=PIN, max_uses=1))

    first, second = firmware.keypad(PIN), firmware.keypad(PIN)

    assert first.granted
    assert (second.granted, second.reason) == (False, "uses_exhausted")


def test_locking_bolts_the_door_again(
    firmware: DoorLockFirmware, landlord: Landlord, holder: SigningKey
) -> None:
    firmware.apply_grant(landlord.grant(holder=holder, pin=PIN))
    firmware.keypad(PIN)

    firmware.lock()

    assert firmware.locked


# -- remote unlock -----------------------------------------------------------------------


@pytest.fixture
def remote(firmware: DoorLockFirmware, landlord: Landlord, holder: SigningKey) -> bytes:
    """A remote grant, stored on the lock, whose holder key is ``holder``."""
    grant = landlord.grant(holder=holder, kind=GrantKind.REMOTE)
    firmware.apply_grant(grant)
    return grant


def test_a_fresh_proof_by_the_holder_opens_the_door(
    firmware: DoorLockFirmware, remote: bytes, holder: SigningKey, events: list[AccessEvent]
) -> None:
    event = firmware.remote_unlock(unlock_request(firmware, remote, holder))

    assert (event.method, event.granted, event.reason) == (AccessMethod.REMOTE, True, "granted")
    assert event.grant_id == decode_grant(remote).grant.grant_id
    assert not firmware.locked
    assert events == [event]


def test_a_copied_grant_without_the_holder_key_opens_nothing(
    firmware: DoorLockFirmware, remote: bytes, events: list[AccessEvent]
) -> None:
    before = contents(firmware)

    event = firmware.remote_unlock(unlock_request(firmware, remote, SigningKey.generate()))

    assert (event.granted, event.reason) == (False, "proof_mismatch")
    assert firmware.locked
    assert contents(firmware) == before
    assert events == [event]


def test_a_replayed_unlock_request_is_refused(
    firmware: DoorLockFirmware, remote: bytes, holder: SigningKey
) -> None:
    request = unlock_request(firmware, remote, holder)
    firmware.remote_unlock(request)
    firmware.lock()
    before = contents(firmware)

    event = firmware.remote_unlock(request)

    assert (event.granted, event.reason) == (False, "stale_challenge")
    assert firmware.locked
    assert contents(firmware) == before


def test_an_unlock_counter_that_does_not_move_forward_is_refused(
    firmware: DoorLockFirmware, remote: bytes, holder: SigningKey
) -> None:
    firmware.remote_unlock(unlock_request(firmware, remote, holder, counter=5))
    firmware.lock()

    event = firmware.remote_unlock(unlock_request(firmware, remote, holder, counter=5))

    assert (event.granted, event.reason) == (False, "stale_challenge")
    assert firmware.locked


def test_a_higher_counter_with_a_fresh_nonce_opens_again(
    firmware: DoorLockFirmware, remote: bytes, holder: SigningKey
) -> None:
    firmware.remote_unlock(unlock_request(firmware, remote, holder, counter=5))
    firmware.lock()

    event = firmware.remote_unlock(unlock_request(firmware, remote, holder, counter=6))

    assert event.granted


def test_a_nonce_the_lock_never_issued_is_refused(
    firmware: DoorLockFirmware, remote: bytes, holder: SigningKey
) -> None:
    event = firmware.remote_unlock(unlock_request(firmware, remote, holder, nonce=os.urandom(16)))

    assert (event.granted, event.reason) == (False, "stale_challenge")


def test_a_nonce_that_has_expired_is_refused(
    firmware: DoorLockFirmware, clock: Clock, remote: bytes, holder: SigningKey
) -> None:
    nonce = firmware.challenge()
    clock.time = NOW + 60

    event = firmware.remote_unlock(unlock_request(firmware, remote, holder, nonce=nonce))

    assert (event.granted, event.reason) == (False, "stale_challenge")


def test_a_proof_made_for_another_lock_is_refused(
    firmware: DoorLockFirmware, remote: bytes, holder: SigningKey
) -> None:
    event = firmware.remote_unlock(unlock_request(firmware, remote, holder, lock_id="door-02"))

    assert (event.granted, event.reason) == (False, "proof_mismatch")


def test_a_refused_proof_does_not_use_up_its_counter(
    firmware: DoorLockFirmware, remote: bytes, holder: SigningKey
) -> None:
    firmware.remote_unlock(unlock_request(firmware, remote, SigningKey.generate(), counter=9))

    event = firmware.remote_unlock(unlock_request(firmware, remote, holder, counter=9))

    assert event.granted


def test_a_remote_unlock_outside_the_window_is_refused(
    firmware: DoorLockFirmware, landlord: Landlord, holder: SigningKey
) -> None:
    later = landlord.grant(
        holder=holder, kind=GrantKind.REMOTE, not_before=NOW + DAY, expires=NOW + 2 * DAY
    )
    firmware.apply_grant(later)

    event = firmware.remote_unlock(unlock_request(firmware, later, holder))

    assert (event.granted, event.reason) == (False, "not_yet_valid")
    assert firmware.locked


def test_a_remote_unlock_for_a_grant_the_lock_does_not_hold_is_refused(
    firmware: DoorLockFirmware, landlord: Landlord, holder: SigningKey, events: list[AccessEvent]
) -> None:
    absent = landlord.grant(holder=holder, kind=GrantKind.REMOTE)

    event = firmware.remote_unlock(unlock_request(firmware, absent, holder))

    assert (event.granted, event.reason) == (False, "unknown_grant")
    assert event.grant_id == decode_grant(absent).grant.grant_id
    assert firmware.grants == {}
    assert events == [event]


def test_an_unlock_request_that_is_not_one_is_reported_malformed(
    firmware: DoorLockFirmware, remote: bytes, events: list[AccessEvent]
) -> None:
    before = contents(firmware)

    event = firmware.remote_unlock(b"\x80")

    assert (event.granted, event.reason, event.grant_id) == (False, "malformed", None)
    assert contents(firmware) == before
    assert events == [event]


# -- listeners ---------------------------------------------------------------------------


def test_a_listener_that_stopped_hears_nothing_more(firmware: DoorLockFirmware) -> None:
    heard: list[AccessEvent] = []
    stop = firmware.add_listener(heard.append)
    firmware.keypad("0000")

    stop()
    firmware.keypad("0000")

    assert len(heard) == 1


def test_five_wrong_pins_lock_the_keypad_for_a_minute_even_for_the_right_pin(
    firmware: DoorLockFirmware, landlord: Landlord, holder: SigningKey, clock: Clock
) -> None:
    firmware.apply_grant(landlord.grant(holder=holder, pin=PIN))
    for wrong in range(KEYPAD_TRIES):
        assert firmware.keypad(f"00000{wrong}").reason == "unknown_credential"

    assert firmware.keypad(PIN).reason == "keypad_locked_out"
    assert firmware.locked

    clock.time += KEYPAD_LOCKOUT_S
    assert firmware.keypad(PIN).granted


def test_a_right_pin_resets_the_count_of_wrong_ones(
    firmware: DoorLockFirmware, landlord: Landlord, holder: SigningKey
) -> None:
    firmware.apply_grant(landlord.grant(holder=holder, pin=PIN))
    for wrong in range(KEYPAD_TRIES - 1):
        firmware.keypad(f"00000{wrong}")
    assert firmware.keypad(PIN).granted

    for wrong in range(KEYPAD_TRIES - 1):
        assert firmware.keypad(f"11111{wrong}").reason == "unknown_credential"
    assert firmware.keypad(PIN).granted
