"""Actions of Rental Lock: install, revoke and purge grants, the hub's key, announcements.

All are for administrators (the property manager): they change who may enter.
"""

from __future__ import annotations

import probatio
from homeassistant.components.notify.const import ATTR_MESSAGE, ATTR_TITLE
from homeassistant.const import ATTR_FLOOR_ID
from homeassistant.core import ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import floor_registry as fr

from buildinghub.credentials import MAX_GRANT_BYTES
from buildinghub.credentials.booking_delegation import MAX_DELEGATION_BYTES
from buildinghub.credentials.installation import MAX_RECORD_BYTES as MAX_INSTALLATION_BYTES
from buildinghub.credentials.lock_command import MAX_RECORD_BYTES
from buildinghub.devices.grant_book import HeldGrant
from buildinghub.radio.errors import DeviceUnreachable
from buildinghub_ha.actions import (
    Action,
    async_check_user,
    decode_base64,
    entry_schema,
    loaded_entry,
    public_key_answer,
)

from .announcements import async_announce, audience
from .booking_sources import BookingSource
from .bookings import NoPhone
from .const import (
    ATTR_APPOINTMENT,
    ATTR_CALENDAR,
    ATTR_DELEGATION,
    ATTR_DEVICE,
    ATTR_GRANT,
    ATTR_GRANT_ID,
    ATTR_ICAL_URL,
    ATTR_RECORD,
    ATTR_USER_ID,
    DOMAIN,
)
from .coordinator import RentalLockConfigEntry
from .errors import (
    APPOINT_ERRORS,
    BOOKING_ERRORS,
    GRANT_ERRORS,
    KEYLOG_ERRORS,
    REVOKE_ERRORS,
    STANDARD_LOCK_ERRORS,
)
from .hub import RentalHub

MAX_ANNOUNCEMENT = 1000

INSTALL_SCHEMA = entry_schema(
    {
        probatio.Required(ATTR_GRANT): probatio.All(
            cv.string, probatio.Length(max=2 * MAX_GRANT_BYTES)
        ),
        probatio.Optional(ATTR_USER_ID): cv.string,
    }
)
REVOKE_SCHEMA = entry_schema({probatio.Required(ATTR_GRANT_ID): cv.string})
STANDARD_LOCK_SCHEMA = entry_schema(
    {
        probatio.Required(ATTR_DEVICE): probatio.All(cv.string, probatio.Length(max=32)),
        probatio.Required(ATTR_RECORD): probatio.All(
            cv.string, probatio.Length(max=2 * MAX_INSTALLATION_BYTES)
        ),
    }
)
FOLLOW_SCHEMA = probatio.Schema(
    probatio.All(
        entry_schema(
            {
                probatio.Required(ATTR_DELEGATION): probatio.All(
                    cv.string, probatio.Length(max=2 * MAX_DELEGATION_BYTES)
                ),
                probatio.Exclusive(ATTR_ICAL_URL, "source"): probatio.All(
                    cv.url, probatio.Length(max=2000)
                ),
                probatio.Exclusive(ATTR_CALENDAR, "source"): cv.entity_domain("calendar"),
                probatio.Required(ATTR_USER_ID): probatio.All(cv.string, probatio.Length(max=64)),
            }
        ),
        cv.has_at_least_one_key(ATTR_ICAL_URL, ATTR_CALENDAR),
    )
)
APPOINT_SCHEMA = entry_schema(
    {
        probatio.Required(ATTR_APPOINTMENT): probatio.All(
            cv.string, probatio.Length(max=2 * MAX_RECORD_BYTES)
        )
    }
)
ANNOUNCE_SCHEMA = probatio.Schema(
    {
        probatio.Required(ATTR_MESSAGE): probatio.All(
            cv.string, probatio.Length(min=1, max=MAX_ANNOUNCEMENT)
        ),
        probatio.Optional(ATTR_TITLE): probatio.All(cv.string, probatio.Length(max=100)),
        probatio.Optional(ATTR_FLOOR_ID): cv.string,
    }
)


def rental_entry(call: ServiceCall) -> RentalLockConfigEntry:
    """The loaded Rental Lock entry the call is for."""
    return loaded_entry(call, DOMAIN)


async def _async_install(call: ServiceCall) -> ServiceResponse:
    hub = rental_entry(call).runtime_data.hub
    encoded = decode_base64(call.data[ATTR_GRANT], domain=DOMAIN, key="grant_not_base64")
    user = call.data.get(ATTR_USER_ID)
    await async_check_user(call.hass, DOMAIN, user)
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


async def async_install_checked(hub: RentalHub, encoded: bytes, user: str | None) -> HeldGrant:
    """Install a grant through the hub; refusals become errors a person can read."""
    with GRANT_ERRORS.translated():
        try:
            return await hub.async_install_grant(encoded, user)
        except DeviceUnreachable as err:
            raise GRANT_ERRORS.told(err, flat=hub.flat_at(err.ieee)) from err


async def _async_revoke(call: ServiceCall) -> ServiceResponse:
    hub = rental_entry(call).runtime_data.hub
    try:
        grant_id = bytes.fromhex(call.data[ATTR_GRANT_ID])
    except ValueError:
        grant_id = b""
    if len(grant_id) != 16:
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key="grant_id_not_hex")
    with REVOKE_ERRORS.translated():
        await hub.async_revoke(grant_id)
    return None


async def _async_appoint(call: ServiceCall) -> ServiceResponse:
    """A landlord appointed the hub's key for their lock: the hub may then revoke there."""
    hub = rental_entry(call).runtime_data.hub
    data = decode_base64(call.data[ATTR_APPOINTMENT], domain=DOMAIN, key="appointment_not_base64")
    with APPOINT_ERRORS.translated():
        context, appointment = await hub.async_appoint(data)
    return {"flat": context.installation.flat, "expires": appointment.expires}


async def _async_install_standard_lock(call: ServiceCall) -> ServiceResponse:
    """A landlord installed a standard Zigbee lock: the hub becomes its verifier."""
    hub = rental_entry(call).runtime_data.hub
    data = decode_base64(call.data[ATTR_RECORD], domain=DOMAIN, key="record_not_base64")
    with STANDARD_LOCK_ERRORS.translated():
        record = await hub.standard_locks.async_install(call.data[ATTR_DEVICE], data)
    return {"flat": record.flat, "lock_id": record.lock_id, "landlord": record.landlord}


async def _async_follow_bookings(call: ServiceCall) -> ServiceResponse:
    """A landlord delegated a door's bookings to the hub: follow the calendar under it."""
    hub = rental_entry(call).runtime_data.hub
    data = decode_base64(call.data[ATTR_DELEGATION], domain=DOMAIN, key="delegation_not_base64")
    user = call.data[ATTR_USER_ID]
    await async_check_user(call.hass, DOMAIN, user)
    source = BookingSource(call.data.get(ATTR_ICAL_URL) or call.data[ATTR_CALENDAR])
    with BOOKING_ERRORS.translated():
        try:
            delegated = await hub.bookings.async_follow(data, source, user)
        except NoPhone as err:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="booking_user_without_phone",
                translation_placeholders={"user_id": user},
            ) from err
    followed = hub.bookings.followed[delegated.context.address]
    return {
        "flat": delegated.context.installation.flat,
        "kind": delegated.delegation.kind.value,
        "bookings": len(followed.issued),
    }


async def _async_sync_bookings(call: ServiceCall) -> ServiceResponse:
    """Read every followed booking calendar now, not at the next scheduled pass."""
    hub = rental_entry(call).runtime_data.hub
    calendars = await hub.bookings.async_sync_all()
    return {"calendars": calendars, "bookings": hub.bookings.issued_count()}


async def _async_purge(call: ServiceCall) -> ServiceResponse:
    purged = await rental_entry(call).runtime_data.hub.async_purge_expired()
    return {"purged": purged}


async def _async_hub_key(call: ServiceCall) -> ServiceResponse:
    """The hub's public holder key: a landlord names it in a grant's cnf for app unlocks, and
    in a standard lock's installation record with the key that lock's PINs are sealed to."""
    hub = rental_entry(call).runtime_data.hub
    pin_key = public_key_answer(hub.standard_locks.sealing_key.public_key)
    return {
        **public_key_answer(hub.hub_key.public_key),
        "pin_sealing_key": pin_key["public_key"],
    }


async def _async_resolve_fork(call: ServiceCall) -> ServiceResponse:
    """An administrator investigated a key ledger fork: trust the ledger's checkpoint again."""
    hub = rental_entry(call).runtime_data.hub
    if hub.ledger is None:
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key="no_ledger")
    with KEYLOG_ERRORS.translated():
        size = await hub.async_resolve_keylog_fork()
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


GRANT_ACTIONS = (
    Action("install_grant", _async_install, INSTALL_SCHEMA, SupportsResponse.OPTIONAL),
    Action("revoke_grant", _async_revoke, REVOKE_SCHEMA),
    Action("appoint_hub", _async_appoint, APPOINT_SCHEMA, SupportsResponse.OPTIONAL),
    Action(
        "install_standard_lock",
        _async_install_standard_lock,
        STANDARD_LOCK_SCHEMA,
        SupportsResponse.OPTIONAL,
    ),
    Action("follow_bookings", _async_follow_bookings, FOLLOW_SCHEMA, SupportsResponse.OPTIONAL),
    Action("sync_bookings", _async_sync_bookings, entry_schema(), SupportsResponse.OPTIONAL),
    Action("purge_expired", _async_purge, entry_schema(), SupportsResponse.OPTIONAL),
    Action("hub_key", _async_hub_key, entry_schema(), SupportsResponse.ONLY),
    Action("announce", _async_announce, ANNOUNCE_SCHEMA, SupportsResponse.OPTIONAL),
    Action("resolve_keylog_fork", _async_resolve_fork, entry_schema(), SupportsResponse.OPTIONAL),
)
