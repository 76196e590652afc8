"""The logbook says which flat's balance ran low, on that flat's balance sensor."""

from __future__ import annotations

from datetime import timedelta

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from cloud_connector import accounts
from custom_components.community_meter.const import DOMAIN

from .conftest import BUILDING, Cloud, Site, settle, start_hub


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    recorder_mock: object, enable_custom_integrations: None
) -> None:
    """The recorder must start before hass, which enabling custom integrations needs."""


async def test_a_low_balance_reads_as_the_flat_and_its_balance(
    recorder_mock: object,
    hass: HomeAssistant,
    cloud: Cloud,
    site: Site,
    config_entry: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    assert await async_setup_component(hass, "logbook", {})
    assert cloud.running is not None
    await accounts.open_account(
        cloud.running.engine, BUILDING, "1A", threshold_cents=1000, balance_cents=450
    )
    await start_hub(hass, config_entry, site)
    await config_entry.runtime_data.hub.async_relay()
    await config_entry.runtime_data.hub.async_relay()
    await settle(hass)
    balance = er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, f"{config_entry.entry_id}_balance_1A"
    )
    assert balance is not None

    await async_wait_recording_done(hass)
    client = await hass_ws_client(hass)
    now = dt_util.utcnow()
    await client.send_json_auto_id(
        {
            "type": "logbook/get_events",
            "start_time": (now - timedelta(hours=1)).isoformat(),
            "end_time": (now + timedelta(hours=1)).isoformat(),
        }
    )
    answer = await client.receive_json()
    assert answer["success"], answer
    lines = [
        (e.get("entity_id"), f"{e['name']} {e['message']}")
        for e in answer["result"]
        if e.get("domain") == DOMAIN
    ]
    assert lines == [(balance, "Flat 1A balance is low: 4.50 left (reminder below 10.00)")]
