"""The base entity of a managed device, and the platform setup that adds them.

An integration's runtime data holds its hub as ``hub``, and the hub holds its
:class:`~buildinghub_ha.fleet.DeviceFleet` as ``fleet``: :func:`fleet_platform`
relies on that to add a platform's entities for every device, including those
that join later.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterable
from typing import Any, Self

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity, DataUpdateCoordinator

from .fleet import DeviceFleet, ManagedDevice

type PlatformSetup = Callable[
    [HomeAssistant, ConfigEntry[Any], AddConfigEntryEntitiesCallback], Coroutine[Any, Any, None]
]


class FleetEntity[HubT, MemberT: ManagedDevice[Any, Any]](
    CoordinatorEntity[DataUpdateCoordinator[Any]]
):
    """An entity of one managed device: named by its description, on the device's card."""

    _attr_has_entity_name = True

    def __init__(self, hub: HubT, member: MemberT, description: EntityDescription) -> None:
        """Describe this entity of ``member``, one of ``hub``'s devices."""
        super().__init__(member.coordinator)
        self.hub = hub
        self.member = member
        self.entity_description = description
        self._attr_unique_id = f"{member.card.device_id}_{description.key}"
        self._attr_device_info = member.card.device_info()

    @classmethod
    def describing(cls, *descriptions: EntityDescription) -> Callable[[HubT, MemberT], list[Self]]:
        """Make one such entity per description, for a device."""
        return lambda hub, member: [cls(hub, member, d) for d in descriptions]

    def async_follow(self, signal: str, target: Callable[..., None] | None = None) -> None:
        """While added, call ``target`` (by default: write the state) on each ``signal``."""
        self.async_on_remove(
            async_dispatcher_connect(self.hass, signal, target or self.async_write_ha_state)
        )


def fleet_platform[HubT, MemberT: ManagedDevice[Any, Any]](
    *makers: Callable[[HubT, MemberT], Iterable[Entity]],
) -> PlatformSetup:
    """A platform's ``async_setup_entry``: the entities ``makers`` make for every device."""

    async def async_setup_entry(
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        async_add_entities: AddConfigEntryEntitiesCallback,
    ) -> None:
        hub: HubT = entry.runtime_data.hub
        fleet: DeviceFleet[MemberT] = entry.runtime_data.hub.fleet
        fleet.async_add_entities(
            async_add_entities,
            lambda member: [entity for make in makers for entity in make(hub, member)],
        )

    return async_setup_entry
