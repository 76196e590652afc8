"""Community announcements (SPEC M8): the property manager tells the residents.

Residents are the Home Assistant users that a current lease of a flat was
installed for; a flat is on a floor when its door's device is in an area on
that floor (Settings -> Areas & zones). Messages go to the residents' own
phones through the Home Assistant app's notifications (the mobile_app
integration), so one resident never sees another's.
"""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.components.notify.const import DOMAIN as NOTIFY_DOMAIN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import area_registry as ar
from homeassistant.helpers import device_registry as dr

from .const import DOMAIN
from .hub import RentalHub

MOBILE_APP = "mobile_app"


@dataclass(frozen=True, slots=True)
class Audience:
    """Who an announcement reaches."""

    flats: tuple[str, ...]
    residents: frozenset[str]
    phones: tuple[str, ...]  # the notify actions of the residents' phones


def flat_floor(hass: HomeAssistant, hub: RentalHub, lock_id: str) -> str | None:
    """The floor id of the area the flat's door is in, if it has one."""
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, lock_id), hub.entry.entry_id
    )
    if device is None or device.area_id is None:
        return None
    area = ar.async_get(hass).async_get_area(device.area_id)
    return area.floor_id if area else None


def audience(hass: HomeAssistant, hubs: list[RentalHub], floor_id: str | None) -> Audience:
    """The flats (on ``floor_id``, or all), their residents and those residents' phones."""
    flats: list[str] = []
    residents: set[str] = set()
    for hub in hubs:
        for context in hub.locks.values():
            installation = context.installation
            if floor_id is not None and flat_floor(hass, hub, installation.lock_id) != floor_id:
                continue
            flats.append(installation.flat)
            residents.update(hub.book.residents(context.address))
    return Audience(
        flats=tuple(sorted(flats)), residents=frozenset(residents), phones=_phones(hass, residents)
    )


def _phones(hass: HomeAssistant, users: set[str]) -> tuple[str, ...]:
    """The notify actions of the phones these users registered with the app."""
    apps = [
        entry
        for entry in hass.config_entries.async_loaded_entries(MOBILE_APP)
        if entry.data.get("user_id") in users
    ]
    if not apps:
        return ()
    # Imported only once a phone is registered: the app's integration (and the
    # packages it needs) may not be installed on a hub nobody uses it with.
    from homeassistant.components.mobile_app.util import get_notify_service  # noqa: PLC0415

    return tuple(
        service
        for entry in apps
        if (service := get_notify_service(hass, entry.data["webhook_id"])) is not None
    )


async def async_announce(hass: HomeAssistant, reach: Audience, *, title: str, message: str) -> None:
    """Send the announcement to every phone of the audience."""
    for service in reach.phones:
        await hass.services.async_call(
            NOTIFY_DOMAIN, service, {"title": title, "message": message}, blocking=True
        )
