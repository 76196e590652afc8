"""Fingerprint actions of Rental Lock: station keys and authorisation, consent, enrol, withdraw.

The hub is the building's enrolling station. Administrators read its public keys, deliver the
landlord's authorisation of it to a lock, and enrol a tenant's finger after checking their
identity; tenants record and withdraw their signed consents. Every refusal is a translated
ServiceValidationError naming what to fix, and changes nothing.
"""

from __future__ import annotations

from typing import Any

import probatio
from homeassistant.core import ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.exceptions import ServiceValidationError, Unauthorized, UnknownUser
from homeassistant.helpers import config_validation as cv

from buildinghub.biometrics.consent import TEMPLATE_ID_LENGTH, Consent
from buildinghub.biometrics.erase import EraseConfirmation
from buildinghub.biometrics.sealing import MAX_TEMPLATE_BYTES
from buildinghub.radio.schemes import backend_for
from buildinghub_ha.actions import (
    Action,
    async_check_user,
    b64url,
    decode_base64,
    entry_schema,
)
from buildinghub_ha.const import CONF_RADIO_PATH

from .biometrics import HeldTemplate, HubBiometrics, IdentityCheck
from .const import ATTR_USER_ID, DOCUMENT_KINDS, DOMAIN
from .coordinator import RentalLockConfigEntry
from .errors import BIOMETRIC_ERRORS, ERASE_ERRORS
from .hub import LockContext
from .services import rental_entry

ATTR_LOCK = "lock"
ATTR_AUTHORISATION = "authorisation"
ATTR_CONSENT = "consent"
ATTR_WITHDRAWAL = "withdrawal"
ATTR_TEMPLATE_ID = "template_id"
ATTR_VERIFIED_BY = "verified_by"
ATTR_DOCUMENT = "document_kind"
ATTR_TEMPLATE = "template"
ATTR_SIMULATED_FINGER = "simulated_finger"
_RECORD_TEXT = probatio.All(cv.string, probatio.Length(min=1, max=1400))

AUTHORISE_SCHEMA = entry_schema(
    {
        probatio.Required(ATTR_LOCK): cv.string,
        probatio.Required(ATTR_AUTHORISATION): _RECORD_TEXT,
    }
)
CONSENT_SCHEMA = entry_schema({probatio.Required(ATTR_CONSENT): _RECORD_TEXT})
WITHDRAW_SCHEMA = entry_schema({probatio.Required(ATTR_WITHDRAWAL): _RECORD_TEXT})
ENROL_SCHEMA = entry_schema(
    {
        probatio.Required(ATTR_LOCK): cv.string,
        probatio.Required(ATTR_USER_ID): cv.string,
        probatio.Required(ATTR_TEMPLATE_ID): cv.string,
        probatio.Required(ATTR_VERIFIED_BY): probatio.All(
            cv.string, probatio.Length(min=1, max=64)
        ),
        probatio.Required(ATTR_DOCUMENT): probatio.In(DOCUMENT_KINDS),
        probatio.Exclusive(ATTR_TEMPLATE, "capture"): probatio.All(
            cv.string, probatio.Length(max=4 * MAX_TEMPLATE_BYTES)
        ),
        probatio.Exclusive(ATTR_SIMULATED_FINGER, "capture"): probatio.All(
            cv.string, probatio.Length(min=1, max=64)
        ),
    }
)


def _invalid(key: str, **placeholders: str) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )


def _decode(text: str, what: str) -> bytes:
    return decode_base64(text, domain=DOMAIN, key="biometric_not_base64", field=what)


def _biometrics(call: ServiceCall) -> tuple[RentalLockConfigEntry, HubBiometrics]:
    entry = rental_entry(call)
    return entry, entry.runtime_data.hub.biometrics


def _lock(entry: RentalLockConfigEntry, name: str) -> LockContext:
    """The lock by its id (door-01), or by the flat it guards (Flat 1A)."""
    hub = entry.runtime_data.hub
    context = hub.context_for_lock_id(name)
    flats = [c for c in hub.locks.values() if c.installation.flat.casefold() == name.casefold()]
    if context is None and len(flats) == 1:
        context = flats[0]
    if context is None:
        raise _invalid("biometric_unknown_lock", lock=name)
    return context


async def _async_station_keys(call: ServiceCall) -> ServiceResponse:
    """The station's public keys, for the landlord to authorise it."""
    station = _biometrics(call)[1].station.known_as()
    return {
        "station": station.name,
        "signing_key": b64url(station.signing_key.to_bytes()),
        "sealing_key": b64url(station.sealing_key.to_bytes()),
        "key_id": station.signing_key.kid.hex(),
    }


async def _async_authorise(call: ServiceCall) -> ServiceResponse:
    entry, biometrics = _biometrics(call)
    context = _lock(entry, call.data[ATTR_LOCK])
    record = _decode(call.data[ATTR_AUTHORISATION], ATTR_AUTHORISATION)
    with BIOMETRIC_ERRORS.translated(flat=context.installation.flat):
        authorisation = await biometrics.async_authorise(context, record)
    return {
        "flat": context.installation.flat,
        "lock": authorisation.lock,
        "building": authorisation.building,
        "station": authorisation.station.name,
        "issued_at": authorisation.issued_at,
    }


def _consent_answer(consent: Consent) -> dict[str, Any]:
    record = consent.record
    return {
        "template_id": record.template_id.hex(),
        "tenant": record.tenant,
        "lock": record.lock,
        "purposes": sorted(purpose.value for purpose in record.purposes),
        "given_at": record.given_at,
        "withdrawn_at": consent.withdrawn_at,
    }


async def _async_record_consent(call: ServiceCall) -> ServiceResponse:
    """Any signed-in user may hand in their signed consent; the signature is what counts."""
    biometrics = _biometrics(call)[1]
    data = _decode(call.data[ATTR_CONSENT], ATTR_CONSENT)
    with BIOMETRIC_ERRORS.translated():
        consent = await biometrics.async_record_consent(data, call.context.user_id)
    return _consent_answer(consent)


def _template_id(text: str) -> bytes:
    try:
        template_id = bytes.fromhex(text.strip())
    except ValueError:
        template_id = b""
    if len(template_id) != TEMPLATE_ID_LENGTH:
        raise _invalid("biometric_template_id_not_hex")
    return template_id


def _captured(entry: RentalLockConfigEntry, data: dict[str, Any]) -> bytes:
    """The template from the station's reader: given, or captured by the reader that comes
    with the building's radio (the simulated building's)."""
    if ATTR_TEMPLATE in data:
        template = _decode(data[ATTR_TEMPLATE], ATTR_TEMPLATE)
        if not 1 <= len(template) <= MAX_TEMPLATE_BYTES:
            raise _invalid("biometric_template_size", limit=str(MAX_TEMPLATE_BYTES))
        return template
    path = entry.data[CONF_RADIO_PATH]
    reader = backend_for(path).fingerprint_reader(path)
    if ATTR_SIMULATED_FINGER not in data or reader is None:
        raise _invalid("biometric_no_capture")
    return reader.capture(data[ATTR_SIMULATED_FINGER])


def _held_answer(held: HeldTemplate, flat: str, path: str | None) -> dict[str, Any]:
    return {
        "flat": flat,
        "template_id": held.template_id,
        "tenant": held.tenant,
        "epoch": held.epoch,
        "channel": held.channel,
        "path": path,
        "verified_by": held.verified_by,
        "document_kind": held.document,
    }


async def _async_enrol(call: ServiceCall) -> ServiceResponse:
    entry, biometrics = _biometrics(call)
    context = _lock(entry, call.data[ATTR_LOCK])
    user = call.data[ATTR_USER_ID]
    await async_check_user(call.hass, DOMAIN, user)
    template_id = _template_id(call.data[ATTR_TEMPLATE_ID])
    template = _captured(entry, call.data)
    identity = IdentityCheck(
        verified_by=call.data[ATTR_VERIFIED_BY], document=call.data[ATTR_DOCUMENT]
    )
    try:
        with BIOMETRIC_ERRORS.translated(flat=context.installation.flat):
            held, receipt = await biometrics.async_enrol(
                context, template_id=template_id, template=template, user=user, identity=identity
            )
    except OSError as err:
        raise _invalid("biometric_media_unwritable", detail=str(err)) from err
    path = str(receipt.path) if receipt.path else None
    return _held_answer(held, context.installation.flat, path)


async def _may_withdraw(call: ServiceCall, biometrics: HubBiometrics, data: bytes) -> None:
    """An administrator, or the user who recorded the consent or was enrolled under it."""
    user_id = call.context.user_id
    if user_id is None:
        return
    user = await call.hass.auth.async_get_user(user_id)
    if user is None:
        raise UnknownUser(context=call.context)
    if user.is_admin:
        return
    with BIOMETRIC_ERRORS.translated():
        consent = biometrics.named_consent(data)
    held = biometrics.templates.get(consent.record.template_id.hex())
    if user_id not in (biometrics.consent_user(consent), held.user if held else None):
        raise Unauthorized(context=call.context)


def _confirmation_answer(confirmation: EraseConfirmation | None) -> dict[str, Any] | None:
    if confirmation is None:
        return None
    return {
        "lock": confirmation.lock,
        "building": confirmation.building,
        "template_id": confirmation.template_id.hex(),
        "held": confirmation.held,
        "erased_at": confirmation.erased_at,
    }


async def _async_withdraw(call: ServiceCall) -> ServiceResponse:
    biometrics = _biometrics(call)[1]
    data = _decode(call.data[ATTR_WITHDRAWAL], ATTR_WITHDRAWAL)
    await _may_withdraw(call, biometrics, data)
    with ERASE_ERRORS.translated():
        consent, confirmation = await biometrics.async_withdraw(data)
    return {"consent": _consent_answer(consent), "confirmation": _confirmation_answer(confirmation)}


BIOMETRIC_ACTIONS = (
    Action("station_keys", _async_station_keys, entry_schema(), SupportsResponse.ONLY),
    Action("authorise_station", _async_authorise, AUTHORISE_SCHEMA, SupportsResponse.OPTIONAL),
    # A tenant hands in and withdraws their own signed consent: the signature is what counts.
    Action(
        "record_consent",
        _async_record_consent,
        CONSENT_SCHEMA,
        SupportsResponse.OPTIONAL,
        admin_only=False,
    ),
    Action("enrol_fingerprint", _async_enrol, ENROL_SCHEMA, SupportsResponse.OPTIONAL),
    Action(
        "withdraw_consent",
        _async_withdraw,
        WITHDRAW_SCHEMA,
        SupportsResponse.OPTIONAL,
        admin_only=False,
    ),
)
