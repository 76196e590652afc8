"""Tenancy actions of Rental Lock: install a lease from its contract, record rent and inspections.

All three are for administrators (the property manager). Each takes the signed document in
base64 as the landlord's or the tenant's app exports it; a refused document changes nothing.
"""

from __future__ import annotations

import base64
import binascii

import probatio
from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv

from buildinghub.credentials import MAX_GRANT_BYTES, CredentialError
from buildinghub.tenancy.contract import MAX_CONTRACT_BYTES
from buildinghub.tenancy.inspection import MAX_INSPECTION_BYTES
from buildinghub.tenancy.rent import MAX_PAYMENT_BYTES

from .const import (
    ATTR_CONFIG_ENTRY_ID,
    ATTR_CONTRACT,
    ATTR_GRANT,
    ATTR_INSPECTION,
    ATTR_PAYMENT,
    ATTR_USER_ID,
    DOMAIN,
)
from .services import _admin_only, _entry, async_check_user, async_install_checked
from .tenancy import HubTenancy

SERVICE_INSTALL_LEASE = "install_lease"
SERVICE_RECORD_PAYMENT = "record_payment"
SERVICE_RECORD_INSPECTION = "record_inspection"
# The refusal reasons with their own message; any other reads "<document>_refused".
_TRANSLATED = {
    "lease": frozenset(
        {"malformed", "malformed_key", "malformed_record", "oversized", "bad_signature",
         "contract_mismatch", "refused"}
    ),
    "payment": frozenset(
        {"malformed_record", "bad_signature", "unknown_contract", "duplicate", "refused"}
    ),
    "inspection": frozenset({"malformed_record", "bad_signature", "refused"}),
}  # fmt: skip


def _document(limit: int) -> probatio.All[str]:
    # base64 of at most `limit` bytes, with room for padding and line breaks.
    return probatio.All(cv.string, probatio.Length(min=1, max=2 * limit))


_ENTRY = probatio.Optional(ATTR_CONFIG_ENTRY_ID)
LEASE_SCHEMA = probatio.Schema(
    {
        _ENTRY: cv.string,
        probatio.Required(ATTR_CONTRACT): _document(MAX_CONTRACT_BYTES),
        probatio.Required(ATTR_GRANT): _document(MAX_GRANT_BYTES),
        probatio.Optional(ATTR_USER_ID): cv.string,
    }
)
PAYMENT_SCHEMA = probatio.Schema(
    {_ENTRY: cv.string, probatio.Required(ATTR_PAYMENT): _document(MAX_PAYMENT_BYTES)}
)
INSPECTION_SCHEMA = probatio.Schema(
    {_ENTRY: cv.string, probatio.Required(ATTR_INSPECTION): _document(MAX_INSPECTION_BYTES)}
)


def _decode(call: ServiceCall, name: str) -> bytes:
    cleaned = "".join(call.data[name].split())
    try:
        return base64.urlsafe_b64decode(cleaned + "=" * (-len(cleaned) % 4))
    except (binascii.Error, ValueError) as err:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="document_not_base64",
            translation_placeholders={"field": name},
        ) from err


def _refused(what: str, err: CredentialError) -> ServiceValidationError:
    """A refusal a person can act on: which document, why (the library's reason), the detail."""
    reason = err.reason.removeprefix(f"{what}_")
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=f"{what}_{reason if reason in _TRANSLATED[what] else 'refused'}",
        translation_placeholders={"detail": str(err)},
    )


def _tenancy(call: ServiceCall) -> HubTenancy:
    return _entry(call.hass, call).runtime_data.tenancy


async def _async_install_lease(call: ServiceCall) -> ServiceResponse:
    entry = _entry(call.hass, call)
    tenancy = entry.runtime_data.tenancy
    contract_data, grant_data = _decode(call, ATTR_CONTRACT), _decode(call, ATTR_GRANT)
    user = call.data.get(ATTR_USER_ID)
    await async_check_user(call.hass, user)
    try:
        contract = tenancy.check_lease(contract_data, grant_data)
    except CredentialError as err:
        raise _refused("lease", err) from err
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
    try:
        lease, payment = await _tenancy(call).async_record_payment(data)
    except CredentialError as err:
        raise _refused("payment", err) from err
    return {
        "flat": lease.contract.terms.flat,
        "due": payment.due.isoformat(),
        "amount": payment.amount,
        "currency": payment.currency,
        "on_time": payment.on_time,
    }


async def _async_record_inspection(call: ServiceCall) -> ServiceResponse:
    data = _decode(call, ATTR_INSPECTION)
    try:
        lease, entry = await _tenancy(call).async_record_inspection(data)
    except CredentialError as err:
        raise _refused("inspection", err) from err
    return {
        "flat": lease.contract.terms.flat,
        "inspection": entry.digest,
        "deposit_returned": entry.deposit_returned,
        "deducted": entry.deducted,
    }


def async_setup_tenancy_services(hass: HomeAssistant) -> None:
    """Register the tenancy actions (administrators only)."""
    for name, handler, schema in (
        (SERVICE_INSTALL_LEASE, _async_install_lease, LEASE_SCHEMA),
        (SERVICE_RECORD_PAYMENT, _async_record_payment, PAYMENT_SCHEMA),
        (SERVICE_RECORD_INSPECTION, _async_record_inspection, INSPECTION_SCHEMA),
    ):
        hass.services.async_register(
            DOMAIN, name, _admin_only(handler), schema, supports_response=SupportsResponse.OPTIONAL
        )
