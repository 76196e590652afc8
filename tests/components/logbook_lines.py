"""What the logbook page shows: its entries for the last hour, through the websocket."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from pytest_homeassistant_custom_component.typing import WebSocketGenerator


async def logbook_entries(
    hass: HomeAssistant, ws: WebSocketGenerator, entity_ids: list[str] | None = None
) -> list[dict[str, Any]]:
    """The logbook's entries around now (of ``entity_ids`` only, when given)."""
    await async_wait_recording_done(hass)
    client = await ws(hass)
    now = dt_util.utcnow()
    await client.send_json_auto_id(
        {
            "type": "logbook/get_events",
            "start_time": (now - timedelta(hours=1)).isoformat(),
            "end_time": (now + timedelta(hours=1)).isoformat(),
            **({"entity_ids": entity_ids} if entity_ids else {}),
        }
    )
    answer = await client.receive_json()
    assert answer["success"], answer
    entries: list[dict[str, Any]] = answer["result"]
    return entries


def lines(entries: list[dict[str, Any]]) -> list[str]:
    """The described entries as the page reads them: the name, then the message."""
    return [f"{e['name']} {e['message']}" for e in entries if "message" in e]
