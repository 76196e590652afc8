"""How fast a parking lock verifies a share chain, against the bare ES256 verifies inside it.

ekey_chain_verify_per_s: verify a 3-link chain (the owner's e-key, a share to a friend, the
friend's share to a guest) with buildinghub.credentials.delegation.verify_chain: three
signatures, every narrowing rule, revocation and window, for a chain the bay has seen
before (its links decoded and holder keys parsed come from the library's bounded caches).
ekey_chain_verify_first_seen_per_s: the same for chains never seen before (more of them
than the caches hold, each with its own keys).
raw_es256_verify_per_s: cryptography's bare ECDSA P-256 verify of a message the size of one
link's Sig_structure, measured alternately in the same run.
chain_over_raw_es256 = chain rate / raw rate (and first_seen_chain_over_raw_es256): a chain
holds three signatures, so 1/3 = 0.333 would mean no cost beyond the bare verifies.
ble_unlock_p50_ms / ble_unlock_p99_ms: the hub's whole app unlock over BLE, simulated link:
BleParkingLockClient asks the lock for a nonce, signs it and sends the proof, each message
framed into GATT writes and notifications, through a real bleak client (Bumble backend) to
the reference firmware in a Bumble GATT peripheral, until the lock's answer is back. The
connection is open already (ble_connect_ms is the first connection, service discovery and
MTU exchange). In-process: no radio air time, so this is the software path's cost.
"""

import argparse
import asyncio
import os
import statistics
import time

from bleak import BleakClient
from bleak.backends.device import BLEDevice

from buildinghub.credentials import (
    Grant,
    GrantKind,
    GrantVerifier,
    MonotonicClock,
    ShareMode,
    SigningKey,
    StaticTrustStore,
    TrustedIssuer,
    decode_grant,
    issue_grant,
)
from buildinghub.credentials.delegation import ShareTerms, issue_share, verify_chain
from buildinghub.devices.ble_parking_lock import BleParkingLockClient
from buildinghub_sim.ble_air import drop_ble_air, get_ble_air
from buildinghub_sim.bumble_bleak import BumbleBleakClient
from buildinghub_sim.car_park import SimulatedCarPark

from .es256 import best_against_raw, first_seen, first_seen_pool_size

_NOW = 1_767_225_600  # 2026-01-01T00:00:00Z
_OWNER = "owner:olga"
_BAY = "car-park-2-bay-017"
_DAY = 86_400


def main(argv: list[str]) -> dict[str, object]:
    """Measure and return the numbers."""
    parser = argparse.ArgumentParser(prog="python -m bench unlock")
    parser.add_argument("--rounds", type=int, default=5, help="rounds per measurement")
    parser.add_argument("--seconds", type=float, default=1.0, help="length of one round")
    parser.add_argument("--samples", type=int, default=300, help="BLE unlocks timed")
    options = parser.parse_args(argv)

    owner_key = SigningKey.generate()
    links = three_link_chain(owner_key)
    verifier = GrantVerifier(
        _BAY,
        StaticTrustStore([TrustedIssuer(_OWNER, owner_key.public_key)]),
        MonotonicClock(lambda: _NOW),
    )
    assert len(verify_chain(verifier, links).links) == 3

    unseen = [three_link_chain(owner_key) for _ in range(first_seen_pool_size(len(links)))]

    def chain_verify() -> None:
        verify_chain(verifier, links)

    def verify(chain: list[bytes]) -> None:
        verify_chain(verifier, chain)

    best, raw_best = best_against_raw(
        {"seen": chain_verify, "first_seen": first_seen(unseen, verify)},
        links[-1],
        rounds=options.rounds,
        seconds=options.seconds,
    )
    return {
        "ekey_chain_verify_per_s": round(best["seen"]),
        "ekey_chain_verify_first_seen_per_s": round(best["first_seen"]),
        "raw_es256_verify_per_s": round(raw_best),
        "chain_links": len(links),
        "chain_over_raw_es256": round(best["seen"] / raw_best, 3),
        "first_seen_chain_over_raw_es256": round(best["first_seen"] / raw_best, 3),
        "chain_bytes": sum(len(link) for link in links),
        **asyncio.run(_ble_unlocks(options.samples)),
    }


async def _ble_unlocks(samples: int) -> dict[str, float]:
    """Time app unlocks over the simulated BLE link, with the connection open."""
    car_park = SimulatedCarPark.create("sim://bench-ble", bays=0, ble_bays=1)
    bay = car_park.bays[0]
    await car_park.power_on_ble()
    air = get_ble_air(car_park.path)
    await air.start()
    driver = SigningKey.generate()
    now = int(time.time())
    ekey = decode_grant(
        car_park.issue_ekey(
            bay,
            subject="driver-0042",
            holder_key=driver.public_key,
            not_before=now - 60,
            expires=now + _DAY,
        )
    )
    address = str(bay.lock.address)  # type: ignore[union-attr]
    device = BLEDevice(address, bay.lock_id, {"source": car_park.path})

    async def connect() -> BleakClient:
        client = BleakClient(device, backend=BumbleBleakClient)
        await client.connect()
        return client

    client = BleParkingLockClient(address, connect, clock=MonotonicClock())
    try:
        start = time.perf_counter()
        await client.install_grant(ekey)  # connects first
        connect_ms = (time.perf_counter() - start) * 1000
        timings = []
        for _ in range(samples):
            start = time.perf_counter()
            request = await client.prepare_unlock(ekey, driver)
            await client.send_unlock(request)
            timings.append((time.perf_counter() - start) * 1000)
            bay.firmware.lock()
    finally:
        await client.close()
        await car_park.power_off_ble()
        await drop_ble_air(car_park.path)
    percentiles = statistics.quantiles(timings, n=100)
    return {
        "ble_connect_ms": round(connect_ms, 2),
        "ble_unlock_p50_ms": round(percentiles[49], 3),
        "ble_unlock_p99_ms": round(percentiles[98], 3),
        "ble_unlock_samples": samples,
    }


def three_link_chain(owner_key: SigningKey) -> list[bytes]:
    driver, friend, guest = (SigningKey.generate() for _ in range(3))
    ekey = issue_grant(
        Grant(
            issuer=_OWNER,
            subject="driver-0042@car-park-2",
            audience=_BAY,
            not_before=_NOW - _DAY,
            expires=_NOW + 30 * _DAY,
            issued_at=_NOW - _DAY,
            grant_id=os.urandom(16),
            holder_key=driver.public_key,
            kind=GrantKind.EKEY,
            max_uses=60,
            may_share=True,
        ),
        owner_key,
    )
    first = issue_share(
        decode_grant(ekey),
        driver,
        ShareTerms(
            recipient="friend-0107@car-park-2",
            recipient_key=friend.public_key,
            not_before=_NOW - 3600,
            expires=_NOW + 7 * _DAY,
            max_uses=10,
            mode=ShareMode.CO_USE,
            may_share=True,
        ),
        grant_id=os.urandom(16),
        now=_NOW,
    )
    second = issue_share(
        decode_grant(first),
        friend,
        ShareTerms(
            recipient="guest-0311@car-park-2",
            recipient_key=guest.public_key,
            not_before=_NOW - 60,
            expires=_NOW + _DAY,
            max_uses=3,
            mode=ShareMode.CO_USE,
        ),
        grant_id=os.urandom(16),
        now=_NOW,
    )
    return [ekey, first, second]
