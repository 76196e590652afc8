"""The reference parking lock: e-keys, share chains, counts, transfers and freezes, at the lock.

Async only because the car park puts each lock behind its radio, which reports from the loop.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncGenerator

import cbor2
import pytest

from buildinghub.credentials import (
    GrantExpired,
    ShareLimit,
    ShareMode,
    ShareWidens,
    SigningKey,
    UnauthorisedCommand,
    decode_grant,
)
from buildinghub.credentials.delegation import ShareTerms, issue_share
from buildinghub.credentials.lock_command import CommandAction
from buildinghub.credentials.lock_storage import StoragePlan
from buildinghub.credentials.signed_record import MalformedRecord
from buildinghub.devices.door_lock_protocol import AccessEvent, answer_challenge
from buildinghub.radio.cluster import ObjectKind
from buildinghub.radio.transfer import TransferRefused, send_object
from buildinghub_sim.car_park import SimulatedBay, SimulatedCarPark
from buildinghub_sim.door_lock_firmware import LockRefusal
from buildinghub_sim.medium import drop_medium, get_medium
from buildinghub_sim.parking_lock import SimulatedParkingLock
from buildinghub_sim.parking_lock_firmware import ParkingLockFirmware
from buildinghub_sim.radio_peer import RadioPeer

from .commands import command

NOW = 1_767_225_600
HOUR = 3600


class Clock:
    def __init__(self, now: int) -> None:
        self.time = now

    def now(self) -> int:
        return self.time


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
async def car_park(clock: Clock) -> AsyncGenerator[SimulatedCarPark]:
    made = SimulatedCarPark.create("sim://firmware-tests", bays=1, clock=clock)
    yield made
    made.power_off()
    for _ in range(5):  # the locks' reports to a hub that is not there
        await asyncio.sleep(0)


@pytest.fixture
def bay(car_park: SimulatedCarPark) -> SimulatedBay:
    return car_park.bays[0]


@pytest.fixture
def driver_key() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture
def ekey(car_park: SimulatedCarPark, bay: SimulatedBay, driver_key: SigningKey) -> bytes:
    encoded = car_park.issue_ekey(
        bay,
        subject="driver:dana",
        holder_key=driver_key.public_key,
        not_before=NOW,
        expires=NOW + 8 * HOUR,
        max_uses=10,
    )
    bay.firmware.apply_grant(encoded)
    return encoded


_counters: dict[bytes, int] = {}


def owner_key(car_park: SimulatedCarPark, bay: SimulatedBay) -> SigningKey:
    """The bay owner's own key (their app's), which the lock's installation record names."""
    return car_park.owners[bay.owner]


def unlock(firmware: ParkingLockFirmware, encoded: bytes, key: SigningKey) -> AccessEvent:
    signed = decode_grant(encoded)
    counter = _counters.get(signed.grant.grant_id, 0) + 1
    _counters[signed.grant.grant_id] = counter
    request = answer_challenge(signed, key, firmware.challenge(), counter)
    return firmware.remote_unlock(request.encode())


def share_of(parent: bytes, sharer: SigningKey, recipient: SigningKey, **terms: object) -> bytes:
    defaults: dict[str, object] = {
        "recipient": "friend:femi",
        "recipient_key": recipient.public_key,
        "not_before": NOW,
        "expires": NOW + 2 * HOUR,
        "max_uses": 3,
        "mode": ShareMode.CO_USE,
    }
    defaults.update(terms)
    return issue_share(
        decode_grant(parent),
        sharer,
        ShareTerms(**defaults),  # type: ignore[arg-type]
        grant_id=os.urandom(16),
        now=NOW,
    )


async def test_the_holder_opens_with_an_ekey(
    bay: SimulatedBay, ekey: bytes, driver_key: SigningKey
) -> None:
    event = unlock(bay.firmware, ekey, driver_key)

    assert event.granted
    assert not bay.firmware.locked


async def test_a_copied_ekey_opens_nothing(bay: SimulatedBay, ekey: bytes) -> None:
    event = unlock(bay.firmware, ekey, SigningKey.generate())

    assert not event.granted
    assert event.reason == "proof_mismatch"
    assert bay.firmware.locked


async def test_a_three_use_share_is_refused_on_the_fourth(
    bay: SimulatedBay, ekey: bytes, driver_key: SigningKey
) -> None:
    friend = SigningKey.generate()
    shared = share_of(ekey, driver_key, friend, max_uses=3)
    bay.firmware.apply_grant(shared)

    results = [unlock(bay.firmware, shared, friend) for _ in range(4)]

    assert [event.granted for event in results] == [True, True, True, False]
    assert results[3].reason == "uses_exhausted"
    assert bay.firmware.uses_left(decode_grant(ekey).grant.grant_id) == 7


async def test_a_transfer_stops_the_sharer_at_once(
    bay: SimulatedBay, ekey: bytes, driver_key: SigningKey
) -> None:
    friend = SigningKey.generate()
    assert unlock(bay.firmware, ekey, driver_key).granted
    bay.firmware.apply_grant(share_of(ekey, driver_key, friend, mode=ShareMode.TRANSFER))

    refused = unlock(bay.firmware, ekey, driver_key)

    assert refused.reason == "transferred"


async def test_giving_back_a_transfer_returns_the_key(
    bay: SimulatedBay, ekey: bytes, driver_key: SigningKey
) -> None:
    friend = SigningKey.generate()
    transfer = share_of(ekey, driver_key, friend, mode=ShareMode.TRANSFER)
    bay.firmware.apply_grant(transfer)

    returned = decode_grant(transfer).grant.grant_id
    bay.firmware.revoke(command(bay.firmware, friend, returned))

    assert unlock(bay.firmware, ekey, driver_key).granted
    assert unlock(bay.firmware, transfer, friend).reason == "unknown_grant"


async def test_a_frozen_member_is_refused_until_unfrozen(
    car_park: SimulatedCarPark, bay: SimulatedBay, ekey: bytes, driver_key: SigningKey
) -> None:
    friend = SigningKey.generate()
    shared = share_of(ekey, driver_key, friend)
    bay.firmware.apply_grant(shared)
    member = decode_grant(shared).grant.grant_id
    owner = owner_key(car_park, bay)

    bay.firmware.set_frozen(command(bay.firmware, owner, member, CommandAction.FREEZE), True)
    frozen = unlock(bay.firmware, shared, friend)
    bay.firmware.set_frozen(command(bay.firmware, owner, member, CommandAction.UNFREEZE), False)

    assert frozen.reason == "frozen"
    assert unlock(bay.firmware, shared, friend).granted


async def test_freezing_an_unknown_member_is_refused(
    car_park: SimulatedCarPark, bay: SimulatedBay, ekey: bytes
) -> None:
    freeze = command(bay.firmware, owner_key(car_park, bay), os.urandom(16), CommandAction.FREEZE)
    with pytest.raises(LockRefusal, match="no such member"):
        bay.firmware.set_frozen(freeze, True)
    with pytest.raises(MalformedRecord):
        bay.firmware.set_frozen(b"\x00", True)


async def test_a_widening_share_is_refused_and_nothing_is_stored(
    bay: SimulatedBay, ekey: bytes, driver_key: SigningKey
) -> None:
    wide = share_of(ekey, driver_key, SigningKey.generate(), expires=NOW + 9 * HOUR)

    with pytest.raises(ShareWidens):
        bay.firmware.apply_grant(wide)
    assert list(bay.firmware.chains) == [decode_grant(ekey).grant.grant_id]


async def test_a_share_whose_parent_is_not_on_the_lock_is_refused(
    car_park: SimulatedCarPark, bay: SimulatedBay, driver_key: SigningKey
) -> None:
    elsewhere = car_park.issue_ekey(
        bay,
        subject="driver:dana",
        holder_key=driver_key.public_key,
        not_before=NOW,
        expires=NOW + HOUR,
    )
    with pytest.raises(LockRefusal, match="not on this lock"):
        bay.firmware.apply_grant(share_of(elsewhere, driver_key, SigningKey.generate()))


async def test_an_expired_ekey_is_refused(
    bay: SimulatedBay, ekey: bytes, driver_key: SigningKey, clock: Clock
) -> None:
    clock.time = NOW + 8 * HOUR

    assert unlock(bay.firmware, ekey, driver_key).reason == "expired"
    with pytest.raises(GrantExpired):
        bay.firmware.apply_grant(ekey)


async def test_a_replayed_unlock_is_refused_and_counts_nothing(
    bay: SimulatedBay, ekey: bytes, driver_key: SigningKey
) -> None:
    signed = decode_grant(ekey)
    request = answer_challenge(signed, driver_key, bay.firmware.challenge(), 1).encode()
    assert bay.firmware.remote_unlock(request).granted

    replayed = bay.firmware.remote_unlock(request)

    assert replayed.reason == "stale_challenge"
    assert bay.firmware.uses_left(signed.grant.grant_id) == 9


async def test_an_old_counter_on_a_fresh_nonce_is_refused(
    bay: SimulatedBay, ekey: bytes, driver_key: SigningKey
) -> None:
    signed = decode_grant(ekey)
    fresh = answer_challenge(signed, driver_key, bay.firmware.challenge(), 5).encode()
    old = answer_challenge(signed, driver_key, bay.firmware.challenge(), 5).encode()
    assert bay.firmware.remote_unlock(fresh).granted

    assert bay.firmware.remote_unlock(old).reason == "stale_challenge"


async def test_counts_survive_a_power_cut_and_resending_keys_resets_nothing(
    bay: SimulatedBay, ekey: bytes, driver_key: SigningKey, clock: Clock
) -> None:
    friend = SigningKey.generate()
    shared = share_of(ekey, driver_key, friend, max_uses=3)
    bay.firmware.apply_grant(shared)
    unlock(bay.firmware, shared, friend)
    unlock(bay.firmware, shared, friend)
    flash = bay.firmware.flash()

    rebooted = ParkingLockFirmware(
        bay.lock_id,
        clock=clock,
        signing_key=bay.firmware.signing_key,
        sealing_key=bay.firmware.sealing_key,
    )
    rebooted.install(bay.firmware.installation_bytes)
    rebooted.restore(flash)
    rebooted.apply_grant(ekey)
    rebooted.apply_grant(shared)

    assert unlock(rebooted, shared, friend).granted
    assert unlock(rebooted, shared, friend).reason == "uses_exhausted"


async def test_the_vehicle_sensor_reports_arrivals_and_departures(bay: SimulatedBay) -> None:
    seen: list[bool] = []
    bay.firmware.add_occupancy_listener(seen.append)

    bay.firmware.vehicle_present(True)
    bay.firmware.vehicle_present(True)
    bay.firmware.vehicle_present(False)

    assert seen == [True, False]


# -- authority and fair storage (SPEC S5) -----------------------------------------------


def held(firmware: ParkingLockFirmware) -> dict[bytes, object]:
    """What the lock keeps (keys and ledger), as values to compare before and after."""
    return {"keys": dict(firmware.grants), "ledger": firmware.ledger.to_json()}


async def test_a_driver_sharing_31_times_is_stopped_at_the_share_limit_and_the_owner_still_installs(
    car_park: SimulatedCarPark, bay: SimulatedBay, ekey: bytes, driver_key: SigningKey
) -> None:
    plan = bay.firmware.storage
    refusals = []
    for _ in range(31):
        try:
            bay.firmware.apply_grant(share_of(ekey, driver_key, SigningKey.generate()))
        except ShareLimit as err:
            refusals.append(err.reason)

    assert len(refusals) == 31 - plan.per_key
    assert set(refusals) == {"share_limit"}
    assert len(bay.firmware.grants) == 1 + plan.per_key < plan.capacity
    manager = SigningKey.generate()
    managers_key = car_park.issue_ekey(
        bay, subject="manager:mo", holder_key=manager.public_key, not_before=NOW, expires=NOW + HOUR
    )
    bay.firmware.apply_grant(managers_key)
    assert unlock(bay.firmware, managers_key, manager).granted


async def test_shares_together_leave_the_reserved_slots_to_the_owner(
    car_park: SimulatedCarPark, bay: SimulatedBay, ekey: bytes, driver_key: SigningKey
) -> None:
    # Generous per-key and per-member limits, to reach the limit of all shares together.
    plan = bay.firmware.storage = StoragePlan(capacity=32, reserved=4, per_key=28, per_member=28)
    refusal: ShareLimit | None = None
    while refusal is None:
        try:
            bay.firmware.apply_grant(share_of(ekey, driver_key, SigningKey.generate()))
        except ShareLimit as err:
            refusal = err

    assert "kept for the owner" in str(refusal)

    assert len(bay.firmware.grants) == 1 + plan.capacity - plan.reserved
    owner = SigningKey.generate()
    for _ in range(plan.reserved - 1):
        bay.firmware.apply_grant(
            car_park.issue_ekey(
                bay,
                subject="owner",
                holder_key=owner.public_key,
                not_before=NOW,
                expires=NOW + HOUR,
            )
        )
    assert len(bay.firmware.grants) == plan.capacity


async def test_one_member_sharing_from_two_ekeys_is_stopped_at_the_member_limit(
    car_park: SimulatedCarPark, bay: SimulatedBay, driver_key: SigningKey
) -> None:
    plan = bay.firmware.storage
    keys = [
        car_park.issue_ekey(
            bay,
            subject="driver:dana",
            holder_key=driver_key.public_key,
            not_before=NOW,
            expires=NOW + 8 * HOUR,
        )
        for _ in range(2)
    ]
    for key in keys:
        bay.firmware.apply_grant(key)
    half = plan.per_member // 2
    for key in keys:
        for _ in range(half):
            bay.firmware.apply_grant(share_of(key, driver_key, SigningKey.generate()))
    before = held(bay.firmware)

    with pytest.raises(ShareLimit, match="most one member may"):
        bay.firmware.apply_grant(share_of(keys[0], driver_key, SigningKey.generate()))

    assert held(bay.firmware) == before


async def test_a_freeze_signed_by_a_driver_is_refused_and_changes_nothing(
    bay: SimulatedBay, ekey: bytes, driver_key: SigningKey
) -> None:
    friend = SigningKey.generate()
    shared = share_of(ekey, driver_key, friend)
    bay.firmware.apply_grant(shared)
    before = held(bay.firmware)
    member = decode_grant(shared).grant.grant_id

    with pytest.raises(UnauthorisedCommand):
        bay.firmware.set_frozen(
            command(bay.firmware, driver_key, member, CommandAction.FREEZE), True
        )

    assert held(bay.firmware) == before
    assert unlock(bay.firmware, shared, friend).granted


async def test_a_driver_cannot_revoke_another_drivers_key(
    car_park: SimulatedCarPark, bay: SimulatedBay, ekey: bytes, driver_key: SigningKey
) -> None:
    other = SigningKey.generate()
    others_key = car_park.issue_ekey(
        bay, subject="driver:olu", holder_key=other.public_key, not_before=NOW, expires=NOW + HOUR
    )
    bay.firmware.apply_grant(others_key)
    before = held(bay.firmware)

    with pytest.raises(UnauthorisedCommand):
        bay.firmware.revoke(
            command(bay.firmware, driver_key, decode_grant(others_key).grant.grant_id)
        )

    assert held(bay.firmware) == before
    assert unlock(bay.firmware, others_key, other).granted


async def test_a_sharer_takes_back_a_co_use_share_but_not_a_transfer(
    bay: SimulatedBay, ekey: bytes, driver_key: SigningKey
) -> None:
    lent = share_of(ekey, driver_key, SigningKey.generate())
    given = share_of(ekey, driver_key, SigningKey.generate(), mode=ShareMode.TRANSFER)
    bay.firmware.apply_grant(lent)
    bay.firmware.apply_grant(given)

    bay.firmware.revoke(command(bay.firmware, driver_key, decode_grant(lent).grant.grant_id))
    with pytest.raises(UnauthorisedCommand):
        bay.firmware.revoke(command(bay.firmware, driver_key, decode_grant(given).grant.grant_id))

    assert decode_grant(lent).grant.grant_id not in bay.firmware.grants
    assert decode_grant(given).grant.grant_id in bay.firmware.grants


async def test_freezes_sent_by_another_radio_are_refused_and_change_nothing(
    bay: SimulatedBay, ekey: bytes, driver_key: SigningKey
) -> None:
    lock = bay.lock
    assert isinstance(lock, SimulatedParkingLock)
    path = "sim://firmware-tests-peer"
    medium = get_medium(path)
    medium.join(lock)
    peer = RadioPeer(ieee="00:1b:b0:00:00:ff:00:02", nwk=0x7002)
    medium.join(peer)
    try:
        friend = SigningKey.generate()
        shared = share_of(ekey, driver_key, friend)
        bay.firmware.apply_grant(shared)
        member = decode_grant(shared).grant.grant_id
        before = held(bay.firmware)
        nonce = bytes((await peer.request(lock, "challenge_request")).nonce)
        by_driver = command(bay.firmware, driver_key, member, CommandAction.FREEZE, nonce=nonce)
        reasons = []
        for transfer_id, payload in enumerate((cbor2.dumps([member]), by_driver)):
            with pytest.raises(TransferRefused) as raised:
                await send_object(
                    peer.link(lock),
                    device="peer",
                    transfer_id=transfer_id,
                    kind=ObjectKind.freeze,
                    payload=payload,
                )
            reasons.append(raised.value.reason.name)

        assert reasons == ["malformed_record", "unauthorised_command"]
        assert held(bay.firmware) == before
        assert unlock(bay.firmware, shared, friend).granted
    finally:
        await drop_medium(path)
