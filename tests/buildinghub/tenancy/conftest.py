"""A landlord, a tenant and their signed lease, shared by the tenancy tests."""

from dataclasses import dataclass
from datetime import date

import pytest

from buildinghub.credentials.keys import SigningKey
from buildinghub.credentials.sealing import SealingKey
from buildinghub.keylog.identity import identity_lookup_hash
from buildinghub.tenancy.contract import (
    LeaseTerms,
    SignedContract,
    contract_document,
    sign_contract,
    signed_contract,
    verify_contract,
)

IDENTITY_NUMBER = "X1234567-L"
LEDGER_SALT = b"building-hub-ledger-salt-v1"


@dataclass(frozen=True)
class Party:
    """A landlord or tenant: a name, a signing key and a sealing key."""

    name: str
    signing_key: SigningKey
    sealing_key: SealingKey


@pytest.fixture(scope="session")
def landlord() -> Party:
    return Party("landlord-3", SigningKey.generate(), SealingKey.generate())


@pytest.fixture(scope="session")
def tenant() -> Party:
    return Party("tenant-0042", SigningKey.generate(), SealingKey.generate())


@pytest.fixture(scope="session")
def terms(landlord: Party, tenant: Party) -> LeaseTerms:
    return LeaseTerms(
        building="building-7",
        flat="floor3-flat12",
        lock="b7-floor3-flat12-door",
        landlord=landlord.name,
        landlord_key=landlord.signing_key.public_key,
        tenant=tenant.name,
        tenant_key=tenant.signing_key.public_key,
        tenant_identity=identity_lookup_hash(LEDGER_SALT, IDENTITY_NUMBER),
        rent=95_000,
        currency="EUR",
        due_day=31,
        start=date(2026, 1, 15),
        end=date(2026, 12, 31),
        deposit=190_000,
    )


@pytest.fixture(scope="session")
def document(terms: LeaseTerms) -> bytes:
    return contract_document(terms)


@pytest.fixture(scope="session")
def contract_bytes(document: bytes, landlord: Party, tenant: Party) -> bytes:
    return signed_contract(
        document,
        landlord=sign_contract(document, landlord.signing_key),
        tenant=sign_contract(document, tenant.signing_key),
    )


@pytest.fixture(scope="session")
def contract(contract_bytes: bytes) -> SignedContract:
    return verify_contract(contract_bytes)
