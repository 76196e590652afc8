"""Each role's page (SPEC H8): "My home" for residents, "Building" for the property manager,
"My flats" for landlords.

Home Assistant's dashboards are not per user, so neither is a stored one: both are
dashboards this module registers with the lovelace component and builds afresh each time a
browser asks for them, from what the hubs hold now (they are read-only in the UI, as YAML
dashboards are). "My home" is built for the user who asks (the websocket connection's
user): the devices their leases, e-keys and dwellings give them, and the flat's area that
holds them. "Building" is for the property managers (:mod:`.manager_role`) and
administrators, and shows derived data only (SPEC M5): locks,
the households' presence, whether a balance is low (not the balance), bay occupancy, the
open repairs; never a meter's reading. What a user may see of an entity is still decided by
the permission policies (H7); a page only chooses what to lay out.

The adapter touches three lovelace internals of the release we run (``LOVELACE_DATA``,
``LovelaceConfig``, the panel registration); :func:`async_register_dashboards` checks
them and raises a repair instead of failing the integration when a release changes them.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final

from homeassistant.auth.models import User
from homeassistant.components import websocket_api
from homeassistant.components.websocket_api.const import DOMAIN as WEBSOCKET_API
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import Unauthorized
from homeassistant.helpers import area_registry as ar
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers import translation
from homeassistant.helpers.json import json_bytes, json_fragment
from homeassistant.util.hass_dict import HassKey

from .hub_sources import DOMAINS, HubSource, add_source, hub_sources
from .manager_role import async_is_manager, async_manager_role, is_manager_now

_LOGGER = logging.getLogger(__name__)

HOME_URL: Final = "building-home"
MANAGER_URL: Final = "building-manager"
LANDLORD_URL: Final = "building-landlord"
MANAGER_DOMAINS: Final = frozenset({"lock", "binary_sensor"})
"""What the manager sees of a device: derived states only, never a sensor's reading."""
LOW_BALANCE_MARK: Final = "_low_balance_"
"""In the unique id of a dwelling's "Low balance" flag (``<entry>_low_balance_<dwelling>``)."""
_REGISTERED: HassKey[dict[str, Any]] = HassKey("buildinghub_dashboards")
_FLOOR: Final = re.compile(r"(\d+)")


@dataclass(frozen=True, slots=True)
class Place:
    """One area's entities, laid out as a card."""

    title: str
    entities: list[dict[str, Any]]


# -- what goes on a page --------------------------------------------------------------------


def _our_devices(hass: HomeAssistant) -> list[dr.DeviceEntry]:
    return [
        device
        for device in dr.async_get(hass).devices
        if any(domain in DOMAINS for domain, _ in device.identifiers)
    ]


def _area_name(hass: HomeAssistant, area_id: str | None) -> str | None:
    area = ar.async_get(hass).async_get_area(area_id) if area_id else None
    return area.name if area else None


def _entities(hass: HomeAssistant, device_ids: set[str]) -> list[er.RegistryEntry]:
    registry = er.async_get(hass)
    return sorted(
        (
            entry
            for entry in registry.entities.values()
            if entry.device_id in device_ids and not entry.disabled and not entry.hidden
        ),
        key=lambda entry: entry.entity_id,
    )


def home_places(hass: HomeAssistant, user_id: str) -> list[Place]:
    """The user's flat (door, meters, rent, balance) and bays, one card per place."""
    sources = hub_sources(hass)
    mine = {device_id for source in sources for device_id in source.devices_of(user_id)}
    devices = _our_devices(hass)
    chosen = [d for d in devices if any(i in mine for _, i in d.identifiers)]
    areas = {name for d in chosen if (name := _area_name(hass, d.area_id))}
    # A flat's meters are the user's through the flat's area.
    chosen += [d for d in devices if d not in chosen and _area_name(hass, d.area_id) in areas]
    registry = er.async_get(hass)
    by_place: dict[str, list[dict[str, Any]]] = {}
    for device in chosen:
        place = _area_name(hass, device.area_id) or device.name_by_user or device.name or ""
        by_place.setdefault(place, []).extend(
            {"entity": entry.entity_id} for entry in _entities(hass, {device.id})
        )
    hub_wide = {unique for source in sources for unique in source.area_entities(areas)}
    for entry in registry.entities.values():
        if entry.platform in DOMAINS and entry.unique_id in hub_wide:
            area = next(
                (a for a in sorted(areas) if entry.unique_id.lower().endswith(_code(a))), ""
            )
            by_place.setdefault(area, []).append({"entity": entry.entity_id})
    return [Place(title, entities) for title, entities in sorted(by_place.items()) if entities]


def landlord_places(hass: HomeAssistant, user_id: str) -> list[Place]:
    """The landlord's flats: each door's access events, grant calendar and rent (its lock
    is the tenant's)."""
    mine = {d for source in hub_sources(hass) for d in source.let_devices_of(user_id)}
    places = [
        Place(
            _area_name(hass, device.area_id) or device.name_by_user or device.name or "",
            [
                {"entity": entry.entity_id}
                for entry in _entities(hass, {device.id})
                if entry.domain != "lock"
            ],
        )
        for device in _our_devices(hass)
        if any(identifier in mine for _, identifier in device.identifiers)
    ]
    return sorted((p for p in places if p.entities), key=lambda place: place.title)


def _code(area: str) -> str:
    return area.lower().removeprefix("flat ").strip()


def manager_places(hass: HomeAssistant) -> dict[str, list[Place]]:
    """Every flat and bay by floor, derived states only."""
    floors: dict[str, list[Place]] = {}
    by_place: dict[str, list[dict[str, Any]]] = {}
    for device in _our_devices(hass):
        place = _area_name(hass, device.area_id) or device.name or ""
        by_place.setdefault(place, []).extend(
            {"entity": entry.entity_id}
            for entry in _entities(hass, {device.id})
            if entry.domain in MANAGER_DOMAINS and LOW_BALANCE_MARK not in entry.unique_id
        )
    registry = er.async_get(hass)
    for entry in registry.entities.values():
        # A dwelling's balance: only whether it is low, shown with its flat.
        if entry.platform == "community_meter" and LOW_BALANCE_MARK in entry.unique_id:
            code = entry.unique_id.rsplit(LOW_BALANCE_MARK, 1)[1]
            area = next((p for p in by_place if _code(p) == code.lower()), f"Flat {code}")
            by_place.setdefault(area, []).append({"entity": entry.entity_id, "name": "Low balance"})
    for place, entities in sorted(by_place.items()):
        if entities:
            floors.setdefault(floor_of(hass, place), []).append(Place(place, entities))
    return floors


def floor_of(hass: HomeAssistant, place: str) -> str:
    """The floor an area is on: Home Assistant's floor if set, else the flat's number."""
    area = ar.async_get(hass).async_get_area_by_name(place)
    if area is not None and area.floor_id is not None:
        from homeassistant.helpers import floor_registry as fr  # noqa: PLC0415

        floor = fr.async_get(hass).async_get_floor(area.floor_id)
        if floor is not None:
            return floor.name
    if place.lower().startswith("flat ") and (number := _FLOOR.search(place)):
        return f"Floor {number.group(1)}"
    return "Car park and shared"


def _card(place: Place) -> dict[str, Any]:
    return {"type": "entities", "title": place.title, "entities": place.entities}


def _one_view(title: str, path: str, places: list[Place], nothing: str) -> dict[str, Any]:
    """A page of one view: a card per place, or ``nothing`` said when there is none."""
    cards = [_card(p) for p in places] or [{"type": "markdown", "content": nothing}]
    return {"title": title, "views": [{"title": title, "path": path, "cards": cards}]}


async def home_config(hass: HomeAssistant, user: User | None) -> dict[str, Any]:
    """The "My home" page of ``user``."""
    return _one_view(
        "My home",
        "home",
        home_places(hass, user.id) if user is not None else [],
        "Nothing here is yours yet: your landlord or the property manager "
        "links your lease, e-key or dwelling to your login.",
    )


async def landlord_config(hass: HomeAssistant, user: User | None) -> dict[str, Any]:
    """The "My flats" page of ``user``, a landlord."""
    return _one_view(
        "My flats",
        "flats",
        landlord_places(hass, user.id) if user is not None else [],
        "No flat is linked to your login: the property manager links your landlord key to it.",
    )


async def manager_config(hass: HomeAssistant, user: User | None) -> dict[str, Any]:
    """The property manager's "Building" page: one view per floor, then the open repairs
    (their titles: Home Assistant's repairs are for administrators only)."""
    views = [
        {"title": floor, "path": _path(floor), "cards": [_card(p) for p in places]}
        for floor, places in sorted(manager_places(hass).items())
    ]
    titles = await open_repairs(hass)
    repairs = "\n".join(f"- {title}" for title in titles) or "None open."
    if user is not None and user.is_admin:
        repairs += "\n\n[Open Settings > Repairs](/config/repairs)"
    views.append(
        {
            "title": "Repairs",
            "path": "repairs",
            "cards": [
                {"type": "markdown", "title": f"Repairs ({len(titles)})", "content": repairs}
            ],
        }
    )
    return {"title": "Building", "views": views}


async def open_repairs(hass: HomeAssistant) -> list[str]:
    """The titles of the three integrations' open repairs, as the repairs page words them."""
    issues = sorted(
        (
            issue
            for (domain, _), issue in ir.async_get(hass).issues.items()
            if domain in DOMAINS and issue.active and not issue.dismissed_version
        ),
        key=lambda issue: (issue.domain, issue.issue_id),
    )
    texts = await translation.async_get_translations(
        hass, hass.config.language, "issues", {issue.domain for issue in issues}
    )
    titles = []
    for issue in issues:
        key = f"component.{issue.domain}.issues.{issue.translation_key}.title"
        title = texts.get(key) or str(issue.translation_key)
        placeholders = issue.translation_placeholders or {}
        try:
            titles.append(title.format(**placeholders))
        except KeyError, IndexError, ValueError:
            titles.append(title)
    return titles


def _path(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "view"


# -- the lovelace adapter -------------------------------------------------------------------

type Builder = Callable[[HomeAssistant, User | None], Awaitable[dict[str, Any]]]


def _lovelace() -> tuple[Any, Any, Any, Any] | None:
    """lovelace's dashboards table key, its config base class, the current websocket
    connection and the panel registration, or None if this release moved them."""
    try:
        from homeassistant.components import frontend  # noqa: PLC0415
        from homeassistant.components.lovelace.const import LOVELACE_DATA  # noqa: PLC0415
        from homeassistant.components.lovelace.dashboard import LovelaceConfig  # noqa: PLC0415
        from homeassistant.components.websocket_api.connection import (  # noqa: PLC0415
            current_connection,
        )
    except ImportError:
        return None
    if not hasattr(frontend, "async_register_built_in_panel"):
        return None
    return LOVELACE_DATA, LovelaceConfig, current_connection, frontend


def async_register_dashboards(hass: HomeAssistant, domain: str) -> None:
    """Register the pages once (``domain``'s entry is the first to show on them)."""
    data = hass.data.setdefault(_REGISTERED, {})
    if data.get("registered") or "lovelace" not in hass.config.components:
        return
    parts = _lovelace()
    if parts is None or parts[0] not in hass.data:
        ir.async_create_issue(
            hass,
            domain,
            "dashboards_unavailable",
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key="dashboards_unavailable",
        )
        return
    lovelace_data, config_base, current_connection, frontend = parts

    class GeneratedDashboard(config_base):  # type: ignore[misc, valid-type]
        """A dashboard built for whoever asks, each time they ask (read-only in the UI)."""

        def __init__(self, url_path: str, title: str, build: Builder, *, managers: bool) -> None:
            super().__init__(hass, url_path, {"title": title, "mode": "yaml"})
            self._build = build
            self._managers = managers

        @property
        def mode(self) -> str:
            return "yaml"

        async def async_get_info(self) -> dict[str, Any]:
            config = await self.async_load(False)
            return {"mode": self.mode, "views": len(config.get("views", []))}

        async def async_load(self, force: bool) -> dict[str, Any]:
            connection = current_connection.get()
            user = connection.user if connection is not None else None
            # Home Assistant shows a panel to every user or to administrators only; the
            # manager is neither, so the page is in every sidebar and refuses all but the
            # managers and administrators here, when its config is asked for.
            if self._managers and (
                user is None or not (user.is_admin or await async_is_manager(hass, user))
            ):
                raise Unauthorized(user_id=user.id if user else None)
            return await self._build(hass, user)

        async def async_json(self, force: bool) -> json_fragment:
            return json_fragment(json_bytes(await self.async_load(force)))

    dashboards = hass.data[lovelace_data].dashboards
    for url_path, title, icon, managers, build in (
        (HOME_URL, "My home", "mdi:home-account", False, home_config),
        (MANAGER_URL, "Building", "mdi:office-building", True, manager_config),
        (LANDLORD_URL, "My flats", "mdi:home-city", False, landlord_config),
    ):
        if url_path in dashboards:
            _LOGGER.warning("A dashboard already answers at /%s: not replacing it", url_path)
            continue
        dashboards[url_path] = GeneratedDashboard(url_path, title, build, managers=managers)
        frontend.async_register_built_in_panel(
            hass,
            "lovelace",
            frontend_url_path=url_path,
            require_admin=False,
            show_in_sidebar=True,
            sidebar_title=title,
            sidebar_icon=icon,
            config={"mode": "yaml"},
        )
    _narrow_sidebar(hass)
    data["registered"] = True


# Home Assistant shows a panel to everyone or to administrators only. The manager's and the
# landlords' pages are neither, so each user's sidebar (the ``get_panels`` answer) leaves out
# the pages that are not theirs: the manager's for anyone but managers and administrators,
# "My flats" for anyone the manager linked to no flat.


def _narrow_sidebar(hass: HomeAssistant) -> None:
    handlers: dict[str, tuple[Any, Any]] = hass.data.get(WEBSOCKET_API, {})
    found = handlers.get("get_panels")
    if found is None or getattr(found[0], _SIDEBAR_MARK, False):
        return
    handler, schema = found

    @callback
    def get_panels(hass: HomeAssistant, connection: Any, msg: dict[str, Any]) -> None:
        user = connection.user
        hidden = set()
        if not (user.is_admin or is_manager_now(hass, user)):
            hidden.add(MANAGER_URL)
        if not landlord_places(hass, user.id):
            hidden.add(LANDLORD_URL)
        handler(hass, _Narrowed(connection, hidden), msg)

    setattr(get_panels, _SIDEBAR_MARK, True)
    websocket_api.async_register_command(hass, "get_panels", get_panels, schema)


_SIDEBAR_MARK: Final = "_buildinghub_sidebar"


class _Narrowed:
    """A websocket connection whose ``get_panels`` answer leaves out ``hidden`` panels."""

    def __init__(self, connection: Any, hidden: set[str]) -> None:
        self._connection = connection
        self._hidden = hidden

    def send_message(self, message: Any) -> None:
        if isinstance(message, dict) and isinstance(message.get("result"), dict):
            shown = {k: v for k, v in message["result"].items() if k not in self._hidden}
            message = {**message, "result": shown}
        self._connection.send_message(message)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)


def async_show_on_pages(hass: HomeAssistant, entry: ConfigEntry[Any], source: HubSource) -> None:
    """Feed the pages (and the manager's role) from ``entry``'s hub while it is loaded."""
    add_source(hass, entry, source)
    async_register_dashboards(hass, entry.domain)
    # The manager's group follows every hub's entities from now on.
    hass.async_create_task(async_manager_role(hass), "building manager role")
