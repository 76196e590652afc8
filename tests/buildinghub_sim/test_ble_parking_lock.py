"""A BLE parking lock in Bumble, reached by a real bleak client through the Bumble backend."""

from __future__ import annotations

import asyncio
import itertools
import os
from collections.abc import AsyncGenerator

import pytest
from bleak import BleakClient
from bleak.backends.device import BLEDevice

from buildinghub.credentials import ShareMode, SigningKey, decode_grant
from buildinghub.credentials.delegation import Chain, ShareTerms, issue_share
from buildinghub.credentials.lock_command import CommandAction, LockCommand, sign_command
from buildinghub.devices.ble_parking_lock import BleParkingLockClient
from buildinghub.devices.door_lock import LockRefused
from buildinghub.devices.lock_authority import LockAuthority
from buildinghub.radio.ble_link import Operation, chunk_size, frame
from buildinghub.radio.cluster import MANUFACTURER_CODE
from buildinghub_sim.ble_air import HeardAdvertisement, drop_ble_air, get_ble_air
from buildinghub_sim.bumble_bleak import BumbleBleakClient
from buildinghub_sim.car_park import SimulatedBay, SimulatedCarPark

NOW = 1_767_225_600
HOUR = 3600
_paths = itertools.count()


class Clock:
    def __init__(self) -> None:
        self.time = NOW

    def now(self) -> int:
        return self.time


@pytest.fixture
async def car_park() -> AsyncGenerator[SimulatedCarPark]:
    path = f"sim://ble-tests-{next(_paths)}"
    made = SimulatedCarPark.create(path, bays=0, ble_bays=1, clock=Clock())
    await made.power_on_ble()
    await get_ble_air(path).start()
    yield made
    await made.power_off_ble()
    await drop_ble_air(path)


@pytest.fixture
def bay(car_park: SimulatedCarPark) -> SimulatedBay:
    return car_park.bays[0]


@pytest.fixture
def client(car_park: SimulatedCarPark, bay: SimulatedBay) -> BleParkingLockClient:
    address = bay.lock.address  # type: ignore[union-attr]
    device = BLEDevice(address, bay.lock_id, {"source": car_park.path})

    async def connect() -> BleakClient:
        bleak = BleakClient(device, backend=BumbleBleakClient)
        await bleak.connect()
        return bleak

    return BleParkingLockClient(address, connect, clock=Clock())


async def test_the_holder_unlocks_over_ble(
    car_park: SimulatedCarPark, bay: SimulatedBay, client: BleParkingLockClient
) -> None:
    driver = SigningKey.generate()
    ekey = car_park.issue_ekey(
        bay,
        subject="driver:dana",
        holder_key=driver.public_key,
        not_before=NOW,
        expires=NOW + HOUR,
        max_uses=2,
    )
    installation = await client.read_installation()
    assert installation.lock_id == bay.lock_id

    await client.install_grant(decode_grant(ekey))
    request = await client.prepare_unlock(decode_grant(ekey), driver)
    await client.send_unlock(request)

    assert not bay.firmware.locked
    copied = await client.prepare_unlock(decode_grant(ekey), SigningKey.generate())
    with pytest.raises(LockRefused, match="proof_mismatch"):
        await client.send_unlock(copied)
    await client.close()


async def test_occupancy_is_advertised(car_park: SimulatedCarPark, bay: SimulatedBay) -> None:
    heard: list[HeardAdvertisement] = []
    get_ble_air(car_park.path).add_listener(heard.append)

    bay.lock.vehicle_present(True)
    for _ in range(50):
        await asyncio.sleep(0.01)
        if any(h.manufacturer_data.get(MANUFACTURER_CODE) == b"\x01\x03" for h in heard):
            break

    assert heard[-1].manufacturer_data[MANUFACTURER_CODE] == b"\x01\x03"  # occupied, locked
    assert heard[-1].local_name == bay.lock_id


def test_chunks_fit_the_mtu_and_512_bytes() -> None:
    assert chunk_size(23) == 20
    assert chunk_size(247) == 244
    assert chunk_size(517) == 512
    chunks = frame(bytes(1000), 247)
    assert [len(c) for c in chunks] == [244, 244, 244, 244, 26]


async def test_commands_over_ble_need_the_owners_authority(
    car_park: SimulatedCarPark, bay: SimulatedBay, client: BleParkingLockClient
) -> None:
    driver, friend = SigningKey.generate(), SigningKey.generate()
    ekey = decode_grant(
        car_park.issue_ekey(
            bay,
            subject="driver:dana",
            holder_key=driver.public_key,
            not_before=NOW,
            expires=NOW + HOUR,
        )
    )
    shared = decode_grant(
        issue_share(
            ekey,
            driver,
            ShareTerms(
                recipient="friend:femi",
                recipient_key=friend.public_key,
                not_before=NOW,
                expires=NOW + HOUR,
                max_uses=None,
                mode=ShareMode.CO_USE,
            ),
            grant_id=os.urandom(16),
            now=NOW,
        )
    )
    installation = await client.read_installation()
    await client.install_chain(Chain((ekey, shared)))
    member = shared.grant.grant_id
    authority = LockAuthority(Clock())
    before = (sorted(bay.firmware.grants), bay.firmware.ledger.to_json())

    # Any central can connect: an unsigned revocation, and a freeze signed by the driver.
    with pytest.raises(LockRefused, match="malformed_record"):
        await client.request(Operation.revoke, member)
    nonce = await client.challenge()
    forged = sign_command(
        LockCommand(
            lock=bay.lock_id, action=CommandAction.FREEZE, grant_id=member, until=NOW, nonce=nonce
        ),
        driver,
    )
    with pytest.raises(LockRefused, match="unauthorised_command"):
        await client.send_command(forged, CommandAction.FREEZE)
    assert (sorted(bay.firmware.grants), bay.firmware.ledger.to_json()) == before

    await authority.async_send(
        client, installation, CommandAction.FREEZE, member, key=car_park.owners[bay.owner]
    )
    assert bay.firmware.ledger.state(member).frozen  # type: ignore[union-attr]
    await client.close()
