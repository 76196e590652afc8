"""A dwelling's meters and balance are on its residents' "My home"; the manager's
"Building" page says only whether a balance is low (its "Low balance" flag, since the manager
may not read the balance itself), and shows no reading (SPEC M5)."""

from __future__ import annotations

from homeassistant.auth.const import GROUP_ID_USER
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from buildinghub_ha.dashboards import HOME_URL, MANAGER_URL
from custom_components.community_meter.const import DOMAIN
from tests.components.rental_lock.test_dashboards import entities, page

from .conftest import Cloud, Site, start_with_low_balance


async def test_residents_see_their_meters_and_the_manager_only_the_low_flag(
    hass: HomeAssistant,
    cloud: Cloud,
    site: Site,
    config_entry: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    assert await async_setup_component(hass, "lovelace", {})
    await start_with_low_balance(hass, cloud, site, config_entry)
    group = await hass.auth.async_get_group(GROUP_ID_USER)
    tess = MockUser(name="Tess", groups=[group]).add_to_hass(hass)
    await hass.services.async_call(
        DOMAIN, "set_residents", {"dwelling": "1A", "residents": [tess.id]}, blocking=True
    )

    home = await page(hass, hass_ws_client, HOME_URL, tess)
    building = await page(hass, hass_ws_client, MANAGER_URL)

    assert home["success"], home
    mine = entities(home["result"])
    assert "sensor.flat_1a_electricity_meter_energy" in mine
    assert any(entity_id.endswith("balance_1a") for entity_id in mine), mine
    assert not any("2b" in entity_id for entity_id in mine)
    assert building["success"], building
    rows = [
        row
        for view in building["result"]["views"]
        for card in view["cards"]
        for row in card.get("entities", [])
    ]
    assert not [r for r in rows if r["entity"].startswith("sensor.")]
    flag = next(r for r in rows if r["entity"].endswith("low_balance_1a"))
    assert flag["entity"].startswith("binary_sensor.")
    assert hass.states.get(flag["entity"]).state == "on"
