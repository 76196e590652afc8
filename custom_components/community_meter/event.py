"""Events: readings a meter had to erase without a receipt; a dwelling's balance running low."""

from __future__ import annotations

from typing import Any

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import EVENT_LOW_BALANCE, EVENT_READINGS_LOST
from .coordinator import CommunityMeterConfigEntry
from .entity import HubEntity, MeterEntity

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
    hub = entry.runtime_data.hub
    hub.fleet.async_add_entities(
        async_add_entities, lambda meter: ReadingsLostEvent.describing(LOST)(hub, meter)
    )
    async_add_entities([LowBalanceEvent(hub, LOW_BALANCE)])


class ReadingsLostEvent(MeterEntity, EventEntity):
    """Fires when the meter reports readings erased without a storage receipt."""

    async def async_added_to_hass(self) -> None:
        """Listen for the hub's loss reports of this meter."""
        await super().async_added_to_hass()
        self.async_follow(self.hub.signal("lost", self.member.identity.meter_id), self._handle)

    @callback
    def _handle(self, data: dict[str, Any]) -> None:
        self._trigger_event(EVENT_READINGS_LOST, {"count": data["count"]})
        self.async_write_ha_state()


class LowBalanceEvent(HubEntity, EventEntity):
    """Fires when a dwelling's prepaid balance falls below its threshold."""

    async def async_added_to_hass(self) -> None:
        """Listen for the relay's balance reports."""
        await super().async_added_to_hass()
        signal = self.hub.signal("low_balance")
        self.async_on_remove(async_dispatcher_connect(self.hass, signal, self._handle))

    @callback
    def _handle(self, data: dict[str, Any]) -> None:
        self._trigger_event(EVENT_LOW_BALANCE, dict(data))
        self.async_write_ha_state()
