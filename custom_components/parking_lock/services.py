"""Actions of Parking Lock.

For everyone (as themselves): ``holder_key`` (the public key an owner binds an e-key to),
``share`` (share one of your keys, narrower), ``give_back`` (return a key shared to you).
For administrators (the bay manager): ``add_key``, ``request_confirmation`` and
``manage_member`` (freeze, unfreeze, remove), the last two being the step-up: the code goes
to the manager as a notification and must come back with the action.
"""

from __future__ import annotations

from collections.abc import Coroutine
from datetime import datetime
from typing import Any

import probatio
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import area_registry as ar
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util

from buildinghub.credentials import MAX_GRANT_BYTES, ShareMode
from buildinghub.credentials.delegation import MAX_CHAIN_LINKS
from buildinghub.credentials.lock_command import MAX_RECORD_BYTES
from buildinghub.devices.ekey_book import HeldKey
from buildinghub.parking.bookings import BookingError
from buildinghub.parking.car_park_map import CarParkLayout, LayoutError
from buildinghub.parking.listing import BayListing, BayPolicy, ListingError, PolicyMode
from buildinghub.radio.errors import DeviceUnreachable
from buildinghub_ha.actions import (
    Action,
    async_check_user,
    decode_base64,
    entry_schema,
    loaded_entry,
    public_key_answer,
)

from .const import (
    ACTION_FREEZE,
    ACTION_REMOVE,
    ACTION_UNFREEZE,
    ATTR_ACTION,
    ATTR_APPOINTMENT,
    ATTR_CONFIRMATION,
    ATTR_END,
    ATTR_GRANT_ID,
    ATTR_LINKS,
    ATTR_MAX_USES,
    ATTR_MAY_SHARE,
    ATTR_MODE,
    ATTR_RECIPIENT,
    ATTR_START,
    ATTR_USER_ID,
    DOMAIN,
    MANAGER_ACTIONS,
)
from .coordinator import ParkingLockConfigEntry
from .errors import APPOINT_ERRORS, KEY_ERRORS
from .hub import HUB_HOLDER, ParkingHub

_GRANT_ID = probatio.All(cv.string, probatio.Match(r"^[0-9a-fA-F]{32}$"))
_LINKS = probatio.All(
    cv.ensure_list,
    probatio.Length(min=1, max=MAX_CHAIN_LINKS),
    [probatio.All(cv.string, probatio.Length(max=2 * MAX_GRANT_BYTES))],
)
ADD_KEY_SCHEMA = entry_schema(
    {
        probatio.Required(ATTR_LINKS): _LINKS,
        probatio.Required(ATTR_USER_ID): cv.string,
        probatio.Optional(ATTR_CONFIRMATION): cv.string,
    }
)
SHARE_SCHEMA = entry_schema(
    {
        probatio.Required(ATTR_GRANT_ID): _GRANT_ID,
        probatio.Required(ATTR_RECIPIENT): cv.string,
        probatio.Required(ATTR_MODE): probatio.In([mode.value for mode in ShareMode]),
        probatio.Optional(ATTR_START): cv.datetime,
        probatio.Required(ATTR_END): cv.datetime,
        probatio.Optional(ATTR_MAX_USES): probatio.All(probatio.Coerce(int), probatio.Range(min=1)),
        probatio.Optional(ATTR_MAY_SHARE, default=False): cv.boolean,
    }
)
GIVE_BACK_SCHEMA = entry_schema({probatio.Required(ATTR_GRANT_ID): _GRANT_ID})
CONFIRM_SCHEMA = entry_schema(
    {
        probatio.Required(ATTR_ACTION): probatio.In(MANAGER_ACTIONS),
        probatio.Required(ATTR_GRANT_ID): _GRANT_ID,
    }
)
MANAGE_SCHEMA = entry_schema(
    {
        probatio.Required(ATTR_ACTION): probatio.In(
            [ACTION_FREEZE, ACTION_UNFREEZE, ACTION_REMOVE]
        ),
        probatio.Required(ATTR_GRANT_ID): _GRANT_ID,
        probatio.Required(ATTR_CONFIRMATION): cv.string,
    }
)


APPOINT_SCHEMA = entry_schema(
    {
        probatio.Required(ATTR_APPOINTMENT): probatio.All(
            cv.string, probatio.Length(max=2 * MAX_RECORD_BYTES)
        )
    }
)
CANCEL_SCHEMA = entry_schema(
    {
        probatio.Required("booking_id"): probatio.All(cv.string, probatio.Length(max=64)),
    }
)
LAYOUT_SCHEMA = entry_schema({probatio.Required("layout"): dict})
_FREE_TIME = probatio.Schema(
    {
        probatio.Required("days"): probatio.All(cv.ensure_list, [cv.string]),
        probatio.Required("start"): cv.string,
        probatio.Required("end"): cv.string,
    }
)
LIST_BAY_SCHEMA = entry_schema(
    {
        probatio.Required(ATTR_ENTITY_ID): cv.entity_id,
        probatio.Optional(ATTR_LINKS): _LINKS,
        probatio.Optional("area"): probatio.All(cv.string, probatio.Length(max=100)),
        probatio.Optional("price_per_hour"): probatio.All(
            probatio.Coerce(int), probatio.Range(min=0)
        ),
        probatio.Optional("currency"): probatio.All(cv.string, probatio.Match(r"^[A-Z]{3}$")),
        probatio.Optional("vehicle_type"): probatio.All(cv.string, probatio.Length(max=50)),
        probatio.Optional("free_times", default=list): probatio.All(
            cv.ensure_list, probatio.Length(max=50), [_FREE_TIME]
        ),
    }
)
POLICY_SCHEMA = entry_schema(
    {
        probatio.Required(ATTR_ENTITY_ID): cv.entity_id,
        probatio.Required(ATTR_MODE): probatio.In([mode.value for mode in PolicyMode]),
        probatio.Optional("area_id"): cv.string,
        probatio.Optional("owner_user_id"): cv.string,
        probatio.Optional("user_ids", default=list): probatio.All(cv.ensure_list, [cv.string]),
    }
)


def _entry(call: ServiceCall) -> ParkingLockConfigEntry:
    return loaded_entry(call, DOMAIN)


def _error(key: str, **placeholders: str) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )


def _caller(call: ServiceCall) -> str:
    if not call.context.user_id:
        raise _error("no_user")
    return call.context.user_id


def _links(texts: list[str]) -> list[bytes]:
    return [decode_base64(text, domain=DOMAIN, key="not_base64") for text in texts]


def _describe(hub_entry: ParkingLockConfigEntry, held: HeldKey) -> dict[str, Any]:
    grant = held.chain.leaf.grant
    left = hub_entry.runtime_data.hub.book.ledger.uses_left(held.chain)
    return {
        "grant_id": grant.grant_id.hex(),
        "bay": hub_entry.runtime_data.hub.bays[held.bay].name,
        "holder": grant.subject,
        "kind": grant.kind.value,
        "share_mode": grant.share_mode.value if grant.share_mode else None,
        "not_before": grant.not_before,
        "expires": grant.expires,
        "uses_left": left,
    }


async def _async_guard[T](hub: ParkingHub, action: Coroutine[Any, Any, T]) -> T:
    """Map the library's refusals to errors a person can act on."""
    with KEY_ERRORS.translated():
        try:
            return await action
        except DeviceUnreachable as err:
            raise KEY_ERRORS.told(err, bay=hub.bay_name_at(err.ieee)) from err


async def _async_holder_key(call: ServiceCall) -> ServiceResponse:
    """The caller's own holder key: what a bay owner binds an e-key to."""
    hub = _entry(call).runtime_data.hub
    return public_key_answer((await hub.async_holder_key(_caller(call))).public_key)


async def _async_add_key(call: ServiceCall) -> ServiceResponse:
    entry = _entry(call)
    links = _links(call.data[ATTR_LINKS])
    user = call.data[ATTR_USER_ID]
    await async_check_user(call.hass, DOMAIN, user)
    hub = entry.runtime_data.hub
    if len(links) == 1:
        held = await _async_guard(hub, hub.async_add_key(links, user))
    else:
        # A chain with shares adds a member: a manager action, confirmed by step-up.
        code = call.data.get(ATTR_CONFIRMATION, "")
        held = await _async_guard(hub, hub.async_manager_add(_caller(call), links, user, code))
    return _describe(entry, held)


def _timestamp(value: datetime | None, default: int) -> int:
    return default if value is None else int(dt_util.as_timestamp(value))


async def _async_share(call: ServiceCall) -> ServiceResponse:
    entry = _entry(call)
    hub = entry.runtime_data.hub
    recipient = call.data[ATTR_RECIPIENT]
    await async_check_user(call.hass, DOMAIN, recipient)
    now = hub.clock.now()
    terms = {
        "not_before": _timestamp(call.data.get(ATTR_START), now),
        "expires": _timestamp(call.data[ATTR_END], now),
        "max_uses": call.data.get(ATTR_MAX_USES),
        "mode": ShareMode(call.data[ATTR_MODE]),
        "may_share": call.data[ATTR_MAY_SHARE],
    }
    if terms["expires"] <= terms["not_before"]:
        raise _error("empty_window")
    held = await _async_guard(
        hub,
        hub.async_share(_caller(call), bytes.fromhex(call.data[ATTR_GRANT_ID]), recipient, terms),
    )
    return _describe(entry, held)


async def _async_give_back(call: ServiceCall) -> ServiceResponse:
    hub = _entry(call).runtime_data.hub
    await _async_guard(
        hub, hub.async_give_back(_caller(call), bytes.fromhex(call.data[ATTR_GRANT_ID]))
    )
    return None


async def _async_request_confirmation(call: ServiceCall) -> ServiceResponse:
    hub = _entry(call).runtime_data.hub
    hub.request_step_up(
        _caller(call), call.data[ATTR_ACTION], bytes.fromhex(call.data[ATTR_GRANT_ID])
    )
    return None


async def _async_manage_member(call: ServiceCall) -> ServiceResponse:
    hub = _entry(call).runtime_data.hub
    await _async_guard(
        hub,
        hub.async_manager_action(
            _caller(call),
            call.data[ATTR_ACTION],
            bytes.fromhex(call.data[ATTR_GRANT_ID]),
            call.data[ATTR_CONFIRMATION],
        ),
    )
    return None


async def _async_appoint(call: ServiceCall) -> ServiceResponse:
    """A bay owner appointed the hub's manager key for their bay."""
    hub = _entry(call).runtime_data.hub
    data = decode_base64(call.data[ATTR_APPOINTMENT], domain=DOMAIN, key="appointment_not_base64")
    with APPOINT_ERRORS.translated():
        context, appointment = await hub.async_appoint(data)
    return {"bay": context.name, "expires": appointment.expires}


async def _async_cancel_booking(call: ServiceCall) -> ServiceResponse:
    hub = _entry(call).runtime_data.hub
    try:
        free = await hub.async_cancel_booking(call.data["booking_id"], _caller(call))
    except BookingError as err:
        raise _error("booking_refused", bay="", detail=str(err)) from err
    return {"free": free}


async def _async_set_layout(call: ServiceCall) -> ServiceResponse:
    hub = _entry(call).runtime_data.hub
    try:
        layout = CarParkLayout.from_json(call.data["layout"])
    except LayoutError as err:
        raise _error("layout_invalid", detail=str(err)) from err
    await hub.async_set_layout(layout)
    return None


def _bay(call: ServiceCall, entry: ParkingLockConfigEntry) -> str:
    """The address of the bay whose entity the call names."""
    entity = er.async_get(call.hass).async_get(call.data[ATTR_ENTITY_ID])
    device = (
        dr.async_get(call.hass).async_get(entity.device_id)
        if entity is not None and entity.device_id
        else None
    )
    lock_id = next((i for d, i in device.identifiers if d == DOMAIN), None) if device else None
    ieee = entry.runtime_data.hub.ieee_for(lock_id) if lock_id else None
    if ieee is None:
        raise _error("unknown_bay", entity_id=call.data[ATTR_ENTITY_ID])
    return ieee


async def _async_listing_key(call: ServiceCall) -> ServiceResponse:
    """The hub's own holder key: what a bay owner binds a listing e-key to."""
    hub = _entry(call).runtime_data.hub
    return public_key_answer((await hub.async_holder_key(HUB_HOLDER)).public_key)


async def _async_list_bay(call: ServiceCall) -> ServiceResponse:
    """List a bay: its data and free times, and optionally the e-key bookings are shared from."""
    entry = _entry(call)
    hub = entry.runtime_data.hub
    ieee = _bay(call, entry)
    try:
        listing = BayListing.from_json(dict(call.data))
    except ListingError as err:
        raise _error("listing_invalid", detail=str(err)) from err
    listed = None
    if ATTR_LINKS in call.data:
        listed = await _async_guard(hub, hub.async_list_bay(ieee, _links(call.data[ATTR_LINKS])))
    await hub.async_set_listing(ieee, listing)
    listed = listed or hub.listing_key(ieee)
    grant = listed.chain.leaf.grant if listed else None
    return {
        "issues_keys": grant is not None,
        "listed_from": grant.not_before if grant else None,
        "listed_until": grant.expires if grant else None,
    }


async def _async_set_policy(call: ServiceCall) -> ServiceResponse:
    """Set who may book a bay."""
    entry = _entry(call)
    ieee = _bay(call, entry)
    area = call.data.get("area_id")
    if area is not None and ar.async_get(call.hass).async_get_area(area) is None:
        raise _error("unknown_area", area_id=area)
    owner = call.data.get("owner_user_id")
    users = call.data["user_ids"]
    for user in ([owner] if owner else []) + users:
        await async_check_user(call.hass, DOMAIN, user)
    try:
        policy = BayPolicy(
            mode=PolicyMode(call.data[ATTR_MODE]), area=area, owner=owner, users=tuple(users)
        )
    except ListingError as err:
        raise _error("listing_invalid", detail=str(err)) from err
    await entry.runtime_data.hub.async_set_policy(ieee, policy)
    return None


# holder_key, share, give_back and cancel_booking are for everyone, acting as themselves.
ACTIONS = (
    Action(
        "holder_key", _async_holder_key, entry_schema(), SupportsResponse.ONLY, admin_only=False
    ),
    Action("share", _async_share, SHARE_SCHEMA, SupportsResponse.OPTIONAL, admin_only=False),
    Action("give_back", _async_give_back, GIVE_BACK_SCHEMA, admin_only=False),
    Action("add_key", _async_add_key, ADD_KEY_SCHEMA, SupportsResponse.OPTIONAL),
    Action("request_confirmation", _async_request_confirmation, CONFIRM_SCHEMA),
    Action("manage_member", _async_manage_member, MANAGE_SCHEMA),
    Action("appoint_manager", _async_appoint, APPOINT_SCHEMA, SupportsResponse.OPTIONAL),
    Action(
        "cancel_booking",
        _async_cancel_booking,
        CANCEL_SCHEMA,
        SupportsResponse.OPTIONAL,
        admin_only=False,
    ),
    Action("set_layout", _async_set_layout, LAYOUT_SCHEMA),
    Action("listing_key", _async_listing_key, entry_schema(), SupportsResponse.ONLY),
    Action("list_bay", _async_list_bay, LIST_BAY_SCHEMA, SupportsResponse.OPTIONAL),
    Action("set_policy", _async_set_policy, POLICY_SCHEMA),
)
