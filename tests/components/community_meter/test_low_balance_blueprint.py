"""The low-balance reminder blueprint, end to end: cloud balance -> event -> reminder."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from cloud_connector import accounts
from custom_components.community_meter.const import DOMAIN
from tests.blueprints.helpers import async_notifications, async_use_blueprint

from .conftest import BUILDING, Cloud, Site, settle, start_hub


async def _low_balance_event(hass: HomeAssistant, entry: MockConfigEntry) -> str:
    entity_id = er.async_get(hass).async_get_entity_id(
        "event", DOMAIN, f"{entry.entry_id}_low_balance"
    )
    assert entity_id is not None
    return entity_id


async def test_the_resident_of_the_low_dwelling_only_is_reminded_with_the_amounts(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    cloud: Cloud,
    site: Site,
    config_entry: MockConfigEntry,
) -> None:
    assert cloud.running is not None
    engine = cloud.running.engine
    assert await async_setup_component(hass, "persistent_notification", {})
    await start_hub(hass, config_entry, site)
    await async_use_blueprint(
        hass,
        "low_balance_reminder",
        {
            "low_balance_event": await _low_balance_event(hass, config_entry),
            "dwelling": "1A",
            "notify_action": "persistent_notification.create",
        },
    )

    # The manager opens the prepaid accounts; both dwellings are already below the threshold.
    await accounts.open_account(engine, BUILDING, "1A", threshold_cents=1000, balance_cents=450)
    await accounts.open_account(engine, BUILDING, "2B", threshold_cents=1000, balance_cents=300)
    await config_entry.runtime_data.hub.async_relay()
    await settle(hass)

    resident = await hass_ws_client(hass)
    assert await async_notifications(resident) == [
        (
            "Balance of 1A is low",
            "The prepaid balance is 4.50, below the reminder threshold of 10.00. Please top it up.",
        )
    ]


async def test_a_balance_already_low_when_the_hub_starts_reaches_the_event_entity(
    hass: HomeAssistant, cloud: Cloud, site: Site, config_entry: MockConfigEntry
) -> None:
    assert cloud.running is not None
    await accounts.open_account(
        cloud.running.engine, BUILDING, "1A", threshold_cents=1000, balance_cents=450
    )
    site.rejoin()  # the meters are on the air, reporting, before the hub starts

    await start_hub(hass, config_entry, site)

    state = hass.states.get(await _low_balance_event(hass, config_entry))
    assert state is not None
    assert (state.attributes.get("event_type"), state.attributes.get("dwelling")) == (
        "low_balance",
        "1A",
    )
