"""An integration's actions: registering them, and what every action needs of a call.

Actions that change who may enter or what a device holds are the property manager's: a
property manager (:mod:`.manager_role`, an ordinary user so that they see no raw reading)
or an administrator (the installer) may call them; anyone else is refused before the
handler runs, as Home Assistant's ``async_register_admin_service`` refuses non-admins.
Naming the managers is for administrators only. Actions residents use themselves are
registered plainly and decide per call what the caller may do.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass
from typing import Any

import probatio
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.exceptions import ServiceValidationError, Unauthorized, UnknownUser
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.service import async_get_config_entry

from buildinghub.credentials import PublicKey

from .const import ATTR_CONFIG_ENTRY_ID
from .manager_role import async_is_manager

type Handler = Callable[[ServiceCall], Coroutine[Any, Any, ServiceResponse]]

ENTRY_FIELD = probatio.Optional(ATTR_CONFIG_ENTRY_ID)
"""Which entry (hub) an action is for; optional while the domain has one loaded entry."""


def entry_schema(fields: dict[Any, Any] | None = None) -> probatio.Schema:
    """An action's schema: the optional entry id and ``fields``."""
    return probatio.Schema({ENTRY_FIELD: cv.string, **(fields or {})})


@dataclass(frozen=True, slots=True)
class Action:
    """One action of an integration."""

    name: str
    handler: Handler
    schema: probatio.Schema
    response: SupportsResponse = SupportsResponse.NONE
    admin_only: bool = True
    """For the property manager: managers and administrators only."""
    managers: bool = True
    """With ``admin_only``, whether managers may call it too (else administrators only)."""


def async_register_actions(hass: HomeAssistant, domain: str, actions: Iterable[Action]) -> None:
    """Register ``actions`` under ``domain``, the manager's behind the caller's check."""
    for action in actions:
        handler = action.handler
        if action.admin_only:
            handler = _for_managers(action.handler, managers=action.managers)
        hass.services.async_register(domain, action.name, handler, action.schema, action.response)


def _for_managers(handler: Handler, *, managers: bool) -> Handler:
    async def checked(call: ServiceCall) -> ServiceResponse:
        if call.context.user_id:  # None: an automation or a script the installer set up
            user = await call.hass.auth.async_get_user(call.context.user_id)
            if user is None:
                raise UnknownUser(context=call.context)
            if not (user.is_admin or (managers and await async_is_manager(call.hass, user))):
                raise Unauthorized(context=call.context)
        return await handler(call)

    return checked


def loaded_entry(call: ServiceCall, domain: str) -> ConfigEntry[Any]:
    """The loaded entry the call names, or the domain's only one (else a clear refusal)."""
    return async_get_config_entry(call.hass, domain, call.data.get(ATTR_CONFIG_ENTRY_ID))


async def async_check_user(hass: HomeAssistant, domain: str, user_id: str | None) -> None:
    """Refuse a user id that names no Home Assistant user (``unknown_user``)."""
    if user_id is not None and await hass.auth.async_get_user(user_id) is None:
        raise ServiceValidationError(
            translation_domain=domain,
            translation_key="unknown_user",
            translation_placeholders={"user_id": user_id},
        )


def decode_base64(text: str, *, domain: str, key: str, **placeholders: str) -> bytes:
    """Bytes from base64 as apps and command lines print it: either alphabet, padded or not,
    broken over lines; anything else is refused with the translation ``key``."""
    cleaned = "".join(text.split()).rstrip("=").replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(cleaned + "=" * (-len(cleaned) % 4), validate=True)
    except (binascii.Error, ValueError) as err:
        raise ServiceValidationError(
            translation_domain=domain, translation_key=key, translation_placeholders=placeholders
        ) from err


def b64url(data: bytes) -> str:
    """Unpadded base64url, as the apps take keys and records."""
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def public_key_answer(public: PublicKey) -> dict[str, Any]:
    """An action's answer that hands out a public key (for an owner or landlord to bind to)."""
    return {"public_key": b64url(public.to_bytes()), "key_id": public.kid.hex()}
