"""Diagnostics of Community Meter: no keys, no tokens, no raw readings."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant

from .const import CONF_CLOUD_KEY, CONF_HUB_KEY
from .coordinator import CommunityMeterConfigEntry

TO_REDACT = {CONF_HUB_KEY, CONF_CLOUD_KEY}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: CommunityMeterConfigEntry
) -> dict[str, Any]:
    """The entry's settings (redacted), the outbox counts and each meter's status."""
    hub = entry.runtime_data.hub
    return {
        "entry": async_redact_data(dict(entry.data), TO_REDACT),
        "outbox": asdict(await hub.relay.outbox.counts()),
        "cloud_reachable": hub.state.cloud_reachable,
        "meters": {
            meter_id: {
                "dwelling": ctx.identity.dwelling,
                "quantity": ctx.identity.quantity.name.lower(),
                "status": None if ctx.coordinator.data is None else asdict(ctx.coordinator.data),
            }
            for meter_id, ctx in hub.meters.items()
        },
    }
