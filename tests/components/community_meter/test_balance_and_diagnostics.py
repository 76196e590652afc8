"""Balances from the cloud, the low-balance event, and diagnostics without secrets."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from cloud_connector import accounts
from custom_components.community_meter.const import BUS_EVENT_LOW_BALANCE, DOMAIN
from custom_components.community_meter.diagnostics import async_get_config_entry_diagnostics

from .conftest import BUILDING, Cloud, Site, settle, start_hub


async def test_a_low_balance_fires_an_event_once_and_shows_on_the_balance_sensor(
    hass: HomeAssistant, cloud: Cloud, site: Site, config_entry: MockConfigEntry
) -> None:
    assert cloud.running is not None
    await accounts.open_account(
        cloud.running.engine, BUILDING, "1A", threshold_cents=1000, balance_cents=450
    )
    low = async_capture_events(hass, BUS_EVENT_LOW_BALANCE)

    await start_hub(hass, config_entry, site)
    await config_entry.runtime_data.hub.async_relay()
    await config_entry.runtime_data.hub.async_relay()
    await settle(hass)

    balance = er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, f"{config_entry.entry_id}_balance_1A"
    )
    assert balance is not None
    assert [e.data for e in low] == [
        {
            "dwelling": "1A",
            "area": "Flat 1A",
            "balance_cents": 450,
            "threshold_cents": 1000,
            "message": "balance is low: 4.50 left (reminder below 10.00)",
            "config_entry_id": config_entry.entry_id,
        }
    ]
    state = hass.states.get(balance)
    assert state is not None
    assert (state.state, state.attributes["low"]) == ("4.5", True)
    event = er.async_get(hass).async_get_entity_id(
        "event", DOMAIN, f"{config_entry.entry_id}_low_balance"
    )
    assert event is not None
    fired = hass.states.get(event)
    assert fired is not None
    assert fired.attributes["event_type"] == "low_balance"


async def test_diagnostics_carry_no_keys(
    hass: HomeAssistant, cloud: Cloud, site: Site, config_entry: MockConfigEntry
) -> None:
    await start_hub(hass, config_entry, site)

    diagnostics = await async_get_config_entry_diagnostics(hass, config_entry)

    text = str(diagnostics)
    assert "PRIVATE KEY" not in text
    assert config_entry.data["cloud_key"] not in text
    assert diagnostics["entry"]["hub_key"] == "**REDACTED**"
    assert set(diagnostics["meters"]) == {"meter-1a-e", "meter-1a-w", "meter-2b-g"}
