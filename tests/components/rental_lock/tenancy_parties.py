"""A flat's landlord and tenant sign a lease, pay rent and inspect, with the library."""

from __future__ import annotations

import base64
import hashlib
import time
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from homeassistant.core import Context, HomeAssistant

from buildinghub.credentials import SigningKey
from buildinghub.credentials.cose_sign import sign_payload
from buildinghub.keylog.identity import identity_lookup_hash
from buildinghub.tenancy.contract import (
    LeaseTerms,
    SignedContract,
    contract_document,
    issue_lease_grant,
    sign_contract,
    signed_contract,
    verify_contract,
)
from buildinghub.tenancy.inspection import (
    Condition,
    Finding,
    InspectionReport,
    inspection_document,
    sign_inspection,
    signed_inspection,
)
from buildinghub.tenancy.rent import PaymentRecord, sign_payment
from buildinghub_sim.building import SimulatedBuilding, SimulatedFlat
from custom_components.rental_lock.const import DOMAIN

RENT = 95_000
DEPOSIT = 190_000


def b64(data: bytes) -> str:
    """As the landlord's or the tenant's app exports a signed document."""
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


@dataclass(frozen=True)
class Lease:
    """A signed contract, its bytes, and the lease grant the landlord issued from it."""

    contract: SignedContract
    encoded: bytes
    grant: bytes


@dataclass(frozen=True)
class Parties:
    """The flat's landlord (the building's key for it) and its tenant."""

    building: SimulatedBuilding
    flat: SimulatedFlat
    tenant_key: SigningKey

    @property
    def landlord_key(self) -> SigningKey:
        """The key the flat's landlord installed its lock with."""
        return self.building.landlords[self.flat.landlord]

    def terms(self, **changes: Any) -> LeaseTerms:
        """What they agree: 950.00 EUR on the 3rd, November 2026 to April 2027."""
        terms = LeaseTerms(
            building="Simulated building",
            flat=self.flat.name,
            lock=self.flat.lock_id,
            landlord=self.flat.landlord,
            landlord_key=self.landlord_key.public_key,
            tenant=self.flat.tenant,
            tenant_key=self.tenant_key.public_key,
            tenant_identity=identity_lookup_hash(b"test-ledger-salt", "X1234567-L"),
            rent=RENT,
            currency="EUR",
            due_day=3,
            start=date(2026, 11, 1),
            end=date(2027, 4, 30),
            deposit=DEPOSIT,
        )
        return replace(terms, **changes)

    def sign(self, terms: LeaseTerms, *, tenant_key: SigningKey | None = None) -> Lease:
        """Both sign the terms; the landlord issues the lease grant from the contract."""
        document = contract_document(terms)
        landlord = sign_contract(document, self.landlord_key)
        if tenant_key is None:
            encoded = signed_contract(
                document, landlord=landlord, tenant=sign_contract(document, self.tenant_key)
            )
            contract = verify_contract(encoded)
        else:
            # A forger signs where the tenant should, with a key the terms do not name.
            encoded = signed_contract(
                document, landlord=landlord, tenant=sign_payload(document, tenant_key)
            )
            contract = SignedContract(terms, hashlib.sha256(document).digest(), encoded)
        grant = issue_lease_grant(contract, self.landlord_key, issued_at=int(time.time()))
        return Lease(contract, encoded, grant)

    def pay(self, lease: Lease, due: date, paid_at: int, *, key: SigningKey | None = None) -> bytes:
        """The tenant signs a payment of the full rent for one due date."""
        terms = lease.contract.terms
        record = PaymentRecord(
            contract=lease.contract.digest,
            tenant=terms.tenant,
            due=due,
            amount=terms.rent,
            currency=terms.currency,
            paid_at=paid_at,
            reference=f"transfer {due.isoformat()}",
        )
        return sign_payment(record, key or self.tenant_key)

    def inspect(self, lease: Lease, inspected_at: int, deduction: int) -> bytes:
        """A move-out inspection both sign: one worn area, the rest of the deposit returned."""
        report = InspectionReport(
            contract=lease.contract.digest,
            inspected_at=inspected_at,
            findings=(
                Finding("kitchen", Condition.GOOD, 0),
                Finding("living room floor", Condition.WORN, deduction),
            ),
            deposit_returned=DEPOSIT - deduction,
        )
        document = inspection_document(report)
        return signed_inspection(
            document,
            landlord=sign_inspection(document, self.landlord_key, lease.contract),
            tenant=sign_inspection(document, self.tenant_key, lease.contract),
        )


async def call(
    hass: HomeAssistant, action: str, data: dict[str, Any], context: Context | None = None
) -> dict[str, Any]:
    """Call a Rental Lock action as the property manager (or as ``context``'s user)."""
    response = await hass.services.async_call(
        DOMAIN, action, data, blocking=True, return_response=True, context=context
    )
    await hass.async_block_till_done()  # the events it fired reach their listeners
    assert response is not None
    return dict(response)


async def install_lease(hass: HomeAssistant, lease: Lease, **extra: str) -> dict[str, Any]:
    """The property manager installs the lease from its contract."""
    return await call(
        hass, "install_lease", {"contract": b64(lease.encoded), "grant": b64(lease.grant), **extra}
    )
