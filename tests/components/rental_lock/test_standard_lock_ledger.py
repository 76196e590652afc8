"""Installing a standard Zigbee door lock when the hub trusts landlord keys from the key ledger.

A standard lock has no key of its own, so the ledger has nothing to say about the lock: its
record names the hub's key, and its building is the one the hub serves. What the ledger does
decide is the landlord: the record's key must be the current key of the landlord it names, in
this building (scope before signature, SPEC S2, R3).
"""

from __future__ import annotations

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from pytest_homeassistant_custom_component.common import MockConfigEntry
from zigpy.zcl.clusters.closures import OperationEvent

from buildinghub.credentials import SigningKey
from buildinghub.keylog.entries import rotate_key
from buildinghub_sim.building import SimulatedBuilding
from buildinghub_sim.standard_lock import SimulatedStandardLock

from .conftest import HOUR
from .standard_lock_site import (
    STANDARD_LANDLORD,
    STANDARD_LOCK_ENTITY,
    HubKeys,
    hub_keys,
    install_standard_lock,
    installation_record,
    installed,
    joined,
    make_standard_lock,
    standard_grant,
)
from .test_grants import install
from .test_key_ledger import LedgerCloud, ledger, ledger_entry, register_landlord

__all__ = ["ledger", "ledger_entry"]
PIN = "731904"


@pytest.fixture
async def standard_lock(building: SimulatedBuilding) -> SimulatedStandardLock:
    """A keypad deadbolt on the building network before the hub starts."""
    lock = make_standard_lock()
    building.medium.join(lock)
    return lock


@pytest.fixture
async def keys(
    hass: HomeAssistant, standard_lock: SimulatedStandardLock, ledger_entry: MockConfigEntry
) -> HubKeys:
    """The hub running with the ledger, the standard lock joined: the hub's keys."""
    await joined(hass, ledger_entry)
    return await hub_keys(hass)


@pytest.fixture
def landlord(building: SimulatedBuilding) -> SigningKey:
    """The landlord's key registered in the ledger."""
    return building.landlords[STANDARD_LANDLORD]


async def opens_with_a_grant_of(
    hass: HomeAssistant, keys: HubKeys, key: SigningKey, lock: SimulatedStandardLock, now: int
) -> bool:
    """A grant signed by ``key`` reaches the lock, and its PIN opens the door."""
    await install(hass, standard_grant(keys, key, pin=PIN, not_before=now, expires=now + HOUR))
    return lock.keypad(PIN).code == OperationEvent.Unlock


async def test_a_standard_lock_is_installed_with_the_landlords_ledger_key(
    hass: HomeAssistant,
    keys: HubKeys,
    landlord: SigningKey,
    standard_lock: SimulatedStandardLock,
    start_time: int,
) -> None:
    await installed(hass, keys, landlord)

    assert hass.states.get(STANDARD_LOCK_ENTITY) is not None
    assert await opens_with_a_grant_of(hass, keys, landlord, standard_lock, start_time)


async def test_a_record_signed_by_a_key_the_ledger_does_not_have_is_refused(
    hass: HomeAssistant, keys: HubKeys, landlord: SigningKey
) -> None:
    impostor = SigningKey.generate()  # names the landlord, holds none of their keys

    with pytest.raises(ServiceValidationError, match="key ledger"):
        await install_standard_lock(hass, installation_record(keys, impostor))

    # Nothing was kept: the real landlord installs the lock afterwards.
    assert hass.states.get(STANDARD_LOCK_ENTITY) is None
    await installed(hass, keys, landlord)
    assert hass.states.get(STANDARD_LOCK_ENTITY) is not None


async def test_a_namesake_registered_in_another_building_cannot_install_it(
    hass: HomeAssistant, keys: HubKeys, ledger: LedgerCloud, start_time: int
) -> None:
    namesake = SigningKey.generate()
    other_hub = await ledger.enrolled_hub("Oak Row")
    await register_landlord(other_hub, STANDARD_LANDLORD, namesake, start_time, "Oak Row")

    with pytest.raises(ServiceValidationError, match="Oak Row"):
        await install_standard_lock(hass, installation_record(keys, namesake))
    assert hass.states.get(STANDARD_LOCK_ENTITY) is None


async def test_a_landlord_who_rotated_their_key_signs_the_record_again_with_the_new_one(
    hass: HomeAssistant,
    keys: HubKeys,
    landlord: SigningKey,
    standard_lock: SimulatedStandardLock,
    ledger: LedgerCloud,
    start_time: int,
) -> None:
    await installed(hass, keys, landlord)
    new = SigningKey.generate()
    assert ledger.client is not None
    await ledger.client.rotate(
        rotate_key(landlord, new.public_key, start_time + 60, building="Elm Court"), new
    )

    await installed(hass, keys, new)

    assert await opens_with_a_grant_of(hass, keys, new, standard_lock, start_time)
    # The old key is no longer the landlord's: it installs nothing.
    with pytest.raises(ServiceValidationError, match="key ledger"):
        await install_standard_lock(hass, installation_record(keys, landlord))
