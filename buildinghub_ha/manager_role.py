"""The property manager's role: a non-admin login that sees derived data only (SPEC M5, H8).

Home Assistant lets an administrator read every entity whatever the groups say, so a property
manager who must not read a dwelling's raw readings cannot be an administrator: the
administrator's account is the installer's. The manager is an ordinary user the
administrator names with ``set_managers``; this module keeps those users in one Home
Assistant group, ``buildinghub.manager``, whose policy allows every entity of the three
integrations except raw readings, and lets them run the hub's manager actions (see
:mod:`.actions`) and open the "Building" page.

A raw reading is what a dwelling's meters measure, or the money it comes to: an entity of
a metered device class (:data:`RAW_READING_CLASSES`: energy, water and gas totals, power,
volumes, balances) and any entity a hub names in ``raw_readings()`` (the low-balance event,
which carries the balance). What the manager gets instead is derived: locks, presence and
away, a dwelling's "Low balance" flag, bay occupancy, rent dates and events, access events,
grant and booking calendars, and the open repairs on the "Building" page.

The group is building-wide (one for every entry of the three integrations) and follows the
entity registry, so a new meter's total never becomes readable to the manager.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any, Final

from homeassistant.auth import EVENT_USER_REMOVED, EVENT_USER_UPDATED
from homeassistant.auth import models as auth_models
from homeassistant.components.sensor import SensorDeviceClass
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.storage import Store
from homeassistant.util.hass_dict import HassKey

from .access_groups import (
    AuthInternalsChanged,
    Scope,
    async_drop,
    async_leave,
    async_place,
    async_write_group,
    group_store,
)
from .hub_sources import DOMAINS, raw_reading_ids

_LOGGER = logging.getLogger(__name__)

MANAGER_GROUP_ID: Final = "buildinghub.manager"
MANAGER_GROUP_NAME: Final = "Building Hub: property managers"
MAX_MANAGERS: Final = 16
RAW_READING_CLASSES: Final = frozenset(
    {
        SensorDeviceClass.ENERGY,
        SensorDeviceClass.ENERGY_STORAGE,
        SensorDeviceClass.GAS,
        SensorDeviceClass.MONETARY,
        SensorDeviceClass.POWER,
        SensorDeviceClass.VOLUME,
        SensorDeviceClass.VOLUME_FLOW_RATE,
        SensorDeviceClass.VOLUME_STORAGE,
        SensorDeviceClass.WATER,
    }
)
"""Device classes of a dwelling's measurements and money: never the manager's."""
_STORAGE_KEY: Final = "buildinghub.managers"
_ROLE: HassKey[asyncio.Future[ManagerRole]] = HassKey("buildinghub_manager_role")


def is_raw_reading(entry: er.RegistryEntry, raw_ids: frozenset[str]) -> bool:
    """Whether ``entry`` shows a dwelling's raw readings (or what they cost)."""
    device_class = entry.device_class or entry.original_device_class
    return device_class in RAW_READING_CLASSES or entry.unique_id in raw_ids


def manager_scope(hass: HomeAssistant) -> Scope:
    """Every entity of the three integrations that is not a raw reading."""
    raw_ids = raw_reading_ids(hass)
    return Scope(
        entities=frozenset(
            entry.entity_id
            for entry in er.async_get(hass).entities.values()
            if entry.platform in DOMAINS and not is_raw_reading(entry, raw_ids)
        )
    )


class ManagerRole:
    """Who the property managers are, and their group kept equal to :func:`manager_scope`."""

    def __init__(self, hass: HomeAssistant) -> None:
        """The role of ``hass`` (load it with :meth:`async_load`)."""
        self.hass = hass
        self._store: Store[dict[str, Any]] = Store(hass, 1, _STORAGE_KEY, private=True)
        self._managers: frozenset[str] = frozenset()
        self._applying = asyncio.Lock()
        self._pending = False

    @property
    def managers(self) -> frozenset[str]:
        """The user ids of the property managers."""
        return self._managers

    def is_manager(self, user: auth_models.User) -> bool:
        """Whether ``user`` is a property manager (an active, ordinary user named one)."""
        return user.is_active and not user.system_generated and user.id in self._managers

    async def async_load(self) -> None:
        """Take back the managers stored before, and follow the registry and user edits."""
        stored = await self._store.async_load() or {}
        self._managers = frozenset(stored.get("managers", ()))
        for event_type in (
            er.EVENT_ENTITY_REGISTRY_UPDATED,
            EVENT_USER_UPDATED,
            EVENT_USER_REMOVED,
        ):
            self.hass.bus.async_listen(event_type, self._heard)
        self.async_request()

    async def async_set(self, user_ids: Iterable[str], domain: str) -> frozenset[str]:
        """Make ``user_ids`` the property managers; refuses an unknown user, an administrator
        (who sees everything anyway, so the role would hide nothing) and more than
        MAX_MANAGERS, changing nothing. ``domain`` words the refusal."""
        chosen = frozenset(user_ids)
        if len(chosen) > MAX_MANAGERS:
            raise _refusal(domain, "too_many_managers", limit=str(MAX_MANAGERS))
        for user_id in sorted(chosen):
            user = await self.hass.auth.async_get_user(user_id)
            if user is None:
                raise _refusal(domain, "unknown_user", user_id=user_id)
            if user.is_admin:
                raise _refusal(domain, "manager_is_admin", user_id=user_id)
        self._managers = chosen
        await self._store.async_save({"managers": sorted(chosen)})
        await self.async_apply()
        return chosen

    @callback
    def _heard(self, _event: Event[Any]) -> None:
        self.async_request()

    @callback
    def async_request(self) -> None:
        """Bring the group in step soon (requests made meanwhile are served together)."""
        if self._pending:
            return
        self._pending = True
        self.hass.async_create_task(self._async_refresh(), "building manager role")

    async def _async_refresh(self) -> None:
        self._pending = False
        await self.async_apply()

    async def async_apply(self) -> None:
        """Make the group allow :func:`manager_scope`, with exactly the managers in it."""
        async with self._applying:
            try:
                store = group_store(self.hass)
            except AuthInternalsChanged as err:
                # Each entry's resident groups raise the repair that says so.
                _LOGGER.error("The property manager's role cannot be kept: %s", err)
                return
            groups: dict[str, auth_models.Group] = store._groups
            if not self._managers:  # no manager, no group
                changed = MANAGER_GROUP_ID in groups
                if changed:
                    await async_drop(self.hass, groups, MANAGER_GROUP_ID)
            else:
                changed = await async_write_group(
                    self.hass,
                    groups,
                    MANAGER_GROUP_ID,
                    MANAGER_GROUP_NAME,
                    manager_scope(self.hass),
                )
                for user_id in sorted(self._managers):
                    user = await self.hass.auth.async_get_user(user_id)
                    if user is not None and not user.is_admin:
                        await async_place(self.hass, user, groups[MANAGER_GROUP_ID])
                await async_leave(self.hass, MANAGER_GROUP_ID, self.is_manager)
            if changed:
                store._async_schedule_save()


async def async_manager_role(hass: HomeAssistant) -> ManagerRole:
    """The building's manager role, loaded once."""
    if (future := hass.data.get(_ROLE)) is None:
        future = hass.data[_ROLE] = hass.loop.create_future()
        role = ManagerRole(hass)
        try:
            await role.async_load()
        except BaseException as err:
            del hass.data[_ROLE]
            future.set_exception(err)
            future.exception()  # retrieved: whoever waits on it is told
            raise
        future.set_result(role)
    return await asyncio.shield(future)


def is_manager_now(hass: HomeAssistant, user: auth_models.User) -> bool:
    """Whether ``user`` is a property manager, as far as the role is loaded (not yet: no)."""
    future = hass.data.get(_ROLE)
    if future is None or not future.done() or future.exception() is not None:
        return False
    return future.result().is_manager(user)


async def async_is_manager(hass: HomeAssistant, user: auth_models.User) -> bool:
    """Whether ``user`` is one of the building's property managers."""
    return (await async_manager_role(hass)).is_manager(user)


def _refusal(domain: str, key: str, **placeholders: str) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=domain, translation_key=key, translation_placeholders=placeholders
    )
