"""Events: readings a meter had to erase without a receipt; a dwelling's balance running low."""

from __future__ import annotations

from typing import Any

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import EVENT_LOW_BALANCE, EVENT_READINGS_LOST
from .coordinator import CommunityMeterConfigEntry
from .entity import HubEntity, MeterEntity, async_add_meter_entities
from .hub import signal_lost, signal_low_balance

PARALLEL_UPDATES = 0
LOST = EventEntityDescription(key="loss", translation_key="loss", event_types=[EVENT_READINGS_LOST])
LOW_BALANCE = EventEntityDescription(
    key="low_balance", translation_key="low_balance", event_types=[EVENT_LOW_BALANCE]
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: CommunityMeterConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """A loss event per meter and the hub's low-balance event."""
    async_add_meter_entities(
        entry, async_add_entities, lambda hub, ctx: [ReadingsLostEvent(hub, ctx, LOST)]
    )
    async_add_entities([LowBalanceEvent(entry.runtime_data.hub, LOW_BALANCE)])


class ReadingsLostEvent(MeterEntity, EventEntity):
    """Fires when the meter reports readings erased without a storage receipt."""

    async def async_added_to_hass(self) -> None:
        """Listen for the hub's loss reports of this meter."""
        await super().async_added_to_hass()
        signal = signal_lost(self.hub.entry.entry_id, self.meter.identity.meter_id)
        self.async_on_remove(async_dispatcher_connect(self.hass, signal, self._handle))

    @callback
    def _handle(self, data: dict[str, Any]) -> None:
        self._trigger_event(EVENT_READINGS_LOST, {"count": data["count"]})
        self.async_write_ha_state()


class LowBalanceEvent(HubEntity, EventEntity):
    """Fires when a dwelling's prepaid balance falls below its threshold."""

    async def async_added_to_hass(self) -> None:
        """Listen for the relay's balance reports."""
        await super().async_added_to_hass()
        signal = signal_low_balance(self.hub.entry.entry_id)
        self.async_on_remove(async_dispatcher_connect(self.hass, signal, self._handle))

    @callback
    def _handle(self, data: dict[str, Any]) -> None:
        self._trigger_event(EVENT_LOW_BALANCE, dict(data))
        self.async_write_ha_state()
