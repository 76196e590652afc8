"""Whether anybody is home in a dwelling, derived from its electricity use (SPEC M6)."""

from __future__ import annotations

from homeassistant.components.binary_sensor import (
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from buildinghub.occupancy.tracker import Presence

from .away import signal_presence
from .coordinator import CommunityMeterConfigEntry
from .entity import MeterEntity, async_add_dwelling_entities

PARALLEL_UPDATES = 0
HOUSEHOLD = BinarySensorEntityDescription(
    key="household", translation_key="household", device_class=BinarySensorDeviceClass.PRESENCE
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: CommunityMeterConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """A household presence sensor on each dwelling's electricity meter."""
    async_add_dwelling_entities(
        entry, async_add_entities, lambda hub, ctx: HouseholdPresence(hub, ctx, HOUSEHOLD)
    )


class HouseholdPresence(MeterEntity, BinarySensorEntity):
    """On while the household is home; off once the dwelling has been empty a while.

    Unknown for the first two days: the detector learns the household's nights
    before it calls anything an absence.
    """

    async def async_added_to_hass(self) -> None:
        """Follow the dwelling's presence as readings come in."""
        await super().async_added_to_hass()
        signal = signal_presence(self.hub.entry.entry_id)
        self.async_on_remove(async_dispatcher_connect(self.hass, signal, self._changed))

    @callback
    def _changed(self, dwelling: str) -> None:
        if dwelling == self.meter.identity.dwelling:
            self.async_write_ha_state()

    @property
    def is_on(self) -> bool | None:
        """Home (on), away (off), or unknown while learning."""
        presence = self.hub.presence.presence(self.meter.identity.dwelling)
        return None if presence is Presence.LEARNING else presence is Presence.HOME
