"""Keys, a realistic lease grant and a verifier for it, shared by the credentials tests."""

import os
from collections.abc import Callable
from dataclasses import replace

import pytest

from buildinghub.credentials import (
    Grant,
    GrantKind,
    GrantVerifier,
    SigningKey,
    StaticTrustStore,
    TrustedIssuer,
    issue_grant,
)

NOW = 1_767_225_600  # 2026-01-01T00:00:00Z
ISSUER = "cloud.building-7.example"
LOCK = "b7-floor3-flat12-door"


class SettableClock:
    """A Clock whose time the test sets."""

    def __init__(self, time: int) -> None:
        self.time = time

    def now(self) -> int:
        return self.time


@pytest.fixture(scope="session")
def issuer_key() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture(scope="session")
def holder_key() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture(scope="session")
def make_grant(holder_key: SigningKey) -> Callable[..., Grant]:
    """A lease for LOCK valid around NOW, with any field changed."""
    lease = Grant(
        issuer=ISSUER,
        subject="tenant-0042@building-7",
        audience=LOCK,
        not_before=NOW - 3600,
        expires=NOW + 30 * 86_400,
        issued_at=NOW - 3600,
        grant_id=os.urandom(16),
        holder_key=holder_key.public_key,
        kind=GrantKind.LEASE,
        sealed_pin=os.urandom(91),
    )

    def make(**changes: object) -> Grant:
        return replace(lease, **changes)  # type: ignore[arg-type]

    return make


@pytest.fixture(scope="session")
def lease(make_grant: Callable[..., Grant]) -> Grant:
    return make_grant()


@pytest.fixture(scope="session")
def encoded_lease(lease: Grant, issuer_key: SigningKey) -> bytes:
    return issue_grant(lease, issuer_key)


@pytest.fixture(scope="session")
def trust(issuer_key: SigningKey) -> StaticTrustStore:
    return StaticTrustStore([TrustedIssuer(ISSUER, issuer_key.public_key)])


@pytest.fixture
def clock() -> SettableClock:
    return SettableClock(NOW)


@pytest.fixture
def verifier(trust: StaticTrustStore, clock: SettableClock) -> GrantVerifier:
    return GrantVerifier(LOCK, trust, clock)
