"""The logbook tells a resident only of the entities they may read (SPEC H7).

Home Assistant's history checks a user's entity permissions, but its logbook does not (in
2026.10 and 2026.11, ``logbook/get_events`` and ``logbook/event_stream`` answer any user
about every entity): a resident would read every flat's access events there. This module
re-registers both commands, with the logbook's own schema and handler, behind one step: for
a user who may not read every entity, the entities asked for (all, some, or a device's) are
narrowed to those the user may read before the logbook sees the request. A user who may
read none gets nothing.

What stays: a row the logbook shows for one of the user's entities may name, as its cause,
the action or automation that caused it (its context), which can concern another entity.
"""

from __future__ import annotations

import logging
from typing import Any, Final

from homeassistant.auth.permissions.const import POLICY_READ
from homeassistant.components import websocket_api
from homeassistant.components.websocket_api.connection import ActiveConnection
from homeassistant.components.websocket_api.const import DOMAIN as WEBSOCKET_API
from homeassistant.components.websocket_api.const import ERR_UNAUTHORIZED
from homeassistant.const import EVENT_COMPONENT_LOADED
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.util.hass_dict import HassKey

_LOGGER = logging.getLogger(__name__)

LOGBOOK: Final = "logbook"
COMMANDS: Final = ("logbook/get_events", "logbook/event_stream")
_SCOPED: HassKey[bool] = HassKey("buildinghub_logbook_scoped")
_MARK: Final = "_buildinghub_scoped"


@callback
def async_scope_logbook(hass: HomeAssistant) -> None:
    """Scope the logbook's commands once it is set up (now, or whenever it is)."""
    if hass.data.get(_SCOPED):
        return
    hass.data[_SCOPED] = True
    if LOGBOOK in hass.config.components:
        _wrap(hass)
        return

    @callback
    def loaded(event: Event[Any]) -> None:
        if event.data.get("component") == LOGBOOK:
            _wrap(hass)

    hass.bus.async_listen(EVENT_COMPONENT_LOADED, loaded)


def _wrap(hass: HomeAssistant) -> None:
    handlers: dict[str, tuple[Any, Any]] = hass.data.get(WEBSOCKET_API, {})
    for command in COMMANDS:
        found = handlers.get(command)
        if found is None:
            _LOGGER.error("The logbook has no %s command to scope: residents see it whole", command)
            continue
        handler, schema = found
        if not getattr(handler, _MARK, False):
            websocket_api.async_register_command(hass, command, _scoped(command, handler), schema)


def _scoped(command: str, handler: Any) -> Any:
    @callback
    def scoped(hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]) -> None:
        user = connection.user
        if user.is_admin or user.permissions.access_all_entities(POLICY_READ):
            handler(hass, connection, msg)
            return
        readable = _readable(hass, connection, msg)
        if readable:
            handler(hass, connection, {**_without_targets(msg), "entity_ids": readable})
        elif command == "logbook/get_events":
            connection.send_result(msg["id"], [])
        else:
            connection.send_error(msg["id"], ERR_UNAUTHORIZED, "No entity to show to this user")

    setattr(scoped, _MARK, True)
    return scoped


def _readable(hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]) -> list[str]:
    registry = er.async_get(hass)
    if "entity_ids" in msg or "device_ids" in msg:
        asked = set(msg.get("entity_ids") or ())
        for device_id in msg.get("device_ids") or ():
            asked.update(e.entity_id for e in er.async_entries_for_device(registry, device_id))
    else:
        asked = set(hass.states.async_entity_ids()) | set(registry.entities)
    check = connection.user.permissions.check_entity
    return sorted(entity_id for entity_id in asked if check(entity_id, POLICY_READ))


def _without_targets(msg: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in msg.items() if key not in ("entity_ids", "device_ids")}
