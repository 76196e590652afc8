"""Tenancy actions of Rental Lock: install a lease from its contract, record rent and inspections.

All three are for administrators (the property manager). Each takes the signed document in
base64 as the landlord's or the tenant's app exports it; a refused document changes nothing.
"""

from __future__ import annotations

import probatio
from homeassistant.core import ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.helpers import config_validation as cv

from buildinghub.credentials import MAX_GRANT_BYTES
from buildinghub.tenancy.contract import MAX_CONTRACT_BYTES
from buildinghub.tenancy.inspection import MAX_INSPECTION_BYTES
from buildinghub.tenancy.rent import MAX_PAYMENT_BYTES
from buildinghub_ha.actions import Action, async_check_user, decode_base64, entry_schema

from .const import (
    ATTR_CONTRACT,
    ATTR_GRANT,
    ATTR_INSPECTION,
    ATTR_PAYMENT,
    ATTR_USER_ID,
    DOMAIN,
)
from .errors import tenancy_errors
from .services import async_install_checked, rental_entry
from .tenancy import HubTenancy

# The refusal reasons with their own message; any other reads "<document>_refused".
LEASE_ERRORS = tenancy_errors(
    "lease",
    frozenset(
        {"malformed", "malformed_key", "malformed_record", "oversized", "bad_signature",
         "contract_mismatch", "refused"}
    ),
)  # fmt: skip
PAYMENT_ERRORS = tenancy_errors(
    "payment",
    frozenset({"malformed_record", "bad_signature", "unknown_contract", "duplicate", "refused"}),
)
INSPECTION_ERRORS = tenancy_errors(
    "inspection", frozenset({"malformed_record", "bad_signature", "refused"})
)


def _document(limit: int) -> probatio.All[str]:
    # base64 of at most `limit` bytes, with room for padding and line breaks.
    return probatio.All(cv.string, probatio.Length(min=1, max=2 * limit))


LEASE_SCHEMA = entry_schema(
    {
        probatio.Required(ATTR_CONTRACT): _document(MAX_CONTRACT_BYTES),
        probatio.Required(ATTR_GRANT): _document(MAX_GRANT_BYTES),
        probatio.Optional(ATTR_USER_ID): cv.string,
    }
)
PAYMENT_SCHEMA = entry_schema({probatio.Required(ATTR_PAYMENT): _document(MAX_PAYMENT_BYTES)})
INSPECTION_SCHEMA = entry_schema(
    {probatio.Required(ATTR_INSPECTION): _document(MAX_INSPECTION_BYTES)}
)


def _decode(call: ServiceCall, name: str) -> bytes:
    return decode_base64(call.data[name], domain=DOMAIN, key="document_not_base64", field=name)


def _tenancy(call: ServiceCall) -> HubTenancy:
    return rental_entry(call).runtime_data.tenancy


async def _async_install_lease(call: ServiceCall) -> ServiceResponse:
    entry = rental_entry(call)
    tenancy = entry.runtime_data.tenancy
    contract_data, grant_data = _decode(call, ATTR_CONTRACT), _decode(call, ATTR_GRANT)
    user = call.data.get(ATTR_USER_ID)
    await async_check_user(call.hass, DOMAIN, user)
    with LEASE_ERRORS.translated():
        contract = tenancy.check_lease(contract_data, grant_data)
    held = await async_install_checked(entry.runtime_data.hub, grant_data, user)
    lease = await tenancy.async_keep_lease(contract, user)
    terms = contract.terms
    due = tenancy.next_due(lease.lock_id)
    return {
        "flat": terms.flat,
        "contract": contract.digest.hex(),
        "grant_id": held.grant_id.hex(),
        "start": terms.start.isoformat(),
        "end": terms.end.isoformat(),
        "next_due": None if due is None else due.isoformat(),
    }


async def _async_record_payment(call: ServiceCall) -> ServiceResponse:
    data = _decode(call, ATTR_PAYMENT)
    with PAYMENT_ERRORS.translated():
        lease, payment = await _tenancy(call).async_record_payment(data)
    return {
        "flat": lease.contract.terms.flat,
        "due": payment.due.isoformat(),
        "amount": payment.amount,
        "currency": payment.currency,
        "on_time": payment.on_time,
    }


async def _async_record_inspection(call: ServiceCall) -> ServiceResponse:
    data = _decode(call, ATTR_INSPECTION)
    with INSPECTION_ERRORS.translated():
        lease, entry = await _tenancy(call).async_record_inspection(data)
    return {
        "flat": lease.contract.terms.flat,
        "inspection": entry.digest,
        "deposit_returned": entry.deposit_returned,
        "deducted": entry.deducted,
    }


TENANCY_ACTIONS = tuple(
    Action(name=name, handler=handler, schema=schema, response=SupportsResponse.OPTIONAL)
    for name, handler, schema in (
        ("install_lease", _async_install_lease, LEASE_SCHEMA),
        ("record_payment", _async_record_payment, PAYMENT_SCHEMA),
        ("record_inspection", _async_record_inspection, INSPECTION_SCHEMA),
    )
)
