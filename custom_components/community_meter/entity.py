"""Base entities of Community Meter: one device per meter, one for the building's hub."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from homeassistant.core import callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from buildinghub.telemetry.reading import Quantity
from buildinghub_ha.const import MANUFACTURER
from buildinghub_ha.entity import FleetEntity

from .away import signal_presence
from .const import CONF_BUILDING, DOMAIN
from .coordinator import MeterCoordinator
from .hub import MeterContext, MeterHub


class MeterEntity(FleetEntity[MeterHub, MeterContext]):
    """An entity of one meter."""

    coordinator: MeterCoordinator


class DwellingPresenceEntity(MeterEntity):
    """An entity showing its dwelling's presence, written again whenever that may change."""

    async def async_added_to_hass(self) -> None:
        """Follow the dwelling's presence as readings come in."""
        await super().async_added_to_hass()
        self.async_follow(signal_presence(self.hub.entry.entry_id), self._changed)

    @callback
    def _changed(self, dwelling: str) -> None:
        if dwelling == self.member.identity.dwelling:
            self.async_write_ha_state()


def dwelling_entity(
    make: Callable[[MeterHub, MeterContext], Iterable[Entity]],
) -> Callable[[MeterHub, MeterContext], Iterable[Entity]]:
    """Entities of a dwelling, on its electricity meter (away detection's source)."""
    return lambda hub, meter: (
        make(hub, meter) if meter.identity.quantity is Quantity.ELECTRICITY else ()
    )


class HubEntity(Entity):
    """An entity of the hub itself (outbox, balances), updated by the relay."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(self, hub: MeterHub, description: EntityDescription, suffix: str = "") -> None:
        """Describe this entity of the hub of ``hub``'s entry."""
        self.hub = hub
        self.entity_description = description
        entry = hub.entry
        self._attr_unique_id = f"{entry.entry_id}_{description.key}{suffix}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, entry.entry_id)},
            name=f"{entry.data[CONF_BUILDING]} meter hub",
            manufacturer=MANUFACTURER,
            model="Meter hub",
        )

    async def async_added_to_hass(self) -> None:
        """Follow the relay's rounds."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(self.hass, self.hub.signal("hub"), self.async_write_ha_state)
        )


def async_add_per_account(
    hub: MeterHub,
    async_add_entities: AddConfigEntryEntitiesCallback,
    make: Callable[[MeterHub, str], Entity],
) -> None:
    """Add ``make(hub, dwelling)`` for every dwelling with a prepaid account, now and as the
    cloud opens more."""
    known: set[str] = set()

    @callback
    def add() -> None:
        new = sorted(set(hub.state.accounts) - known)
        known.update(new)
        async_add_entities([make(hub, dwelling) for dwelling in new])

    add()
    hub.entry.async_on_unload(async_dispatcher_connect(hub.hass, hub.signal("hub"), add))
