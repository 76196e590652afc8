"""Login (SPEC K5): a fresh challenge signed by a key the ledger shows registered, not revoked."""

import pytest

from buildinghub.credentials import SigningKey
from buildinghub.keylog.entries import KeyRevocation, Role, rotate_key
from buildinghub.keylog.errors import LoginRefused
from buildinghub.keylog.login import LoginService, sign_login

from .conftest import NOW, Ledger, SettableClock

SERVICE = "cloud.building-7.example"


@pytest.fixture
def service(ledger: Ledger, clock: SettableClock) -> LoginService:
    return LoginService(SERVICE, ledger.log.state, clock, lifetime=60)


def test_a_registered_key_logs_in_with_a_fresh_challenge(
    ledger: Ledger, service: LoginService
) -> None:
    tenant = ledger.register("tenant", Role.TENANT)
    challenge = service.challenge()

    record = service.login(tenant.public_key.kid, challenge, sign_login(tenant, SERVICE, challenge))

    assert record.key == tenant.public_key
    assert record.role is Role.TENANT


def test_a_replayed_login_challenge_is_refused(ledger: Ledger, service: LoginService) -> None:
    tenant = ledger.register("tenant", Role.TENANT)
    challenge = service.challenge()
    signature = sign_login(tenant, SERVICE, challenge)
    service.login(tenant.public_key.kid, challenge, signature)

    with pytest.raises(LoginRefused, match="already used"):
        service.login(tenant.public_key.kid, challenge, signature)


def test_an_expired_challenge_is_refused(
    ledger: Ledger, service: LoginService, clock: SettableClock
) -> None:
    tenant = ledger.register("tenant", Role.TENANT)
    challenge = service.challenge()
    clock.time = NOW + 60

    with pytest.raises(LoginRefused, match="expired"):
        service.login(tenant.public_key.kid, challenge, sign_login(tenant, SERVICE, challenge))


def test_a_challenge_never_issued_is_refused(ledger: Ledger, service: LoginService) -> None:
    tenant = ledger.register("tenant", Role.TENANT)
    challenge = bytes(16)

    with pytest.raises(LoginRefused, match="never issued"):
        service.login(tenant.public_key.kid, challenge, sign_login(tenant, SERVICE, challenge))


def test_a_revoked_or_rotated_key_cannot_log_in(ledger: Ledger, service: LoginService) -> None:
    revoked = ledger.register("tenant", Role.TENANT)
    rotated = ledger.register("landlord", Role.LANDLORD)
    ledger.log.append(KeyRevocation(revoked.public_key.kid, NOW, "phone stolen"))
    ledger.log.append(rotate_key(rotated, SigningKey.generate().public_key, NOW))

    for key, status in ((revoked, "revoked"), (rotated, "rotated")):
        challenge = service.challenge()
        with pytest.raises(LoginRefused, match=status):
            service.login(key.public_key.kid, challenge, sign_login(key, SERVICE, challenge))


def test_an_unregistered_key_cannot_log_in(service: LoginService) -> None:
    stranger = SigningKey.generate()
    challenge = service.challenge()

    with pytest.raises(LoginRefused, match="no key"):
        service.login(stranger.public_key.kid, challenge, sign_login(stranger, SERVICE, challenge))


def test_a_signature_for_another_service_or_by_another_key_is_refused(
    ledger: Ledger, service: LoginService
) -> None:
    tenant = ledger.register("tenant", Role.TENANT)
    for signature_of in (
        lambda c: sign_login(tenant, "other.example", c),
        lambda c: sign_login(SigningKey.generate(), SERVICE, c),
    ):
        challenge = service.challenge()
        with pytest.raises(LoginRefused, match="does not verify"):
            service.login(tenant.public_key.kid, challenge, signature_of(challenge))
