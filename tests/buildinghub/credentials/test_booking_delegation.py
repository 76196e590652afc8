"""A landlord's booking delegation (R16): who may sign it, and grants that may only narrow it."""

import os
from dataclasses import replace

import pytest

from buildinghub.credentials import (
    BrokenChain,
    Grant,
    GrantKind,
    ShareWidens,
    SigningKey,
    StaticTrustStore,
    TrustedIssuer,
    WrongAudience,
    issue_grant,
)
from buildinghub.credentials.booking_delegation import (
    BookingDelegation,
    DelegationExceeded,
    encode_delegated_grant,
    issue_booking_grant,
    read_delegated_grant,
    read_delegation,
    sign_delegation,
    verify_delegated_grant,
    verify_delegation,
)
from buildinghub.credentials.sealing import SealingKey

from .conftest import LOCK, NOW

DAY = 86_400
ANA = "landlord:ana"


@pytest.fixture(scope="module")
def ana() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture(scope="module")
def hub() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture(scope="module")
def trust(ana: SigningKey) -> StaticTrustStore:
    return StaticTrustStore([TrustedIssuer(ANA, ana.public_key)])


def delegation_for(hub: SigningKey, **changes: object) -> BookingDelegation:
    made = BookingDelegation(
        delegation_id=os.urandom(16),
        lock=LOCK,
        flat="Flat 12",
        landlord=ANA,
        hub_key=hub.public_key,
        kind=GrantKind.VIEWING,
        max_stay_s=7 * DAY,
        horizon_s=30 * DAY,
        not_before=NOW,
        expires=NOW + 90 * DAY,
    )
    return replace(made, **changes)


def stay(hub: SigningKey, parent: bytes, start: int, end: int, **changes: object) -> bytes:
    grant = Grant(
        issuer="building-hub",
        subject="guest:1",
        audience=LOCK,
        not_before=start,
        expires=end,
        issued_at=NOW,
        grant_id=os.urandom(16),
        holder_key=hub.public_key,
        kind=GrantKind.VIEWING,
        parent=parent,
    )
    return issue_grant(replace(grant, **changes), hub)


def test_the_landlords_delegation_and_a_stay_under_it_verify_as_a_chain(
    ana: SigningKey, hub: SigningKey, trust: StaticTrustStore
) -> None:
    data = sign_delegation(delegation_for(hub), ana)
    delegation, record = verify_delegation(data, lock=LOCK, landlord=ANA, trust=trust)
    grant = stay(hub, record.digest, NOW + DAY, NOW + 3 * DAY)
    carried = encode_delegated_grant(data, grant)
    assert read_delegated_grant(carried) == (data, grant)
    signed = verify_delegated_grant(delegation, record, grant, now=NOW)
    assert (signed.grant.not_before, signed.grant.expires) == (NOW + DAY, NOW + 3 * DAY)


def test_only_the_locks_landlord_can_sign_the_delegation(
    ana: SigningKey, hub: SigningKey, trust: StaticTrustStore
) -> None:
    bruno = SigningKey.generate()
    forged = sign_delegation(delegation_for(hub), bruno)
    with pytest.raises(BrokenChain, match="not the current key"):
        verify_delegation(forged, lock=LOCK, landlord=ANA, trust=trust)
    claimed = sign_delegation(delegation_for(hub, landlord="landlord:bruno"), bruno)
    with pytest.raises(WrongAudience, match="is the landlord"):
        verify_delegation(claimed, lock=LOCK, landlord=ANA, trust=trust)
    elsewhere = sign_delegation(delegation_for(hub, lock="another-door"), ana)
    with pytest.raises(WrongAudience, match="is for lock"):
        verify_delegation(elsewhere, lock=LOCK, landlord=ANA, trust=trust)


def test_a_stay_the_delegation_does_not_give_is_refused(
    ana: SigningKey, hub: SigningKey, trust: StaticTrustStore
) -> None:
    data = sign_delegation(delegation_for(hub, max_stay_s=3 * DAY), ana)
    delegation, record = verify_delegation(data, lock=LOCK, landlord=ANA, trust=trust)
    with pytest.raises(DelegationExceeded, match="at most"):
        verify_delegated_grant(
            delegation, record, stay(hub, record.digest, NOW + DAY, NOW + 8 * DAY), now=NOW
        )
    with pytest.raises(DelegationExceeded, match="ahead"):
        delegation.check_booking(NOW + 40 * DAY, NOW + 41 * DAY, now=NOW)
    with pytest.raises(DelegationExceeded, match="not inside"):
        delegation.check_booking(NOW + 89 * DAY, NOW + 91 * DAY, now=NOW + 80 * DAY)
    with pytest.raises(ShareWidens):
        verify_delegated_grant(
            delegation,
            record,
            stay(hub, record.digest, NOW + DAY, NOW + 2 * DAY, kind=GrantKind.LEASE),
            now=NOW,
        )
    with pytest.raises(BrokenChain, match="another delegation"):
        verify_delegated_grant(
            delegation, record, stay(hub, os.urandom(32), NOW + DAY, NOW + 2 * DAY), now=NOW
        )
    other_hub = SigningKey.generate()
    with pytest.raises(BrokenChain, match="key the delegation names"):
        verify_delegated_grant(
            delegation,
            record,
            stay(other_hub, record.digest, NOW + DAY, NOW + 2 * DAY),
            now=NOW,
        )


def test_a_delegation_is_read_strictly(ana: SigningKey, hub: SigningKey) -> None:
    data = sign_delegation(delegation_for(hub), ana)
    assert read_delegation(data)[0].lock == LOCK
    with pytest.raises(ValueError, match="viewings or leases"):
        sign_delegation(delegation_for(hub, kind=GrantKind.EKEY), ana)


def test_the_hub_issues_a_booking_with_a_fresh_pin_that_verifies_under_the_chain(
    ana: SigningKey, hub: SigningKey, trust: StaticTrustStore
) -> None:
    data = sign_delegation(delegation_for(hub), ana)
    delegation, record = verify_delegation(data, lock=LOCK, landlord=ANA, trust=trust)
    sealing = SealingKey.generate()
    issued = [
        issue_booking_grant(
            delegation,
            record,
            booking="stay-1@site",
            start=NOW + DAY,
            end=NOW + 3 * DAY,
            hub_key=hub,
            pin_sealing_key=sealing.public_key,
            now=NOW,
        )
        for _ in range(2)
    ]
    first = issued[0]
    signed = verify_delegated_grant(delegation, record, first.signed.encoded, now=NOW)
    assert signed.grant.subject.startswith("booking:")
    assert "stay-1" not in signed.grant.subject
    assert signed.grant.sealed_pin is not None
    assert (
        sealing.open_pin(signed.grant.sealed_pin, audience=LOCK, grant_id=signed.grant.grant_id)
        == first.pin
    )
    assert first.pin not in repr(first)
    assert issued[1].signed.grant.grant_id != signed.grant.grant_id


def test_the_hub_issues_nothing_the_delegation_does_not_give(
    ana: SigningKey, hub: SigningKey, trust: StaticTrustStore
) -> None:
    data = sign_delegation(delegation_for(hub, max_stay_s=3 * DAY), ana)
    delegation, record = verify_delegation(data, lock=LOCK, landlord=ANA, trust=trust)
    sealing = SealingKey.generate().public_key
    with pytest.raises(DelegationExceeded, match="at most"):
        issue_booking_grant(
            delegation,
            record,
            booking="long",
            start=NOW + DAY,
            end=NOW + 8 * DAY,
            hub_key=hub,
            pin_sealing_key=sealing,
            now=NOW,
        )
    with pytest.raises(BrokenChain, match="another hub"):
        issue_booking_grant(
            delegation,
            record,
            booking="short",
            start=NOW + DAY,
            end=NOW + 2 * DAY,
            hub_key=SigningKey.generate(),
            pin_sealing_key=sealing,
            now=NOW,
        )
