"""One building, two locks, a tenant, an enrolling station and a hub, for the biometrics tests."""

from dataclasses import dataclass

import pytest

from buildinghub.biometrics.consent import ConsentBook, ConsentRecord, Purpose, sign_consent
from buildinghub.biometrics.lock_templates import LockTemplates
from buildinghub.biometrics.sealing import EnrollingStation, TemplateBinding, seal_template
from buildinghub.credentials.keys import SigningKey
from buildinghub.credentials.sealing import SealingKey

NOW = 1_767_225_600  # 2026-01-01T00:00:00Z
BUILDING = "building-7"
LOCK = "b7-floor3-flat12-door"
OTHER_LOCK = "b7-floor3-flat14-door"
TENANT = "tenant-0042"
TEMPLATE_ID = bytes(range(16))
# Stands in for an ISO/IEC 19794-2 minutiae template: opaque bytes to everything here.
TEMPLATE = b"FMR\x00 20\x00" + bytes(range(200))


@dataclass(frozen=True)
class Lock:
    """A lock's identity and its two keys (signing, sealing)."""

    name: str
    signing_key: SigningKey
    sealing_key: SealingKey


@pytest.fixture(scope="session")
def lock() -> Lock:
    return Lock(LOCK, SigningKey.generate(), SealingKey.generate())


@pytest.fixture(scope="session")
def other_lock() -> Lock:
    return Lock(OTHER_LOCK, SigningKey.generate(), SealingKey.generate())


@pytest.fixture(scope="session")
def tenant_key() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture(scope="session")
def hub_key() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture(scope="session")
def station() -> EnrollingStation:
    return EnrollingStation("station-lobby", SigningKey.generate(), SealingKey.generate())


@pytest.fixture(scope="session")
def binding() -> TemplateBinding:
    return TemplateBinding(
        building=BUILDING, lock=LOCK, tenant=TENANT, template_id=TEMPLATE_ID, epoch=1
    )


@pytest.fixture(scope="session")
def bundle(binding: TemplateBinding, lock: Lock, station: EnrollingStation) -> bytes:
    return seal_template(
        TEMPLATE, binding, lock_sealing_key=lock.sealing_key.public_key, station=station
    )


def make_lock_templates(
    lock: Lock, station: EnrollingStation, hub_key: SigningKey
) -> LockTemplates:
    """A lock's template memory trusting station and hub."""
    return LockTemplates(
        building=BUILDING,
        lock=lock.name,
        signing_key=lock.signing_key,
        sealing_key=lock.sealing_key,
        stations=[station.known_as()],
        erase_issuers=[hub_key.public_key],
    )


@pytest.fixture
def lock_templates(lock: Lock, station: EnrollingStation, hub_key: SigningKey) -> LockTemplates:
    return make_lock_templates(lock, station, hub_key)


@pytest.fixture
def consent_book(tenant_key: SigningKey) -> ConsentBook:
    return ConsentBook({TENANT: tenant_key.public_key})


@pytest.fixture(scope="session")
def consent() -> ConsentRecord:
    return ConsentRecord(
        tenant=TENANT,
        purposes=frozenset({Purpose.CAPTURE, Purpose.STORE}),
        lock=LOCK,
        template_id=TEMPLATE_ID,
        given_at=NOW,
    )


@pytest.fixture(scope="session")
def signed_consent(consent: ConsentRecord, tenant_key: SigningKey) -> bytes:
    return sign_consent(consent, tenant_key)
