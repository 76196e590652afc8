"""SPEC S2 through the cloud's API: the key ledger is scoped by building.

Each test is an attack as issue 13 found it: a hub enrolled for another building, a stranger
claiming someone's identity, a namesake landlord. Each is refused with a specific error and
leaves the ledger (and every people's table) exactly as it was.
"""

from __future__ import annotations

import base64
from pathlib import Path
from urllib.parse import quote

import pytest

from buildinghub.credentials import SigningKey
from buildinghub.credentials.clock import MonotonicClock
from buildinghub.credentials.installation import InstallationRecord, sign_installation
from buildinghub.keylog.client import LedgerClient
from buildinghub.keylog.entries import (
    KeyRegistration,
    KeyRevocation,
    RecordKind,
    Role,
    SignedRecord,
    decode_entry,
)
from buildinghub.keylog.errors import LandlordNotTrusted
from buildinghub.keylog.identity import identity_lookup_hash
from buildinghub.keylog.landlord_trust import trusted_landlord
from buildinghub.keylog.mirror import LedgerMirror
from buildinghub.keylog.records import (
    CheckMethod,
    IdentityCheckRecord,
    ListingRecord,
    listing_digest,
    sign_identity_check,
    sign_listing,
)
from buildinghub.keylog.trusted_view import TrustedLogView
from buildinghub.tenancy.contract import verify_contract
from tests.cloud_connector.people import (
    NOW,
    OTHER_BUILDING,
    SALT,
    STATION,
    Person,
    check_identity,
    lease,
    other_hub,
    person,
    refused,
    register,
    station,
)
from tests.cloud_site import BUILDING
from tests.ledger_site import LedgerSite

LANDLORD = "landlord.elm-court.example"


def _landlord_entry(key: SigningKey, building: str, subject: str = LANDLORD) -> KeyRegistration:
    return KeyRegistration(
        Role.LANDLORD, key.public_key, bytes(32), subject, NOW, building=building
    )


def _listing(details: bytes, landlord: str = LANDLORD) -> ListingRecord:
    return ListingRecord(
        listing_id="flat-1a-2026",
        flat="Flat 1A",
        landlord=landlord,
        details_digest=listing_digest(details),
        listed_at=NOW,
    )


async def _listing_proof(ledger: LedgerSite, building: str) -> bytes:
    path = f"/v1/ledger/buildings/{quote(building)}/listings/{quote('Flat 1A')}"
    async with ledger.site.session.get(ledger.url + path) as response:
        assert response.status == 200
        [found] = (await response.json())["entries"]
    entry = decode_entry(base64.b64decode(found["entry"]))
    assert isinstance(entry, SignedRecord)
    return entry.record


async def _entries_of(ledger: LedgerSite, who: Person) -> list[object]:
    kid = who.key.public_key.kid.hex()
    async with ledger.site.session.get(f"{ledger.url}/v1/ledger/keys/{kid}") as response:
        entries: list[object] = (await response.json())["entries"]
    return entries


async def test_another_buildings_hub_cannot_register_a_key_in_this_buildings_name(
    ledger: LedgerSite, landlord: Person
) -> None:
    intruder = await other_hub(ledger)
    impostor = SigningKey.generate()

    err = await refused(
        ledger, intruder.register(_landlord_entry(impostor, BUILDING, "landlord:second"), impostor)
    )

    assert (err.status, err.reason) == (403, "wrong_building")
    assert "enrolled for 'Oak House'" in str(err)


async def test_a_second_active_key_for_a_landlords_name_in_one_building_is_refused(
    ledger: LedgerSite, landlord: Person
) -> None:
    second = SigningKey.generate()

    err = await refused(ledger, ledger.hub.register(_landlord_entry(second, BUILDING), second))

    assert (err.status, err.reason) == (409, "subject_taken")


async def test_another_buildings_hub_cannot_revoke_this_buildings_landlord_or_tenant_keys(
    ledger: LedgerSite, landlord: Person, tenant: Person
) -> None:
    intruder = await other_hub(ledger)

    for victim in (landlord, tenant):
        for named in (BUILDING, OTHER_BUILDING):
            revocation = KeyRevocation(victim.key.public_key.kid, NOW, "moved out", building=named)
            err = await refused(ledger, intruder.revoke(revocation))
            assert (err.status, err.reason) == (403, "wrong_building")

    # Both keys are as they were: registered (the tenant's bound), never revoked; they sign on.
    assert [len(await _entries_of(ledger, who)) for who in (landlord, tenant)] == [1, 2]
    assert (await landlord.tenancy(ledger).submit_contract(lease(landlord, tenant)))[1] is True


async def test_a_namesake_landlord_of_another_building_neither_replaces_a_listing_nor_is_trusted(
    ledger: LedgerSite, landlord: Person, tenant: Person, tmp_path: Path
) -> None:
    genuine = sign_listing(_listing(b"2 rooms, 54 m2, 950 EUR"), landlord.key)
    await ledger.anyone.publish(SignedRecord(RecordKind.LISTING, genuine))
    # Another building's hub registers a key under this building's landlord's name, in its own
    # building (the only one it may name), and lists "Flat 1A" with it.
    intruder = await other_hub(ledger)
    namesake = SigningKey.generate()
    await intruder.register(_landlord_entry(namesake, OTHER_BUILDING), namesake)
    fake = sign_listing(_listing(b"1 room, bargain, pay upfront"), namesake)
    await ledger.anyone.publish(SignedRecord(RecordKind.LISTING, fake))

    assert await _listing_proof(ledger, BUILDING) == genuine
    assert await _listing_proof(ledger, OTHER_BUILDING) == fake
    # It signs no contract of this building ...
    contract = lease(Person(LANDLORD, bytes(32), key=namesake), tenant)
    err = await refused(ledger, tenant.tenancy(ledger).submit_contract(contract))
    assert (err.status, err.reason) == (403, "not_the_landlord")
    assert verify_contract(contract).terms.landlord == LANDLORD
    # ... and a hub trusting this building's lock's installation record refuses its grants.
    lock = SigningKey.generate()
    await ledger.hub.register(
        KeyRegistration(Role.LOCK, lock.public_key, bytes(32), "elm-1a-door", NOW,
                        building=BUILDING),
        lock,
    )  # fmt: skip
    installation = InstallationRecord(
        lock_id="elm-1a-door", flat="Flat 1A", landlord=LANDLORD,
        landlord_key=landlord.key.public_key, lock_key=lock.public_key,
        lock_sealing_key=SigningKey.generate().public_key, installed_at=NOW,
    )  # fmt: skip
    await ledger.anyone.publish(
        SignedRecord(RecordKind.INSTALLATION, sign_installation(installation, landlord.key))
    )
    mirror = LedgerMirror(
        TrustedLogView(
            ledger.signer.verifier, ledger.witness_keys, 2, tmp_path / "hub.json", MonotonicClock()
        )
    )
    await ledger.anyone.sync(mirror)
    assert trusted_landlord(mirror.state, landlord.key.public_key.kid, installation)
    with pytest.raises(LandlordNotTrusted, match="namesake of another building"):
        trusted_landlord(mirror.state, namesake.public_key.kid, installation)


async def test_a_listing_is_replaced_only_by_its_own_landlord_key(
    ledger: LedgerSite, landlord: Person
) -> None:
    genuine = sign_listing(_listing(b"2 rooms"), landlord.key)
    await ledger.anyone.publish(SignedRecord(RecordKind.LISTING, genuine))
    neighbour = await register(ledger, person("landlord:ana", "L0077"), Role.LANDLORD)

    hijack = sign_listing(_listing(b"mine now", "landlord:ana"), neighbour.key)
    err = await refused(ledger, ledger.anyone.publish(SignedRecord(RecordKind.LISTING, hijack)))

    assert (err.status, err.reason) == (403, "not_listing_owner")
    update = sign_listing(_listing(b"3 rooms"), landlord.key)
    await ledger.anyone.publish(SignedRecord(RecordKind.LISTING, update))
    assert await _listing_proof(ledger, BUILDING) == update


async def test_nobody_binds_a_tenant_key_to_someone_elses_identity(
    ledger: LedgerSite, landlord: Person
) -> None:
    victim = person("Ada Tenant", "AB123456")
    # A stranger registers a key claiming Ada's identity hash: a claim, which binds nothing.
    squatter = await register(
        ledger, Person("Ada Tenant", victim.identity), Role.TENANT, checked=False
    )
    async with ledger.site.session.get(
        f"{ledger.url}/v1/ledger/owners/{victim.identity.hex()}"
    ) as response:
        assert (await response.json())["entries"] == []
    err = await refused(ledger, landlord.tenancy(ledger).submit_contract(lease(landlord, squatter)))
    assert (err.status, err.reason) == (403, "identity_not_checked")

    # Nor does an identity check signed by anything but a station of the tenant's building.
    intruder = await other_hub(ledger)
    foreign_station = SigningKey.generate()
    await intruder.register(
        KeyRegistration(Role.STATION, foreign_station.public_key, bytes(32), STATION, NOW,
                        building=OTHER_BUILDING),
        foreign_station,
    )  # fmt: skip
    for signer, status, reason in (
        (foreign_station, 403, "wrong_building"),
        (landlord.key, 400, "not_authentic"),
    ):
        err = await refused(ledger, check_identity(ledger, squatter, by=signer))
        assert (err.status, err.reason) == (status, reason)

    # Once Ada is checked at the front desk, her identity has one active key: hers.
    ada = await register(ledger, victim, Role.TENANT)
    err = await refused(ledger, check_identity(ledger, squatter))
    assert (err.status, err.reason) == (409, "identity_taken")
    async with ledger.site.session.get(
        f"{ledger.url}/v1/ledger/owners/{victim.identity.hex()}"
    ) as response:
        found = [
            decode_entry(base64.b64decode(e["entry"])) for e in (await response.json())["entries"]
        ]
    registered = [e for e in found if isinstance(e, KeyRegistration)]
    assert [e.key for e in registered] == [ada.key.public_key]


async def test_a_station_checks_only_tenants_of_its_own_building(
    ledger: LedgerSite,
) -> None:
    elsewhere = Person("Bo", identity_lookup_hash(SALT, "BO7"))
    entry = KeyRegistration(
        Role.TENANT, elsewhere.key.public_key, elsewhere.identity, elsewhere.identity.hex(), NOW,
        building=OTHER_BUILDING,
    )  # fmt: skip
    await ledger.anyone.register_tenant(entry, elsewhere.key)
    check = IdentityCheckRecord(
        tenant=elsewhere.identity, tenant_key=elsewhere.key.public_key.kid,
        method=CheckMethod.PASSPORT, checked_at=NOW, checked_by=STATION,
    )  # fmt: skip
    signed = sign_identity_check(check, await station(ledger))
    err = await refused(ledger, ledger.anyone.publish(SignedRecord(RecordKind.IDENTITY, signed)))

    assert (err.status, err.reason) == (403, "wrong_building")


async def test_a_hub_registers_keys_of_its_own_building(ledger: LedgerSite) -> None:
    intruder: LedgerClient = await other_hub(ledger)
    own = SigningKey.generate()

    index = await intruder.register(_landlord_entry(own, OTHER_BUILDING), own)

    assert index >= 0
