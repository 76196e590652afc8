"""The logbook says which flat's balance ran low, on that flat's balance sensor."""

from __future__ import annotations

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.community_meter.const import DOMAIN
from tests.components.logbook_lines import lines, logbook_entries

from .conftest import Cloud, Site, start_with_low_balance


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
    balance = await start_with_low_balance(hass, cloud, site, config_entry)

    entries = await logbook_entries(hass, hass_ws_client)

    ours = [e for e in entries if e.get("domain") == DOMAIN]
    assert lines(ours) == ["Flat 1A balance is low: 4.50 left (reminder below 10.00)"]
    assert [e["entity_id"] for e in ours] == [balance]
