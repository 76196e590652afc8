"""The ledger is scoped by building (SPEC S2): names, identities, listings and landlord trust."""

import os

import pytest

from buildinghub.credentials import (
    Grant,
    GrantKind,
    GrantVerifier,
    SigningKey,
    UnknownIssuer,
    issue_grant,
)
from buildinghub.credentials.installation import InstallationRecord, sign_installation
from buildinghub.keylog.entries import (
    KeyRegistration,
    KeyRevocation,
    RecordKind,
    Role,
    SignedRecord,
    rotate_key,
)
from buildinghub.keylog.errors import (
    EntryRefused,
    IdentityTaken,
    LandlordNotTrusted,
    NotListingOwner,
    SubjectTaken,
    WrongBuilding,
)
from buildinghub.keylog.key_state import KeyState
from buildinghub.keylog.landlord_trust import installation_building, trusted_landlord
from buildinghub.keylog.mirror import LedgerMirror
from buildinghub.keylog.records import ListingRecord, listing_digest, sign_listing
from buildinghub.keylog.trust_store import LedgerTrustStore
from buildinghub.keylog.trusted_view import TrustedLogView

from .conftest import BUILDING, NOW, Ledger, SettableClock

OTHER = "Oak House"
LANDLORD = "landlord:chen"
LOCK = "door-03"
FLAT = "Flat 1C"


def _state(ledger: Ledger) -> KeyState:
    return ledger.log.state


def _listing(details: bytes = b"2 rooms, 54 m2") -> ListingRecord:
    return ListingRecord(
        listing_id="listing-1c",
        flat=FLAT,
        landlord=LANDLORD,
        details_digest=listing_digest(details),
        listed_at=NOW,
    )


def _install(
    ledger: Ledger, landlord: SigningKey, *, building: str = BUILDING
) -> InstallationRecord:
    lock = ledger.register(f"lock@{building}", Role.LOCK, LOCK, building=building)
    record = InstallationRecord(
        lock_id=LOCK,
        flat=FLAT,
        landlord=LANDLORD,
        landlord_key=landlord.public_key,
        lock_key=lock.public_key,
        lock_sealing_key=SigningKey.generate().public_key,
        installed_at=NOW,
    )
    ledger.log.append(SignedRecord(RecordKind.INSTALLATION, sign_installation(record, landlord)))
    return record


def test_a_role_and_name_has_one_active_key_per_building(ledger: Ledger) -> None:
    ledger.register("chen", Role.LANDLORD, LANDLORD)
    second = SigningKey.generate()

    with pytest.raises(SubjectTaken, match="already has an active landlord key"):
        ledger.log.append(
            KeyRegistration(
                Role.LANDLORD, second.public_key, bytes(32), LANDLORD, NOW, building=BUILDING
            )
        )
    assert _state(ledger).key(second.public_key.kid) is None

    # The same name in another building is another party's key there, not this one's.
    namesake = ledger.register("namesake", Role.LANDLORD, LANDLORD, building=OTHER)
    assert _state(ledger).subject_key(OTHER, Role.LANDLORD, LANDLORD) == _state(ledger).key(
        namesake.public_key.kid
    )
    assert _state(ledger).subject_key(BUILDING, Role.LANDLORD, LANDLORD) == _state(ledger).key(
        ledger.keys["chen"].public_key.kid
    )


def test_a_name_is_free_again_once_its_key_is_revoked_and_follows_a_rotation(
    ledger: Ledger,
) -> None:
    old = ledger.register("chen", Role.LANDLORD, LANDLORD)
    rotated = SigningKey.generate()
    ledger.log.append(rotate_key(old, rotated.public_key, NOW, building=BUILDING))
    assert _state(ledger).subject_key(BUILDING, Role.LANDLORD, LANDLORD).kid == (
        rotated.public_key.kid
    )

    ledger.log.append(KeyRevocation(rotated.public_key.kid, NOW, "lost", building=BUILDING))
    ledger.register("chen again", Role.LANDLORD, LANDLORD)
    assert _state(ledger).subject_key(BUILDING, Role.LANDLORD, LANDLORD).kid == (
        ledger.keys["chen again"].public_key.kid
    )


def test_a_rotation_or_revocation_under_another_building_is_refused(ledger: Ledger) -> None:
    landlord = ledger.register("chen", Role.LANDLORD, LANDLORD)
    size = ledger.log.size

    with pytest.raises(WrongBuilding, match="each building changes only its own keys"):
        ledger.log.append(KeyRevocation(landlord.public_key.kid, NOW, "mine now", building=OTHER))
    with pytest.raises(WrongBuilding):
        ledger.log.append(
            rotate_key(landlord, SigningKey.generate().public_key, NOW, building=OTHER)
        )

    assert ledger.log.size == size
    record = _state(ledger).key(landlord.public_key.kid)
    assert record is not None
    assert (record.status.value, record.building) == ("active", BUILDING)


def test_an_identity_is_bound_only_by_a_station_of_the_tenants_building(ledger: Ledger) -> None:
    tenant = ledger.register("tess", Role.TENANT)
    elsewhere = ledger.station(OTHER)

    with pytest.raises(WrongBuilding, match="identity check"):
        ledger.check_identity(tenant, elsewhere)
    record = _state(ledger).key(tenant.public_key.kid)
    assert record is not None
    assert record.identity_check is None
    assert _state(ledger).tenant_key(record.owner) is None

    index = ledger.check_identity(tenant)
    assert _state(ledger).tenant_key(record.owner).identity_check == index


def test_an_identity_has_one_active_key_and_its_rotation_keeps_the_binding(
    ledger: Ledger,
) -> None:
    tenant = ledger.register("tess", Role.TENANT)
    ledger.check_identity(tenant)
    owner = _state(ledger).key(tenant.public_key.kid).owner
    # Someone registers a key claiming Tess's identity hash; a check of it is refused.
    squatter = SigningKey.generate()
    ledger.log.append(
        KeyRegistration(
            Role.TENANT, squatter.public_key, owner, owner.hex(), NOW, building=BUILDING
        )
    )
    with pytest.raises(IdentityTaken, match="bound to the active tenant key"):
        ledger.check_identity(squatter)

    new = SigningKey.generate()
    ledger.log.append(rotate_key(tenant, new.public_key, NOW, building=BUILDING))
    assert _state(ledger).tenant_key(owner).kid == new.public_key.kid
    with pytest.raises(EntryRefused, match="already"):
        ledger.check_identity(new)

    ledger.log.append(KeyRevocation(new.public_key.kid, NOW, "phone lost", building=BUILDING))
    ledger.check_identity(squatter)  # a new key, after the station checked the document again
    assert _state(ledger).tenant_key(owner).kid == squatter.public_key.kid


def test_a_namesake_landlord_of_another_building_does_not_replace_a_listing(
    ledger: Ledger,
) -> None:
    landlord = ledger.register("chen", Role.LANDLORD, LANDLORD)
    namesake = ledger.register("namesake", Role.LANDLORD, LANDLORD, building=OTHER)
    ledger.log.append(SignedRecord(RecordKind.LISTING, sign_listing(_listing(), landlord)))

    ledger.log.append(
        SignedRecord(RecordKind.LISTING, sign_listing(_listing(b"bargain!"), namesake))
    )

    published = _state(ledger).listing(BUILDING, FLAT)
    assert published is not None
    assert (published.kid, published.record) == (landlord.public_key.kid, _listing())
    assert _state(ledger).listing(OTHER, FLAT).kid == namesake.public_key.kid


def test_a_listing_is_replaced_only_by_its_landlord_key_or_the_key_it_was_rotated_to(
    ledger: Ledger,
) -> None:
    landlord = ledger.register("chen", Role.LANDLORD, LANDLORD)
    neighbour = ledger.register("ana", Role.LANDLORD, "landlord:ana")
    ledger.log.append(SignedRecord(RecordKind.LISTING, sign_listing(_listing(), landlord)))
    hijack = ListingRecord(
        listing_id="listing-1c",
        flat=FLAT,
        landlord="landlord:ana",
        details_digest=listing_digest(b"mine"),
        listed_at=NOW,
    )

    with pytest.raises(NotListingOwner):
        ledger.log.append(SignedRecord(RecordKind.LISTING, sign_listing(hijack, neighbour)))

    rotated = SigningKey.generate()
    ledger.log.append(rotate_key(landlord, rotated.public_key, NOW, building=BUILDING))
    update = sign_listing(_listing(b"3 rooms"), rotated)
    ledger.log.append(SignedRecord(RecordKind.LISTING, update))
    assert _state(ledger).listing(BUILDING, FLAT).record == _listing(b"3 rooms")

    # Once the landlord's line of keys is revoked, the building's new key of that landlord
    # (its hub vouched for it) takes the listing over; the neighbour still cannot.
    ledger.log.append(KeyRevocation(rotated.public_key.kid, NOW, "stolen", building=BUILDING))
    with pytest.raises(NotListingOwner):
        ledger.log.append(SignedRecord(RecordKind.LISTING, sign_listing(hijack, neighbour)))
    successor = ledger.register("chen again", Role.LANDLORD, LANDLORD)
    ledger.log.append(SignedRecord(RecordKind.LISTING, sign_listing(_listing(), successor)))
    assert _state(ledger).listing(BUILDING, FLAT).kid == successor.public_key.kid


def test_a_landlord_installs_only_locks_of_their_own_building(ledger: Ledger) -> None:
    namesake = ledger.register("namesake", Role.LANDLORD, LANDLORD, building=OTHER)
    lock = ledger.register("lock", Role.LOCK, LOCK)
    record = InstallationRecord(
        lock_id=LOCK,
        flat=FLAT,
        landlord=LANDLORD,
        landlord_key=namesake.public_key,
        lock_key=lock.public_key,
        lock_sealing_key=SigningKey.generate().public_key,
        installed_at=NOW,
    )

    with pytest.raises(WrongBuilding, match="installs locks of their own building"):
        ledger.log.append(
            SignedRecord(RecordKind.INSTALLATION, sign_installation(record, namesake))
        )
    assert _state(ledger).installation(BUILDING, LOCK) is None


def test_a_landlord_is_trusted_for_a_lock_by_name_and_building(ledger: Ledger) -> None:
    landlord = ledger.register("chen", Role.LANDLORD, LANDLORD)
    installation = _install(ledger, landlord)
    namesake = ledger.register("namesake", Role.LANDLORD, LANDLORD, building=OTHER)
    state = _state(ledger)

    assert installation_building(state, installation) == BUILDING
    assert trusted_landlord(state, landlord.public_key.kid, installation).building == BUILDING
    with pytest.raises(LandlordNotTrusted, match="a namesake of another building"):
        trusted_landlord(state, namesake.public_key.kid, installation)
    with pytest.raises(LandlordNotTrusted, match="installed for 'landlord:chen'"):
        trusted_landlord(
            state, ledger.register("ana", Role.LANDLORD, "ana").public_key.kid, installation
        )


def test_without_the_lock_in_the_ledger_the_building_must_come_from_the_hub(
    ledger: Ledger,
) -> None:
    landlord = ledger.register("chen", Role.LANDLORD, LANDLORD)
    namesake = ledger.register("namesake", Role.LANDLORD, LANDLORD, building=OTHER)
    installation = InstallationRecord(
        lock_id=LOCK,
        flat=FLAT,
        landlord=LANDLORD,
        landlord_key=landlord.public_key,
        lock_key=SigningKey.generate().public_key,
        lock_sealing_key=SigningKey.generate().public_key,
        installed_at=NOW,
    )
    state = _state(ledger)

    with pytest.raises(LandlordNotTrusted, match="not in the key ledger"):
        trusted_landlord(state, landlord.public_key.kid, installation)
    assert trusted_landlord(state, landlord.public_key.kid, installation, building=BUILDING)
    with pytest.raises(LandlordNotTrusted, match="namesake"):
        trusted_landlord(state, namesake.public_key.kid, installation, building=BUILDING)


def test_a_hubs_trust_store_for_a_lock_refuses_a_namesakes_grant(
    ledger: Ledger, hub_view: TrustedLogView, clock: SettableClock
) -> None:
    landlord = ledger.register("chen", Role.LANDLORD, LANDLORD)
    installation = _install(ledger, landlord)
    namesake = ledger.register("namesake", Role.LANDLORD, LANDLORD, building=OTHER)
    mirror = LedgerMirror(hub_view)
    mirror.sync(ledger.cosigned().encode(), [], ledger.log.entries(0))
    verifier = GrantVerifier(LOCK, LedgerTrustStore.for_installation(mirror, installation), clock)

    def lease(issuer: SigningKey) -> bytes:
        return issue_grant(
            Grant(
                issuer=LANDLORD,
                subject="tess",
                audience=LOCK,
                not_before=NOW - 60,
                expires=NOW + 86_400,
                issued_at=NOW - 60,
                grant_id=os.urandom(16),
                holder_key=SigningKey.generate().public_key,
                kind=GrantKind.LEASE,
            ),
            issuer,
        )

    assert verifier.verify(lease(landlord)).grant.issuer == LANDLORD
    with pytest.raises(UnknownIssuer):
        verifier.verify(lease(namesake))
