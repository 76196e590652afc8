"""Login (SPEC K5): a fresh challenge signed by a key the ledger shows registered, not revoked."""

import pytest

from buildinghub.credentials import SigningKey
from buildinghub.keylog.entries import KeyRevocation, Role, rotate_key
from buildinghub.keylog.errors import LoginRefused
from buildinghub.keylog.login import LoginService, sign_login

from .conftest import BUILDING, NOW, Ledger, SettableClock

SERVICE = "cloud.building-7.example"


@pytest.fixture
def service(ledger: Ledger, clock: SettableClock) -> LoginService:
    return LoginService(SERVICE, ledger.log.state, clock, lifetime=60)


def test_a_registered_key_logs_in_with_a_fresh_challenge(
    ledger: Ledger, service: LoginService
) -> None:
    tenant = ledger.register("tenant", Role.TENANT)
    challenge = service.challenge(tenant.public_key.kid)

    record = service.login(tenant.public_key.kid, challenge, sign_login(tenant, SERVICE, challenge))

    assert record.key == tenant.public_key
    assert record.role is Role.TENANT


def test_a_replayed_login_challenge_is_refused(ledger: Ledger, service: LoginService) -> None:
    tenant = ledger.register("tenant", Role.TENANT)
    challenge = service.challenge(tenant.public_key.kid)
    signature = sign_login(tenant, SERVICE, challenge)
    service.login(tenant.public_key.kid, challenge, signature)

    with pytest.raises(LoginRefused, match="already used"):
        service.login(tenant.public_key.kid, challenge, signature)


def test_an_expired_challenge_is_refused(
    ledger: Ledger, service: LoginService, clock: SettableClock
) -> None:
    tenant = ledger.register("tenant", Role.TENANT)
    challenge = service.challenge(tenant.public_key.kid)
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
    ledger.log.append(KeyRevocation(revoked.public_key.kid, NOW, "phone stolen", building=BUILDING))
    ledger.log.append(rotate_key(rotated, SigningKey.generate().public_key, NOW, building=BUILDING))

    for key, status in ((revoked, "revoked"), (rotated, "rotated")):
        with pytest.raises(LoginRefused, match=status):
            service.challenge(key.public_key.kid)


def test_an_unregistered_key_gets_no_challenge(service: LoginService) -> None:
    stranger = SigningKey.generate()

    with pytest.raises(LoginRefused, match="no key"):
        service.challenge(stranger.public_key.kid)


def test_a_signature_for_another_service_or_by_another_key_is_refused(
    ledger: Ledger, service: LoginService
) -> None:
    tenant = ledger.register("tenant", Role.TENANT)
    for signature_of in (
        lambda c: sign_login(tenant, "other.example", c),
        lambda c: sign_login(SigningKey.generate(), SERVICE, c),
    ):
        challenge = service.challenge(tenant.public_key.kid)
        with pytest.raises(LoginRefused, match="does not verify"):
            service.login(tenant.public_key.kid, challenge, signature_of(challenge))


def test_a_key_revoked_after_its_challenge_cannot_log_in(
    ledger: Ledger, service: LoginService
) -> None:
    tenant = ledger.register("tenant", Role.TENANT)
    challenge = service.challenge(tenant.public_key.kid)
    ledger.log.append(KeyRevocation(tenant.public_key.kid, NOW, "phone stolen", building=BUILDING))

    with pytest.raises(LoginRefused, match="revoked"):
        service.login(tenant.public_key.kid, challenge, sign_login(tenant, SERVICE, challenge))


def test_a_challenge_issued_to_one_key_does_not_log_another_in(
    ledger: Ledger, service: LoginService
) -> None:
    tenant = ledger.register("tenant", Role.TENANT)
    other = ledger.register("other", Role.TENANT)
    challenge = service.challenge(tenant.public_key.kid)

    with pytest.raises(LoginRefused, match="never issued to this key"):
        service.login(other.public_key.kid, challenge, sign_login(other, SERVICE, challenge))


def test_other_parties_challenges_never_evict_an_outstanding_one(
    ledger: Ledger, service: LoginService
) -> None:
    tenant = ledger.register("tenant", Role.TENANT)
    crowd = [ledger.register(f"tenant-{n}", Role.TENANT) for n in range(20)]
    mine = service.challenge(tenant.public_key.kid)
    for key in crowd:
        for _ in range(100):
            service.challenge(key.public_key.kid)
    for _ in range(100):  # even a flood for the same key id: nothing is stored per challenge
        service.challenge(tenant.public_key.kid)

    assert service.login(tenant.public_key.kid, mine, sign_login(tenant, SERVICE, mine))
    assert service.remembered() == 1


def test_what_is_remembered_is_bounded_per_key_and_forgotten_when_it_expires(
    ledger: Ledger, clock: SettableClock
) -> None:
    service = LoginService(SERVICE, ledger.log.state, clock, lifetime=60, per_key=3)
    tenant = ledger.register("tenant", Role.TENANT)

    def log_in() -> None:
        challenge = service.challenge(tenant.public_key.kid)
        service.login(tenant.public_key.kid, challenge, sign_login(tenant, SERVICE, challenge))

    for _ in range(3):
        log_in()
    with pytest.raises(LoginRefused, match="logged in 3 times within 60 seconds"):
        log_in()
    assert service.remembered() == 3

    clock.time = NOW + 61
    log_in()
    assert service.remembered() == 1
