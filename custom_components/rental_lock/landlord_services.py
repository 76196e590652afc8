"""``rental_lock.link_landlord``: the property manager links a landlord's login (SPEC H8).

The landlord's app shows the landlord's public key; the manager links it to the landlord's
Home Assistant user (an ordinary one). The user then sees the access events, grant calendars
and rent of the flats whose installation records name that key, and no other flat.
"""

from __future__ import annotations

import probatio
from homeassistant.core import ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.util.json import JsonValueType

from buildinghub.credentials import MalformedKey, PublicKey
from buildinghub_ha.actions import Action, decode_base64, entry_schema, loaded_entry

from .const import ATTR_USER_ID, DOMAIN
from .coordinator import RentalLockConfigEntry

ATTR_LANDLORD_KEY = "landlord_key"
LINK_SCHEMA = entry_schema(
    {
        probatio.Required(ATTR_USER_ID): cv.string,
        probatio.Optional(ATTR_LANDLORD_KEY): probatio.All(cv.string, probatio.Length(max=200)),
    }
)


async def _async_link_landlord(call: ServiceCall) -> ServiceResponse:
    entry: RentalLockConfigEntry = loaded_entry(call, DOMAIN)
    key = None
    if (text := call.data.get(ATTR_LANDLORD_KEY)) is not None:
        raw = decode_base64(text, domain=DOMAIN, key="landlord_key_invalid")
        try:
            key = PublicKey.from_bytes(raw)
        except MalformedKey as err:
            raise ServiceValidationError(
                translation_domain=DOMAIN, translation_key="landlord_key_invalid"
            ) from err
    hub = entry.runtime_data.hub
    installations = [context.installation for context in hub.locks.values()]
    flats = await entry.runtime_data.landlords.async_link(
        call.data[ATTR_USER_ID], key, installations
    )
    names: list[JsonValueType] = []
    names.extend(c.installation.flat for c in hub.locks.values() if c.installation.lock_id in flats)
    return {"flats": names}


LANDLORD_ACTIONS = (
    Action("link_landlord", _async_link_landlord, LINK_SCHEMA, SupportsResponse.OPTIONAL),
)
