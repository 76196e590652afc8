"""Logbook lines: which flat's balance ran low, by how much (the dwelling is its name)."""

from __future__ import annotations

from collections.abc import Callable

from homeassistant.const import ATTR_CONFIG_ENTRY_ID, ATTR_ENTITY_ID, ATTR_NAME
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er

from .const import BUS_EVENT_LOW_BALANCE, DOMAIN

type Describer = Callable[[Event], dict[str, str | None]]


@callback
def async_describe_events(
    hass: HomeAssistant, async_describe_event: Callable[[str, str, Describer], None]
) -> None:
    """Describe the low-balance event: "Flat 1B balance is low: 7.00 left (...)"."""

    @callback
    def describe(event: Event) -> dict[str, str | None]:
        # The line belongs to the dwelling's balance sensor (so it shows on that sensor's
        # logbook, and whoever may not see the sensor does not see the line).
        dwelling = str(event.data.get("dwelling") or "")
        entity_id = er.async_get(hass).async_get_entity_id(
            "sensor", DOMAIN, f"{event.data.get(ATTR_CONFIG_ENTRY_ID)}_balance_{dwelling}"
        )
        return {
            ATTR_NAME: str(event.data.get("area") or dwelling),
            "message": str(event.data.get("message") or "balance is low"),
            ATTR_ENTITY_ID: entity_id,
        }

    async_describe_event(DOMAIN, BUS_EVENT_LOW_BALANCE, describe)
