"""A standard Zigbee door lock in the simulated building, and its landlord's side of it."""

from __future__ import annotations

import base64
import secrets
import time
from dataclasses import dataclass

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from buildinghub.credentials import (
    Grant,
    GrantKind,
    MonotonicClock,
    PublicKey,
    SigningKey,
    issue_grant,
)
from buildinghub.credentials.installation import InstallationRecord, sign_installation
from buildinghub.credentials.sealing import seal_pin
from buildinghub_sim.standard_lock import SimulatedStandardLock
from buildinghub_sim.zcl_lock_firmware import ZclLockFirmware
from custom_components.rental_lock.const import DOMAIN
from tests.components.settling import settle

STANDARD_IEEE = "00:0d:6f:00:00:00:0a:01"
STANDARD_LOCK_ID = "door-std-1"
STANDARD_FLAT = "Flat 3A"
STANDARD_LANDLORD = "landlord:ana"
STANDARD_EVENT = "event.flat_3a_door_access"
STANDARD_LOCK_ENTITY = "lock.flat_3a_door"


def make_standard_lock(
    *, pin_users: int = 4, max_pin_length: int = 8, clock_error: int = 0
) -> SimulatedStandardLock:
    """A factory-new keypad deadbolt (ZCL Door Lock only); its clock ``clock_error`` seconds
    ahead of the building's."""
    return SimulatedStandardLock(
        ZclLockFirmware(
            clock=MonotonicClock(),
            pin_users=pin_users,
            max_pin_length=max_pin_length,
            clock_error=clock_error,
        ),
        ieee=STANDARD_IEEE,
        nwk=0x2A01,
    )


def b64(data: bytes) -> str:
    """As the landlord's app exports a record or a grant."""
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def key_of(text: str) -> PublicKey:
    """A public key the hub handed out (base64url)."""
    return PublicKey.from_bytes(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))


@dataclass
class HubKeys:
    """What the Hub key action tells a landlord."""

    hub: PublicKey
    pin_sealing: PublicKey


async def hub_keys(hass: HomeAssistant) -> HubKeys:
    """Ask the hub for its keys, as the landlord's app does."""
    answer = await hass.services.async_call(
        DOMAIN, "hub_key", {}, blocking=True, return_response=True
    )
    assert answer is not None
    return HubKeys(key_of(str(answer["public_key"])), key_of(str(answer["pin_sealing_key"])))


def installation_record(
    keys: HubKeys,
    landlord_key: SigningKey,
    *,
    lock_id: str = STANDARD_LOCK_ID,
    lock_key: PublicKey | None = None,
) -> bytes:
    """The landlord signs the standard lock's installation record, naming the hub's keys."""
    return sign_installation(
        InstallationRecord(
            lock_id=lock_id,
            flat=STANDARD_FLAT,
            landlord=STANDARD_LANDLORD,
            landlord_key=landlord_key.public_key,
            lock_key=lock_key or keys.hub,
            lock_sealing_key=keys.pin_sealing,
            installed_at=0,
        ),
        landlord_key,
    )


async def install_standard_lock(
    hass: HomeAssistant, record: bytes, *, device: str = STANDARD_IEEE
) -> dict[str, object]:
    """The manager hands the landlord's record to the hub."""
    answer = await hass.services.async_call(
        DOMAIN,
        "install_standard_lock",
        {"device": device, "record": b64(record)},
        blocking=True,
        return_response=True,
    )
    assert answer is not None
    return dict(answer)


async def joined(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Wait until the hub's radio has interviewed the standard lock (it joins on its own)."""
    network = entry.runtime_data.hub.network
    for _ in range(100):
        if any(str(d.ieee) == STANDARD_IEEE and d.is_initialized for d in network.devices()):
            return
        await settle(hass)
    raise AssertionError("the standard lock never finished joining")


async def installed(hass: HomeAssistant, keys: HubKeys, landlord_key: SigningKey) -> None:
    """The manager hands the landlord's record for the standard lock to the hub; it is taken."""
    answer = await install_standard_lock(hass, installation_record(keys, landlord_key))
    await hass.async_block_till_done()
    assert answer == {
        "flat": STANDARD_FLAT,
        "lock_id": STANDARD_LOCK_ID,
        "landlord": STANDARD_LANDLORD,
    }


def standard_grant(
    keys: HubKeys,
    landlord_key: SigningKey,
    *,
    pin: str,
    not_before: int,
    expires: int,
    max_uses: int | None = None,
    subject: str = "guest:flat-3a",
) -> bytes:
    """The landlord's app: a grant for the standard lock with its PIN sealed to the hub."""
    grant_id = secrets.token_bytes(16)
    return issue_grant(
        Grant(
            issuer=STANDARD_LANDLORD,
            subject=subject,
            audience=STANDARD_LOCK_ID,
            not_before=not_before,
            expires=expires,
            issued_at=min(not_before, int(time.time())),
            grant_id=grant_id,
            holder_key=SigningKey.generate().public_key,
            kind=GrantKind.VIEWING,
            max_uses=max_uses,
            sealed_pin=seal_pin(
                pin, keys.pin_sealing, audience=STANDARD_LOCK_ID, grant_id=grant_id
            ),
        ),
        landlord_key,
    )
