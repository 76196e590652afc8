"""The hub's door lock client against the simulated lock, over the real zigpy stack."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace

import cbor2
import pytest
import zigpy.device
import zigpy.types as t
from zigpy.zcl import foundation

from buildinghub.credentials import (
    Grant,
    GrantKind,
    SignedGrant,
    SigningKey,
    UnauthorisedCommand,
    decode_grant,
    issue_grant,
)
from buildinghub.credentials.lock_command import (
    Appointment,
    CommandAction,
    LockCommand,
    appoint_manager,
    sign_command,
)
from buildinghub.credentials.sealing import seal_pin
from buildinghub.devices import door_lock
from buildinghub.devices.door_lock import DoorLockClient, LockRefused
from buildinghub.devices.door_lock_protocol import AccessEvent, AccessMethod
from buildinghub.devices.lock_authority import LockAuthority
from buildinghub.radio.cluster import MANUFACTURER_CODE, BuildingHubCluster, ObjectKind
from buildinghub.radio.errors import DeviceUnreachable
from buildinghub.radio.network import BuildingNetwork
from buildinghub.radio.transfer import TransferRefused, send_object
from buildinghub_sim.building import (
    SimulatedBuilding,
    SimulatedFlat,
    forget_building,
    register_building,
)
from buildinghub_sim.door_lock import MAX_OBJECT_SIZE
from buildinghub_sim.door_lock_firmware import DoorLockFirmware
from buildinghub_sim.medium import Medium, drop_medium
from buildinghub_sim.radio_peer import RadioPeer

NOW = 1_767_225_600  # 2026-01-01T00:00:00Z
HOUR = 3600
DAY = 24 * HOUR
PIN = "731904"


class Clock:
    """The building's time, shared by the locks and the hub, set by the test."""

    def __init__(self, now: int) -> None:
        self.time = now

    def now(self) -> int:
        return self.time


class Interviewed:
    """zigpy listener: resolves when every expected device has been interviewed."""

    def __init__(self, expected: set[t.EUI64]) -> None:
        self._waiting = set(expected)
        self.devices: dict[t.EUI64, zigpy.device.Device] = {}
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def device_initialized(self, device: zigpy.device.Device) -> None:
        self.devices[device.ieee] = device
        self._waiting.discard(device.ieee)
        if not self._waiting and not self.done.done():
            self.done.set_result(None)


@dataclass
class Site:
    """A running two-flat building and the hub's client for the first flat's lock."""

    building: SimulatedBuilding
    clock: Clock
    hub_key: SigningKey
    client: DoorLockClient
    devices: dict[t.EUI64, zigpy.device.Device]

    @property
    def flat(self) -> SimulatedFlat:
        return self.building.flats[0]

    @property
    def firmware(self) -> DoorLockFirmware:
        return self.flat.lock.firmware

    @property
    def medium(self) -> Medium:
        return self.building.medium

    def lease(self, *, holder: SigningKey | None = None, **changes: object) -> SignedGrant:
        """A grant for the first flat's lock, signed by its landlord, held by the hub."""
        flat = self.flat
        grant = Grant(
            issuer=flat.landlord,
            subject=flat.tenant,
            audience=flat.lock_id,
            not_before=NOW - HOUR,
            expires=NOW + 30 * DAY,
            issued_at=NOW - HOUR,
            grant_id=os.urandom(16),
            holder_key=(holder or self.hub_key).public_key,
            kind=GrantKind.LEASE,
        )
        grant = replace(grant, **changes)  # type: ignore[arg-type]
        return decode_grant(issue_grant(grant, self.building.landlords[flat.landlord]))


@pytest.fixture
async def site(request: pytest.FixtureRequest) -> AsyncIterator[Site]:
    path = f"sim://door-lock-radio-{request.node.name}"
    clock = Clock(NOW)
    building = SimulatedBuilding.create(path, flats=2, clock=clock)
    register_building(building)
    building.power_on()
    network = BuildingNetwork(path)
    try:
        await network.start()
        interviewed = Interviewed({flat.lock.ieee for flat in building.flats})
        network.add_listener(interviewed)
        building.announce(set())
        async with asyncio.timeout(5):
            await interviewed.done
        network.remove_listener(interviewed)
        device = interviewed.devices[building.flats[0].lock.ieee]
        hub_key = SigningKey.generate()
        yield Site(
            building, clock, hub_key, DoorLockClient(device, clock=clock), interviewed.devices
        )
    finally:
        await network.stop()
        forget_building(path)
        await drop_medium(path)


async def next_event(client: DoorLockClient, action: Callable[[], object]) -> AccessEvent:
    """Run ``action`` and return the next access event the hub hears from the lock."""
    heard: asyncio.Future[AccessEvent] = asyncio.get_running_loop().create_future()

    def hear(event: AccessEvent) -> None:
        if not heard.done():
            heard.set_result(event)

    stop = client.add_access_listener(hear)
    try:
        result = action()
        if asyncio.iscoroutine(result):
            await result
        async with asyncio.timeout(5):
            return await heard
    finally:
        stop()


# -- installation and grants -------------------------------------------------------------


async def test_the_hub_reads_the_landlord_signed_installation_record(site: Site) -> None:
    record = await site.client.read_installation()

    assert record == site.firmware.installation
    assert (record.lock_id, record.flat, record.landlord) == (
        site.flat.lock_id,
        site.flat.name,
        site.flat.landlord,
    )


async def test_a_good_grant_is_stored_on_the_lock(site: Site) -> None:
    grant = site.lease()

    await site.client.install_grant(grant)

    assert list(site.firmware.grants) == [grant.grant.grant_id]
    assert site.firmware.grants[grant.grant.grant_id].signed.encoded == grant.encoded


async def test_a_grant_with_a_pin_opens_the_keypad_after_delivery(site: Site) -> None:
    grant_id = os.urandom(16)
    sealed = seal_pin(
        PIN,
        site.firmware.sealing_key.public_key,
        audience=site.flat.lock_id,
        grant_id=grant_id,
    )
    await site.client.install_grant(site.lease(grant_id=grant_id, sealed_pin=sealed))

    event = await next_event(site.client, lambda: site.flat.lock.keypad(PIN))

    assert (event.method, event.granted, event.grant_id) == (AccessMethod.KEYPAD, True, grant_id)


async def refused(site: Site, grant: SignedGrant) -> str:
    """Deliver ``grant``, expect a refusal and check the lock's store did not change."""
    before = dict(site.firmware.grants)
    with pytest.raises(LockRefused) as raised:
        await site.client.install_grant(grant)
    assert site.firmware.grants == before
    return raised.value.reason


async def test_a_grant_with_a_forged_signature_is_refused(site: Site) -> None:
    genuine = site.lease()
    forged = bytearray(genuine.encoded)
    forged[-1] ^= 0x01

    reason = await refused(site, SignedGrant(genuine.grant, bytes(forged), genuine.kid))

    assert reason == "bad_signature"


async def test_a_grant_for_the_other_flats_lock_is_refused(site: Site) -> None:
    other = site.building.flats[1].lock_id

    assert await refused(site, site.lease(audience=other)) == "wrong_audience"


async def test_an_expired_grant_is_refused(site: Site) -> None:
    expired = site.lease(not_before=NOW - 2 * DAY, expires=NOW - DAY)

    assert await refused(site, expired) == "expired"


async def test_a_grant_tampered_with_on_the_air_is_refused(site: Site) -> None:
    def flip_last_byte(frame: bytes) -> bytes:
        return frame[:-1] + bytes([frame[-1] ^ 0xFF])

    site.medium.tamper_next(lambda frame: frame)  # transfer_begin arrives intact
    site.medium.tamper_next(flip_last_byte)  # the first chunk does not

    assert await refused(site, site.lease()) == "digest_mismatch"


async def test_an_object_larger_than_the_lock_holds_is_refused_at_begin(site: Site) -> None:
    genuine = site.lease()
    oversized = SignedGrant(genuine.grant, genuine.encoded + bytes(MAX_OBJECT_SIZE), genuine.kid)
    frames_before = site.medium.stats.to_device.frames

    assert await refused(site, oversized) == "oversized"
    assert site.medium.stats.to_device.frames == frames_before + 1


async def test_a_grant_whose_commit_answer_was_lost_is_reported_installed(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(door_lock, "REQUEST_TIMEOUT_S", 0.2)
    lock = site.flat.lock
    commit = lock._commit

    def commit_and_lose_the_answer(transfer_id: int) -> object:
        site.medium.drop_next(direction="to_hub", error=False)
        monkeypatch.setattr(lock, "_commit", commit)
        return commit(transfer_id)

    monkeypatch.setattr(lock, "_commit", commit_and_lose_the_answer)
    grant = site.lease()

    await site.client.install_grant(grant)

    assert list(site.firmware.grants) == [grant.grant.grant_id]
    assert site.medium.stats.to_hub.dropped == 1


# -- remote unlock -----------------------------------------------------------------------


async def test_the_holder_key_opens_the_door_and_the_hub_hears_it(site: Site) -> None:
    grant = site.lease(kind=GrantKind.REMOTE)
    await site.client.install_grant(grant)

    event = await next_event(site.client, lambda: site.client.unlock(grant, site.hub_key))

    assert not site.firmware.locked
    assert (event.method, event.granted, event.reason) == (AccessMethod.REMOTE, True, "granted")
    assert event.grant_id == grant.grant.grant_id


async def test_a_copied_grant_with_another_key_does_not_open(site: Site) -> None:
    grant = site.lease(kind=GrantKind.REMOTE)
    await site.client.install_grant(grant)

    with pytest.raises(LockRefused) as raised:
        await site.client.unlock(grant, SigningKey.generate())

    assert raised.value.reason == "proof_mismatch"
    assert site.firmware.locked


async def test_the_hub_hears_a_refused_attempt_with_its_reason(site: Site) -> None:
    event = await next_event(site.client, lambda: site.flat.lock.keypad("0000"))

    assert (event.method, event.granted, event.reason) == (
        AccessMethod.KEYPAD,
        False,
        "unknown_credential",
    )


async def test_the_hub_can_bolt_the_door_again(site: Site) -> None:
    grant = site.lease(kind=GrantKind.REMOTE)
    await site.client.install_grant(grant)
    await site.client.unlock(grant, site.hub_key)

    await site.client.lock()

    assert site.firmware.locked


# -- revoking and purging ----------------------------------------------------------------


def appointed(site: Site) -> LockAuthority:
    """The hub's authority, holding the first flat's landlord's appointment of its key."""
    authority = LockAuthority(site.clock)
    landlord = site.building.landlords[site.flat.landlord]
    appointment = appoint_manager(
        Appointment(lock=site.flat.lock_id, manager_key=site.hub_key.public_key, expires=NOW + DAY),
        landlord,
    )
    installation = site.firmware.installation
    assert installation is not None
    authority.appoint(appointment, installation, site.hub_key.public_key)
    return authority


async def hub_revokes(site: Site, grant_id: bytes) -> None:
    """The hub revokes a grant under the landlord's appointment, as Rental Lock does."""
    installation = site.firmware.installation
    assert installation is not None
    await appointed(site).async_send(
        site.client, installation, CommandAction.REVOKE, grant_id, key=site.hub_key
    )


async def test_a_revoked_grant_is_dropped_by_the_lock(site: Site) -> None:
    grant = site.lease()
    await site.client.install_grant(grant)

    await hub_revokes(site, grant.grant.grant_id)

    assert site.firmware.grants == {}
    assert await refused(site, grant) == "revoked"


async def test_the_hub_without_an_appointment_sends_no_revocation(site: Site) -> None:
    grant = site.lease()
    await site.client.install_grant(grant)
    installation = site.firmware.installation
    assert installation is not None
    frames_before = site.medium.stats.to_device.frames

    with pytest.raises(UnauthorisedCommand):
        await LockAuthority(site.clock).async_send(
            site.client, installation, CommandAction.REVOKE, grant.grant.grant_id, key=site.hub_key
        )

    assert site.medium.stats.to_device.frames == frames_before
    assert list(site.firmware.grants) == [grant.grant.grant_id]


# -- what another radio on the network can try (SPEC S5) ---------------------------------


@pytest.fixture
async def peer(site: Site) -> RadioPeer:
    """Another node on the building network (it holds the network key, as every node does)."""
    node = RadioPeer(ieee="00:1b:b0:00:00:ff:00:01", nwk=0x7001)
    site.medium.join(node)
    return node


async def peer_sends(site: Site, peer: RadioPeer, kind: ObjectKind, payload: bytes) -> str:
    """Send an object to the first flat's lock from ``peer``; return the lock's refusal."""
    with pytest.raises(TransferRefused) as raised:
        await send_object(
            peer.link(site.flat.lock), device="peer", transfer_id=7, kind=kind, payload=payload
        )
    return raised.value.reason.name


async def pin_lease(site: Site) -> SignedGrant:
    grant_id = os.urandom(16)
    sealed = seal_pin(
        PIN, site.firmware.sealing_key.public_key, audience=site.flat.lock_id, grant_id=grant_id
    )
    grant = site.lease(grant_id=grant_id, sealed_pin=sealed)
    await site.client.install_grant(grant)
    return grant


def stored(site: Site) -> dict[bytes, bytes]:
    return {gid: g.signed.encoded for gid, g in site.firmware.grants.items()}


async def test_an_unsigned_revocation_from_another_radio_is_refused(
    site: Site, peer: RadioPeer
) -> None:
    grant = await pin_lease(site)
    before = stored(site)

    reason = await peer_sends(
        site, peer, ObjectKind.revocation, cbor2.dumps([grant.grant.grant_id])
    )

    assert reason == "malformed_record"
    assert stored(site) == before
    assert site.flat.lock.keypad(PIN).granted


async def test_a_revocation_by_another_buildings_landlord_from_another_radio_is_refused(
    site: Site, peer: RadioPeer
) -> None:
    grant = await pin_lease(site)
    before = stored(site)
    other_landlord = SigningKey.generate()
    intruder = SigningKey.generate()
    appointment = appoint_manager(
        Appointment(lock=site.flat.lock_id, manager_key=intruder.public_key, expires=NOW + DAY),
        other_landlord,
    )
    for key, appointed_by in ((other_landlord, None), (intruder, appointment)):
        command = sign_command(
            LockCommand(
                lock=site.flat.lock_id,
                action=CommandAction.REVOKE,
                grant_id=grant.grant.grant_id,
                until=NOW + DAY,
                nonce=bytes((await peer.request(site.flat.lock, "challenge_request")).nonce),
            ),
            key,
            appointed_by,
        )

        assert await peer_sends(site, peer, ObjectKind.revocation, command) == (
            "unauthorised_command"
        )
    assert stored(site) == before
    assert site.flat.lock.keypad(PIN).granted


def record_transfers(medium: Medium) -> tuple[dict[ObjectKind, bytes], Callable[[], None]]:
    """A sniffer on the air: the objects of the transfers it hears, by kind."""
    kinds: dict[int, ObjectKind] = {}
    chunks: dict[int, dict[int, bytes]] = {}
    objects: dict[ObjectKind, bytes] = {}
    commands = BuildingHubCluster.ServerCommandDefs

    def hear(direction: str, data: bytes) -> None:
        header, payload = foundation.ZCLHeader.deserialize(data)
        if direction != "to_device" or header.manufacturer != MANUFACTURER_CODE:
            return
        if header.command_id == commands.transfer_begin.id:
            begin, _ = commands.transfer_begin.schema.deserialize(payload)
            kinds[begin.transfer_id], chunks[begin.transfer_id] = begin.kind, {}
        elif header.command_id == commands.transfer_chunk.id:
            chunk, _ = commands.transfer_chunk.schema.deserialize(payload)
            parts = chunks.get(chunk.transfer_id, {})
            parts[chunk.offset] = bytes(chunk.data)
            objects[kinds[chunk.transfer_id]] = b"".join(parts[o] for o in sorted(parts))

    return objects, medium.add_tap(hear)


async def test_a_recorded_revocation_replayed_from_another_radio_is_refused(
    site: Site, peer: RadioPeer
) -> None:
    revoked = site.lease()
    await site.client.install_grant(revoked)
    heard, stop = record_transfers(site.medium)
    await hub_revokes(site, revoked.grant.grant_id)
    stop()
    kept = await pin_lease(site)
    before = stored(site)

    reason = await peer_sends(site, peer, ObjectKind.revocation, heard[ObjectKind.revocation])

    assert reason == "stale_challenge"
    assert stored(site) == before == {kept.grant.grant_id: kept.encoded}
    assert site.flat.lock.keypad(PIN).granted


async def test_a_revocation_recorded_at_another_lock_is_refused_at_this_one(
    site: Site, peer: RadioPeer
) -> None:
    await pin_lease(site)
    before = stored(site)
    other = site.building.flats[1]
    other_client = DoorLockClient(site.devices[other.lock.ieee], clock=site.clock)
    other_grant = decode_grant(
        issue_grant(
            replace(site.lease().grant, audience=other.lock_id, issuer=other.landlord),
            site.building.landlords[other.landlord],
        )
    )
    await other_client.install_grant(other_grant)
    other_installation = other.lock.firmware.installation
    assert other_installation is not None
    authority = LockAuthority(site.clock)
    authority.appoint(
        appoint_manager(
            Appointment(lock=other.lock_id, manager_key=site.hub_key.public_key, expires=NOW + DAY),
            site.building.landlords[other.landlord],
        ),
        other_installation,
        site.hub_key.public_key,
    )
    heard, stop = record_transfers(site.medium)
    await authority.async_send(
        other_client,
        other_installation,
        CommandAction.REVOKE,
        other_grant.grant.grant_id,
        key=site.hub_key,
    )
    stop()

    reason = await peer_sends(site, peer, ObjectKind.revocation, heard[ObjectKind.revocation])

    assert reason == "wrong_audience"
    assert stored(site) == before
    assert site.flat.lock.keypad(PIN).granted


# -- transfers queue ------------------------------------------------------------------------


async def test_concurrent_transfers_to_one_lock_queue_and_all_arrive(site: Site) -> None:
    grants = [site.lease() for _ in range(6)]
    second_client = DoorLockClient(site.devices[site.flat.lock.ieee], clock=site.clock)
    clients = [site.client, second_client] * 3

    await asyncio.gather(
        *(client.install_grant(grant) for client, grant in zip(clients, grants, strict=True))
    )

    assert set(site.firmware.grants) == {g.grant.grant_id for g in grants}


async def test_purging_returns_how_many_expired_grants_the_lock_removed(site: Site) -> None:
    for expires in (NOW + HOUR, NOW + 2 * HOUR, NOW + DAY):
        await site.client.install_grant(site.lease(expires=expires))
    site.clock.time = NOW + 2 * HOUR

    assert await site.client.purge_expired() == 2
    assert len(site.firmware.grants) == 1


# -- status and reachability -------------------------------------------------------------


async def test_the_status_shows_bolt_battery_clock_and_grants(site: Site) -> None:
    await site.client.install_grant(site.lease())

    status = await site.client.read_status()

    assert status == door_lock.LockStatus(
        locked=True, battery_percent=90, device_time=NOW, grant_count=1
    )


async def test_a_lock_out_of_range_is_unreachable(site: Site) -> None:
    site.medium.set_online(site.flat.lock.ieee, False)

    with pytest.raises(DeviceUnreachable) as raised:
        await site.client.read_status()

    assert raised.value.ieee == site.client.ieee


async def test_a_grant_for_a_lock_out_of_range_is_unreachable(site: Site) -> None:
    site.medium.set_online(site.flat.lock.ieee, False)

    with pytest.raises(DeviceUnreachable):
        await site.client.install_grant(site.lease())
    assert site.firmware.grants == {}


async def test_a_status_read_whose_frame_is_lost_fails_once_and_is_not_resent(
    site: Site,
) -> None:
    sent_before = site.medium.stats.to_device.frames
    site.medium.drop_next(1, error=True)

    with pytest.raises(DeviceUnreachable):
        await site.client.read_status()

    # The library sends each request once (zigpy 2 would resend it twice by itself).
    assert site.medium.stats.to_device.dropped == 1
    assert site.medium.stats.to_device.frames == sent_before
    assert (await site.client.read_status()).locked


async def test_a_lost_step_is_resent_by_the_transfer_and_the_grant_arrives(site: Site) -> None:
    grant = site.lease()
    site.medium.drop_next(1, error=True)  # the transfer's first frame is not acknowledged

    await site.client.install_grant(grant)

    assert list(site.firmware.grants) == [grant.grant.grant_id]
    assert site.medium.stats.to_device.dropped == 1
