"""Each role's page: a resident's "My home" shows their flat only; the manager's "Building"
shows every flat by floor with derived states only, and only to administrators."""

from __future__ import annotations

from typing import Any

import pytest
from homeassistant.components.lovelace.const import LOVELACE_DATA
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from buildinghub.credentials import GrantKind
from buildinghub_ha.dashboards import HOME_URL, MANAGER_URL
from buildinghub_sim.building import SimulatedBuilding
from custom_components.rental_lock.const import DOMAIN

from .conftest import DAY, IssueGrant, make_resident
from .test_grants import install

CLIENT_ID = "https://example.com/app"


async def page(
    hass: HomeAssistant, ws: WebSocketGenerator, url_path: str, user: MockUser | None = None
) -> dict[str, Any]:
    """What the browser gets for a dashboard, as ``user`` (the administrator by default)."""
    token = None
    if user is not None:
        refresh = await hass.auth.async_create_refresh_token(user, CLIENT_ID)
        token = hass.auth.async_create_access_token(refresh)
    client = await ws(hass, token) if token else await ws(hass)
    await client.send_json_auto_id({"type": "lovelace/config", "url_path": url_path})
    answer: dict[str, Any] = await client.receive_json()
    return answer


def entities(config: dict[str, Any]) -> set[str]:
    """Every entity a page lays out."""
    return {
        row["entity"]
        for view in config["views"]
        for card in view["cards"]
        for row in card.get("entities", [])
    }


@pytest.fixture
async def residents(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    building: SimulatedBuilding,
    issue: IssueGrant,
) -> tuple[MockUser, MockUser]:
    """Tess leases flat 1A, Ravi flat 1B; the dashboards are there as in a browser's HA."""
    assert await async_setup_component(hass, "lovelace", {})
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert config_entry.state is ConfigEntryState.LOADED
    tess, ravi = await make_resident(hass, "Tess"), await make_resident(hass, "Ravi")
    for flat, user in zip(building.flats, (tess, ravi), strict=True):
        lease = issue(flat, kind=GrantKind.LEASE, end=180 * DAY, subject=flat.tenant)
        await install(hass, lease, user_id=user.id)
    return tess, ravi


async def test_my_home_shows_the_resident_their_own_flat_only(
    hass: HomeAssistant,
    residents: tuple[MockUser, MockUser],
    hass_ws_client: WebSocketGenerator,
) -> None:
    tess, ravi = residents

    mine = await page(hass, hass_ws_client, HOME_URL, tess)
    theirs = await page(hass, hass_ws_client, HOME_URL, ravi)

    assert mine["success"], mine
    shown = entities(mine["result"])
    assert "lock.flat_1a_door" in shown
    assert "calendar.flat_1a_door_grants" in shown
    assert not any("flat_1b" in entity_id for entity_id in shown)
    assert mine["result"]["views"][0]["cards"][0]["title"] == "Flat 1A"
    assert "lock.flat_1b_door" in entities(theirs["result"])
    assert not any("flat_1a" in entity_id for entity_id in entities(theirs["result"]))


async def test_a_user_with_nothing_linked_gets_a_page_saying_so(
    hass: HomeAssistant, residents: tuple[MockUser, MockUser], hass_ws_client: WebSocketGenerator
) -> None:
    stranger = await make_resident(hass, "Stranger")

    answer = await page(hass, hass_ws_client, HOME_URL, stranger)

    assert answer["success"], answer
    assert entities(answer["result"]) == set()
    assert "Nothing here is yours yet" in answer["result"]["views"][0]["cards"][0]["content"]


async def test_the_building_page_is_the_managers_by_floor_with_derived_states_only(
    hass: HomeAssistant,
    residents: tuple[MockUser, MockUser],
    hass_ws_client: WebSocketGenerator,
) -> None:
    tess, _ = residents

    managers = await page(hass, hass_ws_client, MANAGER_URL)
    refused = await page(hass, hass_ws_client, MANAGER_URL, tess)

    assert managers["success"], managers
    views = {view["title"]: view for view in managers["result"]["views"]}
    assert set(views) == {"Floor 1", "Repairs"}
    shown = entities(managers["result"])
    assert {"lock.flat_1a_door", "lock.flat_1b_door"} <= shown
    assert {entity_id.split(".")[0] for entity_id in shown} <= {"lock", "binary_sensor"}
    assert not refused["success"]
    assert refused["error"]["code"] == "error"


async def test_a_release_without_the_lovelace_internals_gets_a_repair_not_a_failure(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> None:
    assert await async_setup_component(hass, "lovelace", {})
    # What a Home Assistant release that moved lovelace's dashboards table looks like to us.
    hass.data.pop(LOVELACE_DATA)
    config_entry.add_to_hass(hass)

    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()

    assert config_entry.state is ConfigEntryState.LOADED
    assert ir.async_get(hass).async_get_issue(DOMAIN, "dashboards_unavailable") is not None
