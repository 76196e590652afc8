"""Actions of Rental Lock: install a grant, revoke a grant, purge expired grants now."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Coroutine
from typing import Any

import probatio
from homeassistant.components.notify.const import ATTR_MESSAGE, ATTR_TITLE
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_FLOOR_ID
from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.exceptions import (
    HomeAssistantError,
    ServiceValidationError,
    Unauthorized,
    UnknownUser,
)
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import floor_registry as fr

from buildinghub.credentials import MAX_GRANT_BYTES, CredentialError
from buildinghub.devices.door_lock import LockRefused
from buildinghub.devices.grant_book import HeldGrant
from buildinghub.keylog.client import CloudRefused, CloudUnavailable
from buildinghub.keylog.errors import KeylogError
from buildinghub.radio.errors import DeviceUnreachable

from .announcements import async_announce, audience
from .const import ATTR_CONFIG_ENTRY_ID, ATTR_GRANT, ATTR_GRANT_ID, ATTR_USER_ID, DOMAIN
from .coordinator import RentalLockConfigEntry
from .hub import RentalHub

SERVICE_INSTALL_GRANT = "install_grant"
SERVICE_REVOKE_GRANT = "revoke_grant"
SERVICE_PURGE_EXPIRED = "purge_expired"
SERVICE_HUB_KEY = "hub_key"
SERVICE_ANNOUNCE = "announce"
SERVICE_RESOLVE_FORK = "resolve_keylog_fork"
MAX_ANNOUNCEMENT = 1000

_ENTRY = probatio.Optional(ATTR_CONFIG_ENTRY_ID)
INSTALL_SCHEMA = probatio.Schema(
    {
        _ENTRY: cv.string,
        probatio.Required(ATTR_GRANT): probatio.All(
            cv.string, probatio.Length(max=2 * MAX_GRANT_BYTES)
        ),
        probatio.Optional(ATTR_USER_ID): cv.string,
    }
)
REVOKE_SCHEMA = probatio.Schema({_ENTRY: cv.string, probatio.Required(ATTR_GRANT_ID): cv.string})
PURGE_SCHEMA = probatio.Schema({_ENTRY: cv.string})
ANNOUNCE_SCHEMA = probatio.Schema(
    {
        probatio.Required(ATTR_MESSAGE): probatio.All(
            cv.string, probatio.Length(min=1, max=MAX_ANNOUNCEMENT)
        ),
        probatio.Optional(ATTR_TITLE): probatio.All(cv.string, probatio.Length(max=100)),
        probatio.Optional(ATTR_FLOOR_ID): cv.string,
    }
)


def _entry(hass: HomeAssistant, call: ServiceCall) -> RentalLockConfigEntry:
    entry_id = call.data.get(ATTR_CONFIG_ENTRY_ID)
    entries: list[RentalLockConfigEntry] = [
        e
        for e in hass.config_entries.async_entries(DOMAIN)
        if e.state is ConfigEntryState.LOADED and entry_id in (None, e.entry_id)
    ]
    if len(entries) != 1:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="no_entry" if not entries else "which_entry",
        )
    return entries[0]


def _decode_grant(text: str) -> bytes:
    cleaned = text.strip()
    try:
        return base64.urlsafe_b64decode(cleaned + "=" * (-len(cleaned) % 4))
    except (binascii.Error, ValueError) as err:
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="grant_not_base64"
        ) from err


def _refused(err: CredentialError) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=f"grant_{err.reason}",
        translation_placeholders={"detail": str(err)},
    )


async def _async_install(call: ServiceCall) -> ServiceResponse:
    entry = _entry(call.hass, call)
    encoded = _decode_grant(call.data[ATTR_GRANT])
    user = call.data.get(ATTR_USER_ID)
    await async_check_user(call.hass, user)
    hub = entry.runtime_data.hub
    held = await async_install_checked(hub, encoded, user)
    grant = held.signed.grant
    return {
        "grant_id": grant.grant_id.hex(),
        "flat": hub.locks[held.lock].installation.flat,
        "kind": grant.kind.value,
        "holder": grant.subject,
        "not_before": grant.not_before,
        "expires": grant.expires,
    }


async def async_check_user(hass: HomeAssistant, user: str | None) -> None:
    """Refuse a user id that names no Home Assistant user."""
    if user is not None and await hass.auth.async_get_user(user) is None:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="unknown_user",
            translation_placeholders={"user_id": user},
        )


async def async_install_checked(hub: RentalHub, encoded: bytes, user: str | None) -> HeldGrant:
    """Install a grant through the hub; refusals become errors a person can read."""
    try:
        return await hub.async_install_grant(encoded, user)
    except CredentialError as err:
        raise _refused(err) from err
    except LockRefused as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="lock_refused_grant",
            translation_placeholders={"reason": err.reason},
        ) from err
    except DeviceUnreachable as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="lock_unreachable",
            translation_placeholders={"flat": err.args[0] if err.args else "?"},
        ) from err


async def _async_revoke(call: ServiceCall) -> ServiceResponse:
    entry = _entry(call.hass, call)
    try:
        grant_id = bytes.fromhex(call.data[ATTR_GRANT_ID])
    except ValueError as err:
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="grant_id_not_hex"
        ) from err
    if len(grant_id) != 16:
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key="grant_id_not_hex")
    try:
        await entry.runtime_data.hub.async_revoke(grant_id)
    except (LockRefused, DeviceUnreachable) as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="revoke_not_delivered",
            translation_placeholders={"detail": str(err)},
        ) from err
    return None


async def _async_purge(call: ServiceCall) -> ServiceResponse:
    entry = _entry(call.hass, call)
    purged = await entry.runtime_data.hub.async_purge_expired()
    return {"purged": purged}


async def _async_hub_key(call: ServiceCall) -> ServiceResponse:
    """The hub's public holder key: a landlord names it in a grant's cnf for app unlocks."""
    hub = _entry(call.hass, call).runtime_data.hub
    public = hub.hub_key.public_key
    return {
        "public_key": base64.urlsafe_b64encode(public.to_bytes()).decode().rstrip("="),
        "key_id": public.kid.hex(),
    }


async def _async_resolve_fork(call: ServiceCall) -> ServiceResponse:
    """An administrator investigated a key ledger fork: trust the ledger's checkpoint again."""
    hub = _entry(call.hass, call).runtime_data.hub
    if hub.ledger is None:
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key="no_ledger")
    try:
        size = await hub.async_resolve_keylog_fork()
    except (KeylogError, CloudUnavailable, CloudRefused) as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="keylog_not_resolved",
            translation_placeholders={"detail": str(err)},
        ) from err
    return {"trusted_size": size}


async def _async_announce(call: ServiceCall) -> ServiceResponse:
    """Tell the residents of the building, or of one floor."""
    hass = call.hass
    floor_id = call.data.get(ATTR_FLOOR_ID)
    if floor_id is not None and fr.async_get(hass).async_get_floor(floor_id) is None:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="unknown_floor",
            translation_placeholders={"floor_id": floor_id},
        )
    hubs = [entry.runtime_data.hub for entry in hass.config_entries.async_loaded_entries(DOMAIN)]
    reach = audience(hass, hubs, floor_id)
    title = call.data.get(ATTR_TITLE) or hass.config.location_name
    await async_announce(hass, reach, title=title, message=call.data[ATTR_MESSAGE])
    return {
        "flats": list(reach.flats),
        "residents": len(reach.residents),
        "phones": len(reach.phones),
    }


def _admin_only(
    handler: Callable[[ServiceCall], Coroutine[Any, Any, ServiceResponse]],
) -> Callable[[ServiceCall], Coroutine[Any, Any, ServiceResponse]]:
    """Only administrators (the property manager) change who may enter."""

    async def run(call: ServiceCall) -> ServiceResponse:
        if call.context.user_id:
            user = await call.hass.auth.async_get_user(call.context.user_id)
            if user is None:
                raise UnknownUser(context=call.context)
            if not user.is_admin:
                raise Unauthorized(context=call.context)
        return await handler(call)

    return run


def async_setup_services(hass: HomeAssistant) -> None:
    """Register the actions."""
    for name, handler, schema, response in (
        (SERVICE_INSTALL_GRANT, _async_install, INSTALL_SCHEMA, SupportsResponse.OPTIONAL),
        (SERVICE_REVOKE_GRANT, _async_revoke, REVOKE_SCHEMA, SupportsResponse.NONE),
        (SERVICE_PURGE_EXPIRED, _async_purge, PURGE_SCHEMA, SupportsResponse.OPTIONAL),
        (SERVICE_HUB_KEY, _async_hub_key, PURGE_SCHEMA, SupportsResponse.ONLY),
        (SERVICE_ANNOUNCE, _async_announce, ANNOUNCE_SCHEMA, SupportsResponse.OPTIONAL),
        (SERVICE_RESOLVE_FORK, _async_resolve_fork, PURGE_SCHEMA, SupportsResponse.OPTIONAL),
    ):
        hass.services.async_register(
            DOMAIN, name, _admin_only(handler), schema, supports_response=response
        )
