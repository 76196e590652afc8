"""SPEC H7, M5: what a resident's app is told of statistics, the Energy dashboard and
notifications concerns their own dwelling only.

Home Assistant answers ``recorder/list_statistic_ids``, ``energy/get_prefs`` and
``energy/fossil_energy_consumption`` to any user; the integrations narrow them for a user who
may not read every entity. Persistent notifications are shown to every user: nothing of the
integrations goes there.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from homeassistant.components.recorder.models import StatisticMeanType
from homeassistant.components.recorder.statistics import async_import_statistics
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.community_meter.const import DOMAIN
from scripts.demo_people import energy_preferences
from tests.components.users import ordinary_user

from .conftest import Cloud, Site, settle, start_with_low_balance
from .test_manager_role import App, open_app


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    recorder_mock: object, enable_custom_integrations: None
) -> None:
    """The recorder (statistics, energy) must start before hass."""


METERS = {"1A": ("meter-1a-e_energy", "kWh", "energy"), "2B": ("meter-2b-g_gas", "m³", "volume")}


def energy_sensor(hass: HomeAssistant, dwelling: str) -> str:
    """1A's electricity total, 2B's gas total."""
    entity_id = er.async_get(hass).async_get_entity_id("sensor", DOMAIN, METERS[dwelling][0])
    assert entity_id is not None
    return entity_id


@pytest.fixture
async def alice(
    hass: HomeAssistant,
    cloud: Cloud,
    site: Site,
    config_entry: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
) -> MockUser:
    """Alice lives in 1A; both flats' electricity has an hour of statistics and is on the
    Energy dashboard, as the installer set it up."""
    assert await async_setup_component(hass, "energy", {})
    await start_with_low_balance(hass, cloud, site, config_entry)
    alice = await ordinary_user(hass, "Alice")
    await hass.services.async_call(
        DOMAIN, "set_residents", {"dwelling": "1A", "residents": [alice.id]}, blocking=True
    )
    await settle(hass)
    hour = dt_util.utcnow().replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)
    for dwelling, (_, unit, unit_class) in METERS.items():
        async_import_statistics(
            hass,
            {
                "source": "recorder",
                "statistic_id": energy_sensor(hass, dwelling),
                "name": None,
                "unit_of_measurement": unit,
                "has_sum": True,
                "mean_type": StatisticMeanType.NONE,
                "unit_class": unit_class,
            },
            [
                {"start": hour, "state": 1.0, "sum": 1.0},
                {"start": hour + timedelta(hours=1), "state": 3.0, "sum": 3.0},
            ],
        )
    await async_wait_recording_done(hass)
    admin = App(await hass_ws_client(hass))
    saved = await admin.ask(
        type="energy/save_prefs",
        **energy_preferences(
            {"energy": [energy_sensor(hass, "1A")], "water": [], "gas": [energy_sensor(hass, "2B")]}
        ),
    )
    assert saved["success"], saved
    return alice


async def test_a_resident_is_told_only_their_own_statistics(
    hass: HomeAssistant, alice: MockUser, hass_ws_client: WebSocketGenerator
) -> None:
    admin = App(await hass_ws_client(hass))
    app = await open_app(hass, hass_ws_client, alice)

    everything = await admin.ask(type="recorder/list_statistic_ids")
    listed = await app.ask(type="recorder/list_statistic_ids", statistic_type="sum")

    own, other = energy_sensor(hass, "1A"), energy_sensor(hass, "2B")
    assert {own, other} <= {row["statistic_id"] for row in everything["result"]}
    assert listed["success"], listed
    ids = {row["statistic_id"] for row in listed["result"]}
    assert own in ids
    assert other not in ids
    assert all("1a" in statistic_id for statistic_id in ids), ids


async def test_a_residents_energy_dashboard_is_their_own_flat(
    hass: HomeAssistant, alice: MockUser, hass_ws_client: WebSocketGenerator
) -> None:
    admin = App(await hass_ws_client(hass))
    app = await open_app(hass, hass_ws_client, alice)
    other = energy_sensor(hass, "2B")
    start = (dt_util.utcnow() - timedelta(hours=3)).isoformat()
    fossil: dict[str, Any] = {
        "type": "energy/fossil_energy_consumption",
        "start_time": start,
        "end_time": dt_util.utcnow().isoformat(),
        "energy_statistic_ids": [other],
        "co2_statistic_id": "sensor.no_co2_signal",
        "period": "hour",
    }

    prefs = await app.ask(type="energy/get_prefs")
    admin_prefs = await admin.ask(type="energy/get_prefs")
    theirs = await app.ask(**fossil)
    theirs_for_admin = await admin.ask(**fossil)

    assert [s["stat_energy_from"] for s in prefs["result"]["energy_sources"]] == [
        energy_sensor(hass, "1A")
    ]
    assert len(admin_prefs["result"]["energy_sources"]) == 2
    assert theirs_for_admin["result"]  # 2B used 2 m³ in that hour: there is something to hide
    assert not theirs["result"]


async def test_a_resident_gets_no_notification_of_another_dwelling(
    hass: HomeAssistant, alice: MockUser, hass_ws_client: WebSocketGenerator
) -> None:
    """Dwelling 1A's balance is low and the hub has run: nothing went to the notifications
    every user sees (the manager's notices go to administrators only)."""
    assert await async_setup_component(hass, "persistent_notification", {})
    app = await open_app(hass, hass_ws_client, alice)

    shown = await app.ask(type="persistent_notification/get")

    assert shown["success"], shown
    text = repr(shown["result"]).lower()
    assert "2b" not in text
    assert "balance" not in text
