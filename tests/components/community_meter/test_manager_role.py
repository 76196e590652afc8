"""SPEC M5, H8: the property manager is an ordinary login that sees every dwelling's derived
states and no raw reading, runs the manager's actions, and opens the "Building" page.

An administrator sees every entity by Home Assistant's design, so the installer (the
administrator) names the manager with ``set_managers``; everything else is asked as the
manager's app asks: through the websocket with the manager's own token.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from homeassistant.components.recorder.models import StatisticMeanType
from homeassistant.components.recorder.statistics import async_import_statistics
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from buildinghub_ha.dashboards import HOME_URL, LANDLORD_URL, MANAGER_URL
from buildinghub_ha.manager_role import MANAGER_GROUP_ID, async_manager_role
from custom_components.community_meter.const import DOMAIN
from tests.components.rental_lock.test_dashboards import entities
from tests.components.rental_lock.test_residents_scope import App, open_app
from tests.components.users import ordinary_user

from .conftest import Cloud, Site, settle, start_with_low_balance


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    recorder_mock: object, enable_custom_integrations: None
) -> None:
    """The recorder (history, logbook, statistics) must start before hass."""


def raw_readings(hass: HomeAssistant, entry: MockConfigEntry) -> set[str]:
    """Every meter's total, every balance and the low-balance event (which carries it)."""
    raw = {"energy", "water", "gas", "monetary"}
    return {
        e.entity_id
        for e in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
        if e.original_device_class in raw or e.unique_id == f"{entry.entry_id}_low_balance"
    }


@pytest.fixture
async def pam(
    hass: HomeAssistant, cloud: Cloud, site: Site, config_entry: MockConfigEntry
) -> MockUser:
    """Dwelling 1A's balance is low; the installer made Pam (an ordinary user) the manager."""
    assert await async_setup_component(hass, "frontend", {})  # the sidebar's panels
    assert await async_setup_component(hass, "lovelace", {})
    await start_with_low_balance(hass, cloud, site, config_entry)
    pam = await ordinary_user(hass, "Pam")
    answer = await hass.services.async_call(
        DOMAIN, "set_managers", {"users": [pam.id]}, blocking=True, return_response=True
    )
    assert answer == {"managers": [pam.id]}
    await settle(hass)
    return pam


async def test_the_manager_reads_every_dwellings_flags_and_no_raw_reading(
    hass: HomeAssistant,
    pam: MockUser,
    config_entry: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    raw = raw_readings(hass, config_entry)
    app = await open_app(hass, hass_ws_client, pam)

    states = await app.ask(type="get_states")
    subscribed = await app.ask(type="subscribe_entities")
    first = await app.socket.receive_json()

    seen = {state["entity_id"]: state for state in states["result"]}
    assert len(raw) >= 4  # three meters' totals, the balance, the low-balance event
    assert not raw & set(seen)
    assert seen["binary_sensor.elm_court_meter_hub_low_balance_1a"]["state"] == "on"
    assert "binary_sensor.flat_1a_electricity_meter_household" in seen
    assert "button.flat_1a_electricity_meter_back_home" in seen
    assert subscribed["success"]
    assert not raw & set(first["event"]["a"])
    assert "binary_sensor.elm_court_meter_hub_low_balance_1a" in first["event"]["a"]
    assert {g.id for g in pam.groups} == {MANAGER_GROUP_ID}


async def test_history_statistics_and_logbook_tell_the_manager_no_raw_reading(
    hass: HomeAssistant,
    pam: MockUser,
    config_entry: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    hass.config.components.add("frontend")  # the logbook's panel; the tests serve no frontend
    assert await async_setup_component(hass, "history", {})
    assert await async_setup_component(hass, "logbook", {})
    raw = sorted(raw_readings(hass, config_entry))
    energy = next(e for e in raw if e.endswith("_energy"))
    hour = dt_util.utcnow().replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)
    async_import_statistics(
        hass,
        {
            "source": "recorder",
            "statistic_id": energy,
            "name": None,
            "unit_of_measurement": "kWh",
            "has_sum": True,
            "mean_type": StatisticMeanType.NONE,
            "unit_class": "energy",
        },
        [{"start": hour, "state": 1.0, "sum": 1.0}],
    )
    await async_wait_recording_done(hass)
    start = (dt_util.utcnow() - timedelta(hours=3)).isoformat()
    admin = App(await hass_ws_client(hass))
    manager = await open_app(hass, hass_ws_client, pam)
    asks: list[dict[str, Any]] = [
        {"type": "history/history_during_period", "start_time": start, "entity_ids": raw},
        {
            "type": "recorder/statistics_during_period",
            "start_time": start,
            "statistic_ids": [energy],
            "period": "hour",
        },
        {"type": "recorder/get_statistics_metadata", "statistic_ids": [energy]},
        {"type": "recorder/list_statistic_ids"},
        {"type": "logbook/get_events", "start_time": start, "entity_ids": raw},
        {"type": "logbook/get_events", "start_time": start},
    ]

    for ask in asks:
        shown = await admin.ask(**ask)
        hidden = await manager.ask(**ask)
        assert shown["success"], (ask, shown)
        assert raw_in(shown["result"], raw), ask  # there is something to hide
        assert not raw_in(hidden.get("result") or [], raw), (ask, hidden)


def raw_in(result: Any, raw: list[str]) -> set[str]:
    """The raw readings' ids an answer mentions."""
    text = repr(result)
    return {entity_id for entity_id in raw if entity_id in text}


async def test_the_manager_runs_manager_actions_and_a_resident_is_refused(
    hass: HomeAssistant, pam: MockUser, hass_ws_client: WebSocketGenerator
) -> None:
    tess = await ordinary_user(hass, "Tess")
    manager = await open_app(hass, hass_ws_client, pam)
    resident = await open_app(hass, hass_ws_client, tess)
    link = {
        "type": "call_service",
        "domain": DOMAIN,
        "service": "set_residents",
        "service_data": {"dwelling": "1A", "residents": [tess.id]},
    }

    by_manager = await manager.ask(**link)
    by_resident = await resident.ask(
        **{**link, "service_data": {"dwelling": "2B", "residents": [tess.id]}}
    )
    more_managers = await manager.ask(
        type="call_service",
        domain=DOMAIN,
        service="set_managers",
        service_data={"users": [pam.id, tess.id]},
    )

    assert by_manager["success"], by_manager
    assert config_residents(hass) == {"1A": frozenset({tess.id})}
    # As Home Assistant refuses an admin action to a non-admin over the websocket.
    assert by_resident["error"]["message"] == "Unauthorized"
    assert more_managers["error"]["message"] == "Unauthorized"
    assert (await async_manager_role(hass)).managers == {pam.id}


def config_residents(hass: HomeAssistant) -> dict[str, frozenset[str]]:
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    return dict(entry.runtime_data.hub.residents.dwellings)


async def test_the_building_page_is_the_managers_with_flags_and_repair_titles(
    hass: HomeAssistant,
    pam: MockUser,
    config_entry: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    ir.async_create_issue(
        hass,
        DOMAIN,
        "dashboards_unavailable",
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key="dashboards_unavailable",
    )
    tess = await ordinary_user(hass, "Tess")
    manager = await open_app(hass, hass_ws_client, pam)
    resident = await open_app(hass, hass_ws_client, tess)

    page = await manager.ask(type="lovelace/config", url_path=MANAGER_URL)
    refused = await resident.ask(type="lovelace/config", url_path=MANAGER_URL)
    managers_sidebar = await manager.ask(type="get_panels")
    residents_sidebar = await resident.ask(type="get_panels")

    assert page["success"], page
    shown = entities(page["result"])
    assert "binary_sensor.elm_court_meter_hub_low_balance_1a" in shown
    assert not [e for e in shown if e.startswith("sensor.")]
    repairs = next(v for v in page["result"]["views"] if v["path"] == "repairs")
    content = repairs["cards"][0]["content"]
    assert "The Building Hub dashboards could not be added" in content  # as Repairs words it
    assert repairs["cards"][0]["title"] == "Repairs (1)"
    assert "/config/repairs" not in content  # administrators' only
    assert not refused["success"]
    assert MANAGER_URL in managers_sidebar["result"]
    assert MANAGER_URL not in residents_sidebar["result"]
    assert HOME_URL in residents_sidebar["result"]
    assert LANDLORD_URL not in residents_sidebar["result"]
