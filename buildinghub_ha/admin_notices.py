"""Messages for administrators only: step-up codes and manager notices (SPEC S7).

A persistent notification is shown to every user of the instance, residents included, so
nothing meant for the property manager goes there. These messages go on the event bus under
event types Home Assistant lets only administrators subscribe to (any type outside its
``SUBSCRIBE_ALLOWLIST``): the manager's app, or the manager's own automation that forwards
them to their phone's notify action, receives them; an ordinary user's session is refused
the subscription. A step-up code also names the administrator it was issued to, and only that
user can confirm an action with it.
"""

from __future__ import annotations

from typing import Any

from homeassistant.auth.permissions.events import SUBSCRIBE_ALLOWLIST
from homeassistant.core import HomeAssistant, callback


@callback
def async_tell_administrators(hass: HomeAssistant, event_type: str, data: dict[str, Any]) -> None:
    """Fire ``event_type`` with ``data`` for administrators' sessions and automations only."""
    if event_type in SUBSCRIBE_ALLOWLIST:
        raise ValueError(f"every user may subscribe to {event_type}: not for administrators")
    hass.bus.async_fire(event_type, data)
