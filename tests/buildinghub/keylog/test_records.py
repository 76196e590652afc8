"""Signed listings, installation records and identity checks, verified against the ledger."""

import cbor2
import pytest

from buildinghub.credentials import SigningKey, sign1
from buildinghub.credentials.installation import InstallationRecord, sign_installation
from buildinghub.keylog.entries import (
    KeyRegistration,
    KeyRevocation,
    RecordKind,
    Role,
    SignedRecord,
)
from buildinghub.keylog.errors import EntryRefused, NotAuthentic, NotListingOwner
from buildinghub.keylog.identity import identity_lookup_hash
from buildinghub.keylog.records import (
    CheckMethod,
    IdentityCheckRecord,
    ListingRecord,
    listing_digest,
    sign_identity_check,
    sign_listing,
    verify_identity_check,
    verify_installation_record,
    verify_listing,
)

from .conftest import BUILDING, NOW, SALT, STATION, Ledger

LANDLORD = "landlord.building-7.example"


def _listing(flat: str = "b7-floor3-flat12", landlord: str = LANDLORD) -> ListingRecord:
    return ListingRecord(
        listing_id="listing-0012",
        flat=flat,
        landlord=landlord,
        details_digest=listing_digest(b"2 rooms, 54 m2, 900 EUR/month"),
        listed_at=NOW,
    )


def test_a_listing_signed_by_the_ledgers_landlord_is_authentic(ledger: Ledger) -> None:
    landlord = ledger.register("landlord", Role.LANDLORD, LANDLORD)
    signed = sign_listing(_listing(), landlord)

    ledger.log.append(SignedRecord(RecordKind.LISTING, signed))

    assert verify_listing(signed, ledger.log.state) == _listing()
    proven = ledger.log.lookup_listing(BUILDING, "b7-floor3-flat12")
    assert proven is not None
    assert proven.index == 1


def test_a_listing_with_a_bad_signature_is_reported_as_not_authentic(ledger: Ledger) -> None:
    landlord = ledger.register("landlord", Role.LANDLORD, LANDLORD)
    signed = bytearray(sign_listing(_listing(), landlord))
    signed[-1] ^= 0x01  # the last byte of the signature

    with pytest.raises(NotAuthentic, match="does not verify"):
        verify_listing(bytes(signed), ledger.log.state)
    with pytest.raises(EntryRefused, match="listing record is refused"):
        ledger.log.append(SignedRecord(RecordKind.LISTING, bytes(signed)))


def test_a_fake_listing_by_a_key_not_in_the_ledger_is_not_authentic(ledger: Ledger) -> None:
    ledger.register("landlord", Role.LANDLORD, LANDLORD)

    with pytest.raises(NotAuthentic, match="no key"):
        verify_listing(sign_listing(_listing(), SigningKey.generate()), ledger.log.state)


def test_a_listing_in_another_landlords_name_is_not_authentic(ledger: Ledger) -> None:
    other = ledger.register("other", Role.LANDLORD, "other-landlord")

    with pytest.raises(NotAuthentic, match="signed by the key of 'other-landlord'"):
        verify_listing(sign_listing(_listing(), other), ledger.log.state)


def test_a_listing_signed_by_a_revoked_landlord_key_is_not_authentic(ledger: Ledger) -> None:
    landlord = ledger.register("landlord", Role.LANDLORD, LANDLORD)
    ledger.log.append(KeyRevocation(landlord.public_key.kid, NOW, "left", building=BUILDING))

    with pytest.raises(NotAuthentic, match="revoked"):
        verify_listing(sign_listing(_listing(), landlord), ledger.log.state)


def test_a_second_landlords_listing_of_the_same_flat_is_a_detected_duplicate(
    ledger: Ledger,
) -> None:
    first = ledger.register("landlord", Role.LANDLORD, LANDLORD)
    second = ledger.register("other", Role.LANDLORD, "other-landlord")
    ledger.log.append(SignedRecord(RecordKind.LISTING, sign_listing(_listing(), first)))

    duplicate = sign_listing(_listing(landlord="other-landlord"), second)
    with pytest.raises(NotListingOwner, match="only that landlord key replaces its listing"):
        ledger.log.append(SignedRecord(RecordKind.LISTING, duplicate))


def test_an_installation_record_needs_the_landlord_and_the_lock_in_the_ledger(
    ledger: Ledger,
) -> None:
    landlord = ledger.register("landlord", Role.LANDLORD, LANDLORD)
    lock = SigningKey.generate()
    record = InstallationRecord(
        lock_id="b7-floor3-flat12-door",
        flat="b7-floor3-flat12",
        landlord=LANDLORD,
        landlord_key=landlord.public_key,
        lock_key=lock.public_key,
        lock_sealing_key=SigningKey.generate().public_key,
        installed_at=NOW,
    )
    signed = sign_installation(record, landlord)

    with pytest.raises(NotAuthentic, match="installed lock"):
        verify_installation_record(signed, ledger.log.state)

    ledger.log.append(
        KeyRegistration(
            Role.LOCK, lock.public_key, bytes(32), "b7-floor3-flat12-door", NOW, building=BUILDING
        )
    )
    ledger.log.append(SignedRecord(RecordKind.INSTALLATION, signed))
    assert verify_installation_record(signed, ledger.log.state) == record


def test_an_identity_check_says_who_checked_whom_when_and_how(ledger: Ledger) -> None:
    station = ledger.register("station", Role.STATION, "front-desk.building-7.example")
    tenant_owner = identity_lookup_hash(SALT, "ID000001")
    tenant = ledger.register("tenant", Role.TENANT)  # the second key: ID000001
    check = IdentityCheckRecord(
        tenant=tenant_owner,
        tenant_key=tenant.public_key.kid,
        method=CheckMethod.PASSPORT,
        checked_at=NOW,
        checked_by="front-desk.building-7.example",
    )
    signed = sign_identity_check(check, station)

    ledger.log.append(SignedRecord(RecordKind.IDENTITY, signed))

    assert verify_identity_check(signed, ledger.log.state) == check
    assert b"ID000001" not in signed


def test_an_identity_check_by_a_tenant_key_is_not_authentic(ledger: Ledger) -> None:
    tenant = ledger.register("tenant", Role.TENANT)
    check = IdentityCheckRecord(
        tenant=bytes(32),
        tenant_key=tenant.public_key.kid,
        method=CheckMethod.NATIONAL_ID,
        checked_at=NOW,
        checked_by="tenant",
    )

    with pytest.raises(NotAuthentic, match="tenant key, not station"):
        verify_identity_check(sign_identity_check(check, tenant), ledger.log.state)


@pytest.mark.parametrize("role", [Role.HUB, Role.LANDLORD])
def test_an_identity_check_by_a_hub_or_landlord_key_is_not_authentic(
    ledger: Ledger, role: Role
) -> None:
    staff = ledger.register("staff", role, "staff.building-7.example")
    tenant = ledger.register("tenant", Role.TENANT)
    check = IdentityCheckRecord(
        tenant=identity_lookup_hash(SALT, "ID000001"),
        tenant_key=tenant.public_key.kid,
        method=CheckMethod.PASSPORT,
        checked_at=NOW,
        checked_by="staff.building-7.example",
    )

    with pytest.raises(EntryRefused, match=f"{role.value} key, not station"):
        ledger.log.append(SignedRecord(RecordKind.IDENTITY, sign_identity_check(check, staff)))
    assert ledger.log.state.tenant_key(check.tenant) is None


def test_records_that_are_not_signed_records_are_not_authentic(ledger: Ledger) -> None:
    landlord = ledger.register("landlord", Role.LANDLORD, LANDLORD)
    state = ledger.log.state
    extra_field = sign1(
        cbor2.dumps({**_listing_fields(), "price": 900}, canonical=True),
        landlord,
        landlord.public_key.kid,
    )
    not_canonical = sign1(cbor2.dumps(_listing_fields()), landlord, landlord.public_key.kid)

    with pytest.raises(NotAuthentic, match="not a signed record"):
        verify_listing(b"\xa0", state)
    with pytest.raises(NotAuthentic, match="exactly the fields"):
        verify_listing(extra_field, state)
    with pytest.raises(NotAuthentic, match="deterministically encoded"):
        verify_listing(not_canonical, state)
    with pytest.raises(NotAuthentic, match="got a record of type 'listing'"):
        verify_identity_check(sign_listing(_listing(), landlord), state)


def test_an_identity_check_for_another_tenants_key_is_refused(ledger: Ledger) -> None:
    station = ledger.station()
    tenant = ledger.register("tenant", Role.TENANT)
    check = IdentityCheckRecord(
        tenant=identity_lookup_hash(SALT, "SOMEONE-ELSE"),
        tenant_key=tenant.public_key.kid,
        method=CheckMethod.PASSPORT,
        checked_at=NOW,
        checked_by=STATION,
    )

    with pytest.raises(EntryRefused, match="another tenant"):
        ledger.log.append(SignedRecord(RecordKind.IDENTITY, sign_identity_check(check, station)))


def _listing_fields() -> dict[str, object]:
    listing = _listing()
    return {
        "type": "listing",
        "listed_at": listing.listed_at,
        "listing_id": listing.listing_id,
        "flat": listing.flat,
        "landlord": listing.landlord,
        "details_digest": listing.details_digest,
    }
