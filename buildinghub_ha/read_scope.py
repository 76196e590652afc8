"""The logbook and long-term statistics tell a resident only of entities they may read (H7).

Home Assistant's history checks a user's entity permissions, but in 2026.10 and 2026.11 its
logbook (``logbook/get_events``, ``logbook/event_stream``) and the recorder's statistics
(``recorder/statistics_during_period``, ``recorder/statistic_during_period``,
``recorder/get_statistics_metadata``) answer any user about every entity: a resident would
read every flat's access events and every dwelling's meter statistics there. This module
re-registers those commands, each with its own schema and handler, behind one step: for a
user who may not read every entity, the entities asked for are narrowed to those the user
may read before the command sees the request (a statistic of an entity has the entity's id;
other statistics are not an entity's and are not shown). A user who may read none of them
gets an empty answer.

The same goes for the statistics' names (``recorder/list_statistic_ids``: a user is told of
the statistics of entities they may read) and the Energy dashboard
(``energy/get_prefs``: the sources whose statistics the user may read, so a resident's Energy
dashboard is their own flat's; ``energy/fossil_energy_consumption``: of readable statistics
only).

What stays: a logbook row of the user's own entity may name, as its cause, the action or
automation that caused it (its context), which can concern another entity; and
``energy/validate`` tells any user the issues of every source (entity ids and units, no
value), as Home Assistant's energy settings page asks it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Final

from homeassistant.auth.permissions.const import POLICY_READ
from homeassistant.components import websocket_api
from homeassistant.components.energy.data import async_get_manager
from homeassistant.components.recorder.statistics import async_list_statistic_ids
from homeassistant.components.websocket_api.connection import ActiveConnection
from homeassistant.components.websocket_api.const import DOMAIN as WEBSOCKET_API
from homeassistant.components.websocket_api.const import ERR_NOT_FOUND, ERR_UNAUTHORIZED
from homeassistant.components.websocket_api.decorators import async_response
from homeassistant.const import EVENT_COMPONENT_LOADED
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.util.hass_dict import HassKey

_LOGGER = logging.getLogger(__name__)

# The commands to scope, by the component that registers them.
COMMANDS: Final = {
    "logbook": ("logbook/get_events", "logbook/event_stream"),
    "recorder": (
        "recorder/statistics_during_period",
        "recorder/statistic_during_period",
        "recorder/get_statistics_metadata",
        "recorder/list_statistic_ids",
    ),
    "energy": ("energy/get_prefs", "energy/fossil_energy_consumption"),
}
_SCOPED: HassKey[bool] = HassKey("buildinghub_read_scoped")
_MARK: Final = "_buildinghub_scoped"


@callback
def async_scope_reads(hass: HomeAssistant) -> None:
    """Scope the commands of each component once it is set up (now, or whenever it is)."""
    if hass.data.get(_SCOPED):
        return
    hass.data[_SCOPED] = True
    for component in COMMANDS:
        if component in hass.config.components:
            _wrap(hass, component)

    @callback
    def loaded(event: Event[Any]) -> None:
        if event.data.get("component") in COMMANDS:
            _wrap(hass, event.data["component"])

    hass.bus.async_listen(EVENT_COMPONENT_LOADED, loaded)


def _wrap(hass: HomeAssistant, component: str) -> None:
    handlers: dict[str, tuple[Any, Any]] = hass.data.get(WEBSOCKET_API, {})
    for command in COMMANDS[component]:
        found = handlers.get(command)
        if found is None:
            _LOGGER.error("No %s command to scope: every user may read all of it", command)
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
        if command in _OWN_ANSWERS:
            _OWN_ANSWERS[command](hass, connection, msg)
            return
        if command == "energy/fossil_energy_consumption":
            check = connection.user.permissions.check_entity
            asked = msg["energy_statistic_ids"]
            readable = [s for s in asked if check(s, POLICY_READ)]
            handler(hass, connection, {**msg, "energy_statistic_ids": readable})
            return
        if command.startswith("recorder/"):
            _narrow_statistics(handler, hass, connection, msg)
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


def _narrow_statistics(
    handler: Any, hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]
) -> None:
    check = connection.user.permissions.check_entity
    if "statistic_id" in msg:  # one statistic
        if check(msg["statistic_id"], POLICY_READ):
            handler(hass, connection, msg)
        else:
            connection.send_error(msg["id"], ERR_UNAUTHORIZED, "Not a statistic of this user")
        return
    asked = msg.get("statistic_ids") or list(hass.states.async_entity_ids())
    readable = [s for s in asked if check(s, POLICY_READ)]
    if readable:
        handler(hass, connection, {**msg, "statistic_ids": readable})
    elif msg["type"] == "recorder/get_statistics_metadata":
        connection.send_result(msg["id"], [])
    else:
        connection.send_result(msg["id"], {})


@async_response
async def _async_list_statistic_ids(
    hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]
) -> None:
    check = connection.user.permissions.check_entity
    listed = await async_list_statistic_ids(hass, None, msg.get("statistic_type"))
    connection.send_result(
        msg["id"], [row for row in listed if check(row["statistic_id"], POLICY_READ)]
    )


@async_response
async def _async_energy_prefs(
    hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]
) -> None:
    prefs = (await async_get_manager(hass)).data
    if prefs is None:
        connection.send_error(msg["id"], ERR_NOT_FOUND, "No prefs")
        return
    check = connection.user.permissions.check_entity
    connection.send_result(msg["id"], _readable_sources(prefs, lambda s: check(s, POLICY_READ)))


def _readable_sources(value: Any, readable: Callable[[str], bool]) -> Any:
    """``value`` without the energy sources (dicts) naming a statistic (``stat_*``) that is
    not ``readable``; lists of sources are narrowed, everything else is kept."""
    if isinstance(value, list):
        kept = [_readable_sources(item, readable) for item in value]
        return [item for item in kept if item is not _HIDDEN]
    if not isinstance(value, dict):
        return value
    for key, item in value.items():
        if key.startswith("stat_") and isinstance(item, str) and not readable(item):
            return _HIDDEN
    return {key: _readable_sources(item, readable) for key, item in value.items()}


_HIDDEN: Final = object()
_OWN_ANSWERS: Final = {
    "recorder/list_statistic_ids": _async_list_statistic_ids,
    "energy/get_prefs": _async_energy_prefs,
}
"""Commands answered here for a user who may not read everything (the original's answer
cannot be narrowed from its request)."""


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
