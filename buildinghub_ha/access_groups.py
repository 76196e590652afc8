"""Residents see and control only their own things: Home Assistant groups with entity policies
(SPEC H7).

Home Assistant decides what a non-admin user may read and control from the policies of the
groups the user is in, OR-merged (``homeassistant.auth.permissions.merge_policies``: the most
permissive wins, so one group allowing every entity defeats any other). A new user is put in
the system group ``system-users``, whose policy allows every entity. Home Assistant has no
public API to create a group, so this module is the one place that reaches into its auth
store, and checks first that the store is as it expects:

- ``hass.auth._store`` is an ``AuthStore`` holding its groups in ``_groups`` (a dict by id)
  and saving them with ``_async_schedule_save()``; a group that is not system-generated is
  saved with its policy and loaded back as it was (``homeassistant/auth/auth_store.py``);
- ``models.Group`` has ``name``, ``policy``, ``id`` and ``system_generated``, and a user's
  cached permissions are dropped by ``User.invalidate_cache()``;
- entity policies address devices by id (``device_ids``) and OR-merge as described.

Anything else raises the repair ``access_groups_unsupported`` and changes nothing: Home
Assistant still runs, and the repair tells the manager that residents are not scoped.

Each config entry keeps one group per resident, id ``buildinghub.<entry id>.<user id>``,
whose policy allows reading and controlling the devices the entry gives that resident. Its
residents are taken out of ``system-users`` and ``system-read-only`` and are never put back:
when a lease ends the group goes and the user sees nothing of the building. Administrators
are never changed (Home Assistant lets them see everything whatever their groups say).

Two groups are building-wide: ``buildinghub.residents``, which every user in some entry's
resident group is also in, allows what the entries share with every resident (the bays open
to anyone, to book them); ``buildinghub.manager`` is the property managers'
(:mod:`.manager_role`). A removed entry's groups go with it (:func:`async_remove_groups`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from homeassistant.auth import EVENT_USER_REMOVED, EVENT_USER_UPDATED
from homeassistant.auth import models as auth_models
from homeassistant.auth.const import GROUP_ID_READ_ONLY, GROUP_ID_USER
from homeassistant.auth.permissions import merge_policies
from homeassistant.auth.permissions.const import CAT_ENTITIES, POLICY_CONTROL, POLICY_READ
from homeassistant.auth.permissions.entities import ENTITY_DEVICE_IDS, ENTITY_ENTITY_IDS
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.util.hass_dict import HassKey

from .read_scope import async_scope_reads

_LOGGER = logging.getLogger(__name__)

GROUP_PREFIX: Final = "buildinghub."
SHARED_GROUP_ID: Final = "buildinghub.residents"
"""Every resident's: what the building shares with all of them (open bays to book)."""
SHARED_GROUP_NAME: Final = "Building Hub: every resident"
_SHARED: HassKey[dict[str, Callable[[], Scope]]] = HassKey("buildinghub_shared_scopes")
_SHARED_LOCK: HassKey[asyncio.Lock] = HassKey("buildinghub_shared_lock")
ISSUE_UNSUPPORTED: Final = "access_groups_unsupported"
# Groups that let a member see every entity: a resident must not be in one.
PERMISSIVE_SYSTEM_GROUPS: Final = frozenset({GROUP_ID_USER, GROUP_ID_READ_ONLY})
_GROUP_FIELDS: Final = frozenset({"name", "policy", "id", "system_generated"})


@dataclass(frozen=True, slots=True)
class Scope:
    """What one resident may see and control: whole devices (their entities, present and
    future), and single entities of a device shared with others (a dwelling's balance on
    the hub's device)."""

    devices: frozenset[str] = frozenset()
    entities: frozenset[str] = frozenset()

    def __or__(self, other: Scope) -> Scope:
        """Both scopes together."""
        return Scope(self.devices | other.devices, self.entities | other.entities)


type Scopes = Mapping[str, Scope]
"""Each resident's scope, by Home Assistant user id."""


@dataclass(frozen=True, slots=True)
class Residents:
    """An entry's residents now, and when that will change by itself (unix seconds)."""

    scopes: Scopes
    next_change: int | None = None


def device_scope(hass: HomeAssistant, entry: ConfigEntry[Any], identifier: str) -> Scope:
    """The scope of one device of ``entry`` (by its identifier), once it is registered."""
    device = dr.async_get(hass).async_get_device_by_identifier(
        (entry.domain, identifier), entry.entry_id
    )
    return Scope(devices=frozenset({device.id})) if device else Scope()


def device_entities_scope(
    hass: HomeAssistant,
    entry: ConfigEntry[Any],
    identifier: str,
    *,
    without: AbstractSet[str] = frozenset(),
    only: AbstractSet[str] | None = None,
) -> Scope:
    """The entities of one device of ``entry`` (by its identifier) of the entity domains in
    ``only`` (all by default) but those in ``without`` (``lock``), as registered now."""
    device = dr.async_get(hass).async_get_device_by_identifier(
        (entry.domain, identifier), entry.entry_id
    )
    if device is None:
        return Scope()
    entries = er.async_entries_for_device(er.async_get(hass), device.id)
    return Scope(
        entities=frozenset(
            e.entity_id
            for e in entries
            if e.domain not in without and (only is None or e.domain in only)
        )
    )


def entity_scope(hass: HomeAssistant, platform: str, domain: str, unique_id: str) -> Scope:
    """The scope of one entity of ``domain`` (``sensor``) by ``platform``, once registered."""
    entity_id = er.async_get(hass).async_get_entity_id(domain, platform, unique_id)
    return Scope(entities=frozenset({entity_id})) if entity_id else Scope()


class AuthInternalsChanged(Exception):
    """Home Assistant's auth store is not shaped as this adapter expects."""


def group_store(hass: HomeAssistant) -> Any:
    """The auth store, once checked to hold groups as this module expects."""
    store = getattr(hass.auth, "_store", None)
    groups = getattr(store, "_groups", None)
    if not isinstance(groups, dict) or not callable(getattr(store, "_async_schedule_save", None)):
        raise AuthInternalsChanged("the auth store keeps no '_groups' it can save")
    fields = {field.name for field in getattr(auth_models.Group, "__attrs_attrs__", ())}
    if not fields >= _GROUP_FIELDS:
        raise AuthInternalsChanged(f"auth groups have {sorted(fields)}")
    if not callable(getattr(auth_models.User, "invalidate_cache", None)):
        raise AuthInternalsChanged("users have no permission cache to invalidate")
    everyone = {CAT_ENTITIES: True}
    if merge_policies([everyone, _policy(Scope(frozenset({"x"})))]) != everyone:
        raise AuthInternalsChanged("group policies no longer merge by the most permissive")
    return store


def _policy(scope: Scope) -> dict[str, Any]:
    # Read and control, never edit (entity settings are the manager's).
    allowed = {POLICY_READ: True, POLICY_CONTROL: True}
    return {
        CAT_ENTITIES: {
            ENTITY_DEVICE_IDS: {d: dict(allowed) for d in sorted(scope.devices)},
            ENTITY_ENTITY_IDS: {e: dict(allowed) for e in sorted(scope.entities)},
        }
    }


async def async_write_group(
    hass: HomeAssistant,
    groups: dict[str, auth_models.Group],
    group_id: str,
    name: str,
    scope: Scope,
) -> bool:
    """Make ``groups[group_id]`` allow exactly ``scope``; whether anything changed."""
    policy = _policy(scope)
    group = groups.get(group_id)
    if group is None:
        groups[group_id] = auth_models.Group(name=name, policy=policy, id=group_id)
        return True
    if group.policy == policy and group.name == name:
        return False
    group.policy, group.name = policy, name
    # A user's merged permissions are cached; a changed policy must reach them now.
    for member in await hass.auth.async_get_users():
        if any(g.id == group_id for g in member.groups):
            member.invalidate_cache()
    return True


async def async_place(
    hass: HomeAssistant, user: auth_models.User, group: auth_models.Group
) -> None:
    """Put ``user`` in ``group`` and out of the groups that allow every entity."""
    kept = [g for g in user.groups if g.id not in PERMISSIVE_SYSTEM_GROUPS and g is not group]
    wanted = [*kept, group]
    if [g.id for g in user.groups] != [g.id for g in wanted]:
        await hass.auth.async_update_user(user, group_ids=[g.id for g in wanted])


async def async_leave(
    hass: HomeAssistant, group_id: str, keep: Callable[[auth_models.User], bool]
) -> None:
    """Take every member of ``group_id`` for whom ``keep`` is false out of it (never back
    into system-users: they see nothing of the building)."""
    for user in await hass.auth.async_get_users():
        if any(g.id == group_id for g in user.groups) and not keep(user):
            ids = [g.id for g in user.groups if g.id != group_id]
            await hass.auth.async_update_user(user, group_ids=ids)


async def async_drop(
    hass: HomeAssistant, groups: dict[str, auth_models.Group], group_id: str
) -> None:
    """Remove ``group_id``, taking its members out first."""
    await async_leave(hass, group_id, lambda _user: False)
    del groups[group_id]


async def async_remove_groups(hass: HomeAssistant, entry: ConfigEntry[Any]) -> None:
    """Drop the groups of a removed entry's residents (they see nothing of it any more)."""
    try:
        store = group_store(hass)
    except AuthInternalsChanged:
        return  # no group was ever made: the entry raised the repair instead
    groups: dict[str, auth_models.Group] = store._groups
    prefix = f"{GROUP_PREFIX}{entry.entry_id}."
    dropped = [group_id for group_id in groups if group_id.startswith(prefix)]
    for group_id in dropped:
        await async_drop(hass, groups, group_id)
    if await _async_apply_shared(hass, groups) or dropped:
        store._async_schedule_save()


def _is_resident(user: auth_models.User) -> bool:
    """In some entry's resident group (``buildinghub.<entry id>.<user id>``)."""
    return not user.is_admin and any(
        g.id.startswith(GROUP_PREFIX) and g.id.count(".") == 2 for g in user.groups
    )


async def _async_apply_shared(hass: HomeAssistant, groups: dict[str, auth_models.Group]) -> bool:
    """Make the shared group allow what every loaded entry shares, with every resident in it
    (none shared: no group); whether anything changed."""
    async with hass.data.setdefault(_SHARED_LOCK, asyncio.Lock()):
        scope = Scope()
        for shared in hass.data.get(_SHARED, {}).values():
            scope = scope | shared()
        if not scope.devices and not scope.entities:
            if SHARED_GROUP_ID not in groups:
                return False
            await async_drop(hass, groups, SHARED_GROUP_ID)
            return True
        changed = await async_write_group(hass, groups, SHARED_GROUP_ID, SHARED_GROUP_NAME, scope)
        for user in await hass.auth.async_get_users():
            if _is_resident(user) and all(g.id != SHARED_GROUP_ID for g in user.groups):
                ids = [*(g.id for g in user.groups), SHARED_GROUP_ID]
                await hass.auth.async_update_user(user, group_ids=ids)
        await async_leave(hass, SHARED_GROUP_ID, _is_resident)
        return changed


class ResidentGroups:
    """The Home Assistant groups that scope one config entry's residents."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry[Any]) -> None:
        """The groups of ``entry``'s residents (none yet: see :meth:`async_apply`)."""
        self.hass = hass
        self.entry = entry
        self._prefix = f"{GROUP_PREFIX}{entry.entry_id}."
        self._scopes: dict[str, Scope] = {}
        self._applying = asyncio.Lock()
        self._residents: Callable[[], Residents] | None = None
        self._pending = False
        self._timer: CALLBACK_TYPE | None = None

    def group_id(self, user_id: str) -> str:
        """The id of ``user_id``'s group of this entry."""
        return self._prefix + user_id

    @callback
    def async_follow(
        self,
        residents: Callable[[], Residents],
        *signals: str,
        shared: Callable[[], Scope] | None = None,
    ) -> None:
        """Keep the groups equal to what ``residents`` answers while the entry is loaded (and
        scope the logbook and statistics, which do not check permissions themselves):
        now, on each dispatcher signal in ``signals``, when a device or an entity is
        registered (a scope names them by registry id), at the next change it announces (a
        lease starting or ending), and when a user is edited or removed (the user page saves
        a user back in ``system-users``). ``shared`` is what the entry shares with every
        resident of the building, whichever entry made them one (open bays)."""
        self._residents = residents
        hass, on_unload = self.hass, self.entry.async_on_unload
        if shared is not None:
            key = self.entry.entry_id
            hass.data.setdefault(_SHARED, {})[key] = shared
            on_unload(lambda: hass.data.get(_SHARED, {}).pop(key, None) and None)
        async_scope_reads(hass)
        for signal in signals:
            on_unload(async_dispatcher_connect(hass, signal, self.async_request))
        for event_type in (
            dr.EVENT_DEVICE_REGISTRY_UPDATED,
            er.EVENT_ENTITY_REGISTRY_UPDATED,
            EVENT_USER_UPDATED,
            EVENT_USER_REMOVED,
        ):
            on_unload(hass.bus.async_listen(event_type, self._async_heard))
        on_unload(self._cancel_timer)
        self.async_request()

    async def _async_heard(self, _event: Event[Any]) -> None:
        self.async_request()

    @callback
    def async_request(self, *_args: object) -> None:
        """Bring the groups in step soon (requests made meanwhile are served together)."""
        if self._residents is None or self._pending:
            return
        self._pending = True
        self.entry.async_create_task(
            self.hass, self._async_refresh(), f"{self.entry.domain} resident groups"
        )

    async def _async_refresh(self) -> None:
        assert self._residents is not None
        self._pending = False
        answer = self._residents()
        self._cancel_timer()
        if answer.next_change is not None:
            self._timer = async_track_point_in_utc_time(
                self.hass,
                self.async_request,
                datetime.fromtimestamp(answer.next_change, UTC),
            )
        await self.async_apply(answer.scopes)

    @callback
    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer()
            self._timer = None

    async def async_apply(self, scopes: Scopes) -> None:
        """Make the entry's residents exactly ``scopes``: each user's group allows that
        scope; a user no longer listed loses the group (and stays out of system-users)."""
        self._scopes = dict(scopes)
        async with self._applying:
            try:
                store = group_store(self.hass)
            except AuthInternalsChanged as err:
                self._raise_unsupported(str(err))
                return
            ir.async_delete_issue(self.hass, self.entry.domain, ISSUE_UNSUPPORTED)
            groups: dict[str, auth_models.Group] = store._groups
            changed = False
            placed: set[str] = set()
            for user_id, scope in self._scopes.items():
                user = await self.hass.auth.async_get_user(user_id)
                if user is None or user.is_admin or user.system_generated:
                    continue
                group_id = self.group_id(user_id)
                name = f"{self.entry.title}: {user.name or user.id}"
                changed |= await async_write_group(self.hass, groups, group_id, name, scope)
                await async_place(self.hass, user, groups[group_id])
                placed.add(self.group_id(user_id))
            for group_id in [g for g in groups if g.startswith(self._prefix)]:
                if group_id not in placed:
                    await async_drop(self.hass, groups, group_id)
                    changed = True
            changed |= await _async_apply_shared(self.hass, groups)
            if changed:
                store._async_schedule_save()

    def _raise_unsupported(self, reason: str) -> None:
        _LOGGER.error("Residents cannot be scoped in this Home Assistant: %s", reason)
        ir.async_create_issue(
            self.hass,
            self.entry.domain,
            ISSUE_UNSUPPORTED,
            is_fixable=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key=ISSUE_UNSUPPORTED,
            translation_placeholders={"reason": reason},
        )
