"""Verifying ahead of time: a lock or hub stores tomorrow's grant today, and nothing else."""

from collections.abc import Callable

import cbor2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from buildinghub.credentials import (
    BadSignature,
    Grant,
    GrantExpired,
    GrantRevoked,
    GrantVerifier,
    MalformedGrant,
    NotYetValid,
    SigningKey,
    StaticTrustStore,
    UnknownIssuer,
    WrongAudience,
    issue_grant,
    sign1,
)

from .conftest import NOW, SettableClock

MakeGrant = Callable[..., Grant]
DAY = 86_400


@pytest.fixture(scope="module")
def tomorrow(make_grant: MakeGrant, issuer_key: SigningKey) -> bytes:
    """A viewing that starts a day after NOW and lasts an hour."""
    return issue_grant(make_grant(not_before=NOW + DAY, expires=NOW + DAY + 3600), issuer_key)


def test_a_grant_that_starts_later_is_accepted_ahead(
    verifier: GrantVerifier, tomorrow: bytes
) -> None:
    signed = verifier.verify(tomorrow, upcoming=True)

    assert signed.encoded == tomorrow
    assert signed.grant.not_before == NOW + DAY


def test_the_same_grant_is_not_yet_valid_for_use_now(
    verifier: GrantVerifier, tomorrow: bytes
) -> None:
    with pytest.raises(NotYetValid):
        verifier.verify(tomorrow)


def test_a_grant_accepted_ahead_is_usable_once_its_window_starts(
    verifier: GrantVerifier, clock: SettableClock, tomorrow: bytes
) -> None:
    grant = verifier.verify(tomorrow, upcoming=True).grant

    with pytest.raises(NotYetValid):
        verifier.verify_window(grant)
    clock.time = NOW + DAY
    verifier.verify_window(grant)


def test_a_current_grant_verifies_the_same_ahead_or_now(
    verifier: GrantVerifier, encoded_lease: bytes
) -> None:
    assert verifier.verify(encoded_lease, upcoming=True) == verifier.verify(encoded_lease)


def test_an_expired_grant_is_refused_ahead(
    verifier: GrantVerifier, clock: SettableClock, lease: Grant, encoded_lease: bytes
) -> None:
    clock.time = lease.expires

    with pytest.raises(GrantExpired):
        verifier.verify(encoded_lease, upcoming=True)


def test_a_grant_is_accepted_ahead_in_its_last_second(
    verifier: GrantVerifier, clock: SettableClock, lease: Grant, encoded_lease: bytes
) -> None:
    clock.time = lease.expires - 1

    verifier.verify(encoded_lease, upcoming=True)


def test_a_grant_for_another_lock_is_refused_ahead(
    verifier: GrantVerifier, make_grant: MakeGrant, issuer_key: SigningKey
) -> None:
    other = make_grant(
        audience="b7-floor3-flat13-door", not_before=NOW + DAY, expires=NOW + 2 * DAY
    )

    with pytest.raises(WrongAudience):
        verifier.verify(issue_grant(other, issuer_key), upcoming=True)


def test_a_grant_from_an_unknown_issuer_is_refused_ahead(
    verifier: GrantVerifier, make_grant: MakeGrant
) -> None:
    later = make_grant(not_before=NOW + DAY, expires=NOW + 2 * DAY)

    with pytest.raises(UnknownIssuer):
        verifier.verify(issue_grant(later, SigningKey.generate()), upcoming=True)


def test_a_forged_grant_is_refused_ahead(
    verifier: GrantVerifier, make_grant: MakeGrant, issuer_key: SigningKey
) -> None:
    later = make_grant(not_before=NOW + DAY, expires=NOW + 2 * DAY)
    payload = cbor2.dumps(later.to_claims(), canonical=True)

    with pytest.raises(BadSignature):
        verifier.verify(
            sign1(payload, SigningKey.generate(), issuer_key.public_key.kid), upcoming=True
        )


def test_a_revoked_grant_is_refused_ahead(
    trust: StaticTrustStore, clock: SettableClock, tomorrow: bytes
) -> None:
    verifier = GrantVerifier("b7-floor3-flat12-door", trust, clock, revoked=lambda _: True)

    with pytest.raises(GrantRevoked):
        verifier.verify(tomorrow, upcoming=True)


def test_malformed_bytes_are_refused_ahead(verifier: GrantVerifier, tomorrow: bytes) -> None:
    with pytest.raises(MalformedGrant):
        verifier.verify(tomorrow[:-1], upcoming=True)


@settings(deadline=None, max_examples=100)
@given(
    start=st.integers(min_value=-10 * DAY, max_value=10 * DAY),
    length=st.integers(min_value=1, max_value=10 * DAY),
)
def test_ahead_of_time_a_grant_is_accepted_exactly_until_it_ends(
    make_grant: MakeGrant, issuer_key: SigningKey, trust: StaticTrustStore, start: int, length: int
) -> None:
    grant = make_grant(not_before=NOW + start, expires=NOW + start + length)
    encoded = issue_grant(grant, issuer_key)
    verifier = GrantVerifier(grant.audience, trust, SettableClock(NOW))

    if grant.expires > NOW:
        assert verifier.verify(encoded, upcoming=True).grant == grant
    else:
        with pytest.raises(GrantExpired):
            verifier.verify(encoded, upcoming=True)
