"""A guest's PIN, told to the Home Assistant user the landlord names, on their own phones.

The PIN goes straight to the notify entities of the phones that user registered with the
Home Assistant app (mobile_app), never through an action call: Home Assistant records every
action call's data on its event bus (kept by the recorder, printed by its DEBUG log), and a
PIN must be in neither.
"""

from __future__ import annotations

from homeassistant.components.notify.const import DATA_COMPONENT as NOTIFIERS
from homeassistant.components.notify.const import DOMAIN as NOTIFY_DOMAIN
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util

MOBILE_APP = "mobile_app"


class PinNotDelivered(Exception):
    """No phone of the named user took the message; the text says why (never the PIN)."""


def phones_of(hass: HomeAssistant, user_id: str) -> list[str]:
    """The notify entities of the phones ``user_id`` registered with the Home Assistant app."""
    registry = er.async_get(hass)
    return [
        entity.entity_id
        for app in hass.config_entries.async_loaded_entries(MOBILE_APP)
        if app.data.get("user_id") == user_id
        for entity in er.async_entries_for_config_entry(registry, app.entry_id)
        if entity.domain == NOTIFY_DOMAIN
    ]


async def async_tell_pin(
    hass: HomeAssistant, user_id: str, *, flat: str, pin: str, start: int, end: int
) -> int:
    """Send the guest's PIN and the stay's window to the user's phones; to how many.

    Raises PinNotDelivered when the user has no phone the message reached.
    """
    component = hass.data.get(NOTIFIERS)
    phones = [
        entity
        for entity_id in phones_of(hass, user_id)
        if component is not None and (entity := component.get_entity(entity_id)) is not None
    ]
    if not phones:
        raise PinNotDelivered("the named user has no phone with the Home Assistant app")
    when = (
        f"{dt_util.utc_from_timestamp(start):%Y-%m-%d %H:%M} to "
        f"{dt_util.utc_from_timestamp(end):%Y-%m-%d %H:%M} UTC"
    )
    delivered = 0
    for phone in phones:
        try:
            await phone.async_send_message(
                f"PIN {pin} opens the door of {flat} from {when}.", title=f"Guest PIN for {flat}"
            )
        except HomeAssistantError:
            continue
        delivered += 1
    if not delivered:
        raise PinNotDelivered("no phone of the named user is reachable")
    return delivered
