"""GrantVerifier: each refusal raised by exactly the grant that should cause it."""

from collections.abc import Callable

import cbor2
import pytest

from buildinghub.credentials import (
    BadSignature,
    CredentialError,
    Grant,
    GrantExpired,
    GrantRevoked,
    GrantTooLarge,
    GrantVerifier,
    MalformedGrant,
    NotYetValid,
    SigningKey,
    StaticTrustStore,
    TrustedIssuer,
    UnknownIssuer,
    WrongAudience,
    issue_grant,
    sign1,
)

from .conftest import SettableClock

MakeGrant = Callable[..., Grant]


def test_good_grant_is_accepted(
    verifier: GrantVerifier, lease: Grant, encoded_lease: bytes
) -> None:
    signed = verifier.verify(encoded_lease)

    assert signed.grant == lease
    assert signed.encoded == encoded_lease


def test_grant_forged_with_another_key_under_the_issuers_kid_is_refused(
    verifier: GrantVerifier, lease: Grant, issuer_key: SigningKey
) -> None:
    payload = cbor2.dumps(lease.to_claims(), canonical=True)
    forged = sign1(payload, SigningKey.generate(), issuer_key.public_key.kid)

    with pytest.raises(BadSignature):
        verifier.verify(forged)


def test_grant_from_an_unknown_issuer_key_is_refused(verifier: GrantVerifier, lease: Grant) -> None:
    with pytest.raises(UnknownIssuer, match="trust store"):
        verifier.verify(issue_grant(lease, SigningKey.generate()))


def test_trusted_key_issuing_under_another_name_is_refused(
    verifier: GrantVerifier, make_grant: MakeGrant, issuer_key: SigningKey
) -> None:
    other_name = issue_grant(make_grant(issuer="cloud.building-9.example"), issuer_key)

    with pytest.raises(UnknownIssuer, match="only issue under its own name"):
        verifier.verify(other_name)


def test_grant_for_another_lock_is_refused(
    verifier: GrantVerifier, make_grant: MakeGrant, issuer_key: SigningKey
) -> None:
    with pytest.raises(WrongAudience, match="b7-floor3-flat13-door"):
        verifier.verify(issue_grant(make_grant(audience="b7-floor3-flat13-door"), issuer_key))


def test_revoked_grant_is_refused(
    trust: StaticTrustStore, clock: SettableClock, lease: Grant, encoded_lease: bytes
) -> None:
    asked: list[bytes] = []

    def revoked(grant_id: bytes) -> bool:
        asked.append(grant_id)
        return True

    verifier = GrantVerifier(lease.audience, trust, clock, revoked=revoked)

    with pytest.raises(GrantRevoked):
        verifier.verify(encoded_lease)
    assert asked == [lease.grant_id]


def test_a_grant_verified_before_is_checked_again_in_full(
    verifier: GrantVerifier,
    trust: StaticTrustStore,
    clock: SettableClock,
    lease: Grant,
    encoded_lease: bytes,
    issuer_key: SigningKey,
) -> None:
    # Decoded grants are kept (read_signed_grant's cache): that must never let a grant
    # through a check it fails now, whoever asks.
    assert verifier.verify(encoded_lease).grant == lease

    with pytest.raises(GrantRevoked):
        GrantVerifier(lease.audience, trust, clock, revoked=lambda _: True).verify(encoded_lease)
    with pytest.raises(WrongAudience):
        GrantVerifier("b7-floor3-flat13-door", trust, clock).verify(encoded_lease)
    namesake = StaticTrustStore([TrustedIssuer(lease.issuer, SigningKey.generate().public_key)])
    with pytest.raises(UnknownIssuer):
        GrantVerifier(lease.audience, namesake, clock).verify(encoded_lease)
    forged = bytearray(encoded_lease)
    forged[-1] ^= 1
    with pytest.raises(BadSignature):
        verifier.verify(bytes(forged))
    clock.time = lease.expires
    with pytest.raises(GrantExpired):
        verifier.verify(encoded_lease)


def test_grant_is_refused_before_its_window_beyond_the_skew(
    verifier: GrantVerifier, clock: SettableClock, lease: Grant, encoded_lease: bytes
) -> None:
    clock.time = lease.not_before - 31

    with pytest.raises(NotYetValid, match="31 s after"):
        verifier.verify(encoded_lease)


def test_grant_is_accepted_up_to_the_skew_before_its_window(
    verifier: GrantVerifier, clock: SettableClock, lease: Grant, encoded_lease: bytes
) -> None:
    clock.time = lease.not_before - 30

    assert verifier.verify(encoded_lease).grant == lease


def test_start_skew_is_configurable(
    trust: StaticTrustStore, clock: SettableClock, lease: Grant, encoded_lease: bytes
) -> None:
    clock.time = lease.not_before - 1
    strict = GrantVerifier(lease.audience, trust, clock, start_skew=0)

    with pytest.raises(NotYetValid):
        strict.verify(encoded_lease)


def test_grant_is_accepted_in_its_last_second(
    verifier: GrantVerifier, clock: SettableClock, lease: Grant, encoded_lease: bytes
) -> None:
    clock.time = lease.expires - 1

    assert verifier.verify(encoded_lease).grant == lease


def test_grant_is_refused_exactly_at_its_expiry(
    verifier: GrantVerifier, clock: SettableClock, lease: Grant, encoded_lease: bytes
) -> None:
    clock.time = lease.expires

    with pytest.raises(GrantExpired):
        verifier.verify(encoded_lease)


def test_window_of_a_stored_grant_is_checked_at_the_given_time(
    verifier: GrantVerifier, lease: Grant
) -> None:
    verifier.verify_window(lease, lease.expires - 1)

    with pytest.raises(GrantExpired):
        verifier.verify_window(lease, lease.expires)


def test_window_of_a_stored_grant_defaults_to_the_verifiers_clock(
    verifier: GrantVerifier, clock: SettableClock, lease: Grant
) -> None:
    clock.time = lease.expires + 10

    with pytest.raises(GrantExpired, match="10 s before"):
        verifier.verify_window(lease)


def test_oversized_grant_is_refused(verifier: GrantVerifier, encoded_lease: bytes) -> None:
    with pytest.raises(GrantTooLarge):
        verifier.verify(encoded_lease + bytes(1024))


def test_truncated_grant_is_refused(verifier: GrantVerifier, encoded_lease: bytes) -> None:
    with pytest.raises(MalformedGrant):
        verifier.verify(encoded_lease[:-10])


def test_grant_with_trailing_garbage_is_refused(
    verifier: GrantVerifier, encoded_lease: bytes
) -> None:
    with pytest.raises(MalformedGrant, match="after its end"):
        verifier.verify(encoded_lease + b"\x00\x00")


def test_issuer_is_checked_before_audience_and_window(
    verifier: GrantVerifier, make_grant: MakeGrant
) -> None:
    stranger = issue_grant(
        make_grant(audience="elsewhere", expires=10, not_before=1), SigningKey.generate()
    )

    with pytest.raises(UnknownIssuer):
        verifier.verify(stranger)


def test_audience_is_checked_before_the_window(
    verifier: GrantVerifier, make_grant: MakeGrant, issuer_key: SigningKey
) -> None:
    expired_elsewhere = issue_grant(
        make_grant(audience="elsewhere", expires=10, not_before=1), issuer_key
    )

    with pytest.raises(WrongAudience):
        verifier.verify(expired_elsewhere)


def test_refusals_never_show_the_signature_or_sealed_pin(
    verifier: GrantVerifier, lease: Grant, issuer_key: SigningKey
) -> None:
    forged = sign1(
        cbor2.dumps(lease.to_claims(), canonical=True),
        SigningKey.generate(),
        issuer_key.public_key.kid,
    )
    signature = cbor2.loads(forged).value[3]

    with pytest.raises(CredentialError) as refused:
        verifier.verify(forged)
    assert lease.sealed_pin is not None
    assert signature.hex() not in str(refused.value)
    assert lease.sealed_pin.hex() not in str(refused.value)
    assert lease.sealed_pin.hex() not in repr(lease)


def test_one_key_cannot_be_trusted_under_two_names(issuer_key: SigningKey) -> None:
    with pytest.raises(ValueError, match="already trusted"):
        StaticTrustStore(
            [
                TrustedIssuer("a", issuer_key.public_key),
                TrustedIssuer("b", issuer_key.public_key),
            ]
        )


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (MalformedGrant, "malformed"),
        (GrantTooLarge, "oversized"),
        (UnknownIssuer, "unknown_issuer"),
        (BadSignature, "bad_signature"),
        (WrongAudience, "wrong_audience"),
        (NotYetValid, "not_yet_valid"),
        (GrantExpired, "expired"),
        (GrantRevoked, "revoked"),
    ],
)
def test_each_refusal_carries_a_stable_reason_code(
    error: type[CredentialError], reason: str
) -> None:
    assert error.reason == reason
    assert issubclass(error, CredentialError)
