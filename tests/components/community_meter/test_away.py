"""Away detection in Home Assistant: the household sensor and the resident's "back home"."""

from __future__ import annotations

import base64
import csv
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from unittest.mock import patch

import probatio as vol
import pytest
from homeassistant.components.lock import LockState
from homeassistant.const import (
    ATTR_ENTITY_ID,
    EVENT_CALL_SERVICE,
    STATE_OFF,
    STATE_ON,
    STATE_UNKNOWN,
)
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import area_registry as ar
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from buildinghub.credentials import GrantKind, MonotonicClock, SigningKey
from buildinghub.occupancy.tracker import AwayTracker
from buildinghub.telemetry.reading import Quantity
from buildinghub_ha.const import CONF_RADIO_PATH
from buildinghub_sim.door_lock import SimulatedDoorLock
from custom_components.community_meter.const import DOMAIN
from custom_components.rental_lock.const import DOMAIN as RENTAL_DOMAIN
from tests.blueprints.helpers import async_notifications, async_use_blueprint
from tests.buildinghub.occupancy.test_detector import AMHERST, WEEK
from tests.components.rental_lock.conftest import make_resident

from .conftest import Site, settle, start_hub

SUPPLY = "switch.flat_1a_supply"
HOUSEHOLD = "binary_sensor.flat_1a_electricity_meter_household"
PRESENCE = "sensor.flat_1a_electricity_meter_presence"
BACK_HOME = "button.flat_1a_electricity_meter_back_home"
TENANT_PIN = "482913"
# The shared NIOM week: on its third day the household leaves at window 227 (13:00 local).
LEAVES = 227


def _week() -> list[tuple[datetime, float | None]]:
    with WEEK.open(newline="") as handle:
        return [
            (
                datetime.fromisoformat(row["time_utc"]),
                float(row["load_kw"]) if row["load_kw"] else None,
            )
            for row in csv.DictReader(handle)
        ]


MINUTES = _week()


def _learned_until(window: int, since: int = 0) -> dict[str, Any]:
    """What a hub that has watched Flat 1A from ``since`` until ``window`` has stored."""
    tracker = AwayTracker()
    for moment, load in MINUTES[since * 15 : window * 15]:
        if load is not None:
            tracker.add_power(moment, load)
    return tracker.to_json()


class MeterTime:
    """The time in the NIOM week, moved by the test: the meters' and the hub's wall clock.

    Readings cross a real radio stack to a real cloud on loopback, which needs
    the event loop's own clock to run; only the wall clocks are set: the one the
    electricity meter signs into each reading, and the hub's, which tells a
    resident's "back home" and a meter whose clock runs ahead.
    """

    def __init__(self) -> None:
        self.now = MINUTES[LEAVES * 15][0]

    def __call__(self) -> datetime:
        return self.now

    def timestamp(self) -> float:
        return self.now.timestamp()


@pytest.fixture
def meter_time(site: Site) -> Iterator[MeterTime]:
    clock = MeterTime()
    for quantity in (Quantity.ELECTRICITY, Quantity.WATER):
        site.meter(quantity).firmware.clock = MonotonicClock(clock.timestamp)
    with patch("custom_components.community_meter.away.utcnow", clock):
        yield clock


def _store_learned(
    hass_storage: dict[str, Any], entry: MockConfigEntry, learned: dict[str, Any]
) -> None:
    hass_storage[f"{DOMAIN}.{entry.entry_id}.presence"] = {
        "version": 1,
        "minor_version": 1,
        "key": f"{DOMAIN}.{entry.entry_id}.presence",
        "data": {"dwellings": {"1A": learned}},
    }


@pytest.fixture
async def learned_hub(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    meter_time: MeterTime,
    site: Site,
    config_entry: MockConfigEntry,
) -> MockConfigEntry:
    """The hub restarts in Amherst at 13:00 on the third day, with what it learned stored."""
    await hass.config.async_update(time_zone=str(AMHERST))
    _store_learned(hass_storage, config_entry, _learned_until(LEAVES))
    await start_hub(hass, config_entry, site)
    return config_entry


def _measure(meter_time: MeterTime, site: Site, minute: int) -> None:
    """The electricity meter takes its reading of the five minutes from ``minute``."""
    used_kwh = sum(load or 0.0 for _, load in MINUTES[minute : minute + 5]) / 60
    meter_time.now = MINUTES[minute + 5][0]
    site.meter(Quantity.ELECTRICITY).measure(round(used_kwh * 1000))


async def _live(hass: HomeAssistant, meter_time: MeterTime, site: Site, windows: int) -> None:
    """The electricity meter reports every five minutes what the household used."""
    first = LEAVES * 15
    for minute in range(first, first + windows * 15, 5):
        _measure(meter_time, site, minute)
        await settle(hass)


async def test_the_household_is_home_then_seen_away(
    hass: HomeAssistant, learned_hub: MockConfigEntry, meter_time: MeterTime, site: Site
) -> None:
    assert hass.states.get(HOUSEHOLD).state == STATE_ON  # type: ignore[union-attr]

    await _live(hass, meter_time, site, windows=12)

    assert hass.states.get(HOUSEHOLD).state == STATE_OFF  # type: ignore[union-attr]


async def test_readings_held_through_a_radio_outage_count_when_they_were_taken(
    hass: HomeAssistant, learned_hub: MockConfigEntry, meter_time: MeterTime, site: Site
) -> None:
    """The meter is out of range from the moment the household leaves until three hours later.

    It keeps taking and signing readings; the hub collects them all at once when the
    meter is back. Stamped with their arrival, they would say nothing about those three
    hours (the household would still look home); stamped as signed, they show the absence.
    """
    meter = site.meter(Quantity.ELECTRICITY)
    medium = site.building.medium
    medium.set_online(meter.ieee, False)
    first = LEAVES * 15
    for minute in range(first, first + 12 * 15, 5):
        _measure(meter_time, site, minute)
        await settle(hass)
    assert hass.states.get(HOUSEHOLD).state == STATE_ON  # type: ignore[union-attr]

    medium.set_online(meter.ieee, True)
    _measure(meter_time, site, first + 12 * 15)
    await settle(hass)

    assert hass.states.get(HOUSEHOLD).state == STATE_OFF  # type: ignore[union-attr]
    assert hass.states.get(PRESENCE).state == "away"  # type: ignore[union-attr]


async def test_water_drawn_while_the_electricity_is_quiet_keeps_the_household_home(
    hass: HomeAssistant, learned_hub: MockConfigEntry, meter_time: MeterTime, site: Site
) -> None:
    """The same quiet afternoon that reads as away, but somebody flushes every half hour."""
    water = site.meter(Quantity.WATER)
    first = LEAVES * 15
    for minute in range(first, first + 12 * 15, 5):
        _measure(meter_time, site, minute)
        if minute % 30 == 0:
            water.measure(6)
        await settle(hass)

    assert hass.states.get(HOUSEHOLD).state == STATE_ON  # type: ignore[union-attr]
    assert hass.states.get(PRESENCE).state == "home"  # type: ignore[union-attr]


async def test_a_new_dwelling_is_learning_and_says_for_how_long(
    hass: HomeAssistant, site: Site, config_entry: MockConfigEntry
) -> None:
    await start_hub(hass, config_entry, site)

    presence = hass.states.get(PRESENCE)
    assert presence is not None
    assert presence.state == "learning"
    assert presence.attributes["learning_hours_left"] == 48
    assert hass.states.get(HOUSEHOLD).state == STATE_UNKNOWN  # type: ignore[union-attr]
    assert hass.states.get(BACK_HOME) is not None


async def test_a_dwelling_seen_for_a_day_needs_one_more(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    meter_time: MeterTime,
    site: Site,
    config_entry: MockConfigEntry,
) -> None:
    _store_learned(hass_storage, config_entry, _learned_until(LEAVES, since=LEAVES - 96))
    await start_hub(hass, config_entry, site)
    before = hass.states.get(PRESENCE)
    assert before is not None
    assert before.state == "learning"
    assert before.attributes["learning_hours_left"] == 24

    await _live(hass, meter_time, site, windows=4)

    after = hass.states.get(PRESENCE)
    assert after is not None
    assert after.state == "learning"
    # Readings taken from 11:50 to 12:45 fall in five more quarter-hours.
    assert after.attributes["learning_hours_left"] == 24 - 5 / 4


@pytest.fixture
async def flat_1a(hass: HomeAssistant, site: Site, learned_hub: MockConfigEntry) -> str:
    """Flat 1A's door (Rental Lock on the same radio), meter and supply switch in one area."""
    door = MockConfigEntry(domain=RENTAL_DOMAIN, data={CONF_RADIO_PATH: site.path})
    door.add_to_hass(hass)
    assert await hass.config_entries.async_setup(door.entry_id)
    await settle(hass)
    # Home Assistant 2026.10 takes template entities only under the template key.
    assert await async_setup_component(
        hass,
        "template",
        {
            "template": [
                {
                    "switch": [
                        {
                            "name": "Flat 1A supply",
                            "unique_id": "flat-1a-supply",
                            "turn_on": [],
                            "turn_off": [],
                        }
                    ]
                }
            ]
        },
    )
    await hass.async_block_till_done()
    await hass.services.async_call("switch", "turn_on", {ATTR_ENTITY_ID: SUPPLY}, blocking=True)
    area = ar.async_get(hass).async_get_area_by_name("Flat 1A")
    assert area is not None, "the door suggests its flat as its area"
    devices = dr.async_get(hass)
    # Identifiers are unique within a config entry only (Home Assistant 2026.8).
    meter = devices.async_get_device_by_identifier((DOMAIN, "meter-1a-e"), learned_hub.entry_id)
    assert meter is not None
    assert meter.area_id == area.id, "the meter of dwelling 1A is in its door's area, Flat 1A"
    er.async_get(hass).async_update_entity(SUPPLY, area_id=area.id)
    assert await async_setup_component(hass, "persistent_notification", {})
    return area.id


async def set_residents(hass: HomeAssistant, dwelling: str, users: list[MockUser]) -> None:
    """The property manager says who lives in the dwelling."""
    await hass.services.async_call(
        DOMAIN,
        "set_residents",
        {"dwelling": dwelling, "residents": [user.id for user in users]},
        blocking=True,
    )


async def press_back_home(hass: HomeAssistant, user: MockUser) -> None:
    """``user`` presses Flat 1A's Back home in the app."""
    await hass.services.async_call(
        "button",
        "press",
        {ATTR_ENTITY_ID: BACK_HOME},
        blocking=True,
        context=Context(user_id=user.id),
    )
    await hass.async_block_till_done()


async def leave_the_door_unlocked(hass: HomeAssistant, site: Site) -> SimulatedDoorLock:
    """The tenant opens Flat 1A's door with their PIN and leaves it unlocked.

    The lock's own timers are stopped (its auto-relock is off), so only a lock command over
    the radio can bolt it again.
    """
    flat = site.building.flats[0]
    now = flat.lock.firmware.clock.now()
    grant = site.building.issue_grant(
        flat,
        kind=GrantKind.LEASE,
        subject="tenant-1a",
        not_before=now - 60,
        expires=now + 86_400,
        holder_key=SigningKey.generate().public_key,
        pin=TENANT_PIN,
    )
    await hass.services.async_call(
        RENTAL_DOMAIN,
        "install_grant",
        {"grant": base64.urlsafe_b64encode(grant).decode().rstrip("=")},
        blocking=True,
        return_response=True,
    )
    assert flat.lock.keypad(TENANT_PIN).granted
    flat.lock.power_off()
    await settle(hass)
    assert not flat.lock.firmware.locked
    assert hass.states.get("lock.flat_1a_door").state == LockState.UNLOCKED  # type: ignore[union-attr]
    return flat.lock


async def test_an_empty_dwelling_is_secured_until_the_resident_is_back(
    hass: HomeAssistant,
    flat_1a: str,
    meter_time: MeterTime,
    site: Site,
    hass_ws_client: WebSocketGenerator,
    hass_admin_user: MockUser,
) -> None:
    await async_use_blueprint(
        hass,
        "away_lockdown",
        {
            "households": [HOUSEHOLD],
            "away_for": {"minutes": 0},
            "supply_switches": [SUPPLY, "switch.somebody_elses"],
            "notify_action": "persistent_notification.create",
        },
    )
    locked: list[list[str]] = []
    hass.bus.async_listen(
        EVENT_CALL_SERVICE,
        lambda event: (
            locked.append(list(event.data["service_data"][ATTR_ENTITY_ID]))
            if (event.data["domain"], event.data["service"]) == ("lock", "lock")
            else None
        ),
    )

    door = await leave_the_door_unlocked(hass, site)

    await _live(hass, meter_time, site, windows=12)
    await hass.async_block_till_done()

    assert hass.states.get(HOUSEHOLD).state == STATE_OFF  # type: ignore[union-attr]
    assert locked == [["lock.flat_1a_door"]]
    # The lock command crossed the radio: the bolt itself moved, and the lock reported it.
    assert door.firmware.locked
    assert hass.states.get("lock.flat_1a_door").state == LockState.LOCKED  # type: ignore[union-attr]
    assert hass.states.get(SUPPLY).state == STATE_OFF  # type: ignore[union-attr]
    manager = await hass_ws_client(hass)
    assert await async_notifications(manager) == [
        ("Flat 1A", "Nobody seems to be home. Locked 1 entry, switched off 1 supply switch.")
    ]

    resident = await make_resident(hass, "Resident of 1A")
    await set_residents(hass, "1A", [resident])
    await press_back_home(hass, resident)

    assert hass.states.get(HOUSEHOLD).state == STATE_ON  # type: ignore[union-attr]
    assert hass.states.get(SUPPLY).state == STATE_ON  # type: ignore[union-attr]
    assert (
        "Flat 1A",
        "The household is back; the supply is on again.",
    ) in await async_notifications(manager)


def hub_presence(hass: HomeAssistant, dwelling: str) -> str:
    hub = hass.config_entries.async_entries(DOMAIN)[0].runtime_data.hub
    return str(hub.presence.presence(dwelling).value)


async def test_another_dwellings_resident_cannot_lift_the_lock_down(
    hass: HomeAssistant,
    flat_1a: str,
    meter_time: MeterTime,
    site: Site,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """The resident of 1B, from their own app, presses 1A's Back home while 1A is locked down."""
    await async_use_blueprint(
        hass,
        "away_lockdown",
        {
            "households": [HOUSEHOLD],
            "away_for": {"minutes": 0},
            "supply_switches": [SUPPLY],
            "notify_action": "persistent_notification.create",
        },
    )
    door = await leave_the_door_unlocked(hass, site)
    await _live(hass, meter_time, site, windows=12)
    await hass.async_block_till_done()
    resident_1a = await make_resident(hass, "Resident of 1A")
    neighbour = await make_resident(hass, "Resident of 1B")
    await set_residents(hass, "1A", [resident_1a])
    await set_residents(hass, "1B", [neighbour])
    assert hass.states.get(HOUSEHOLD).state == STATE_OFF  # type: ignore[union-attr]
    refresh = await hass.auth.async_create_refresh_token(neighbour, "https://example.com/app")
    app = await hass_ws_client(hass, hass.auth.async_create_access_token(refresh))

    await app.send_json_auto_id(
        {
            "type": "call_service",
            "domain": "button",
            "service": "press",
            "target": {"entity_id": BACK_HOME},
        }
    )
    answer = await app.receive_json()
    await hass.async_block_till_done()

    # The neighbour's group does not allow 1A's button: Home Assistant refuses the call before
    # it reaches the button (the hub's own not_a_resident check stays behind it).
    assert answer["error"] == {"code": "home_assistant_error", "message": "Unauthorized"}
    assert hass.states.get(HOUSEHOLD).state == STATE_OFF  # type: ignore[union-attr]
    assert hass.states.get(SUPPLY).state == STATE_OFF  # type: ignore[union-attr]
    assert door.firmware.locked
    assert hass.states.get("lock.flat_1a_door").state == LockState.LOCKED  # type: ignore[union-attr]
    assert hub_presence(hass, "1A") == "away"


async def test_a_dwelling_takes_a_bounded_number_of_known_residents(
    hass: HomeAssistant, flat_1a: str, meter_time: MeterTime, site: Site
) -> None:
    resident = await make_resident(hass, "Resident of 1A")
    await set_residents(hass, "1A", [resident])
    hub = hass.config_entries.async_entries(DOMAIN)[0].runtime_data.hub

    with pytest.raises(ServiceValidationError) as unknown:
        await hass.services.async_call(
            DOMAIN,
            "set_residents",
            {"dwelling": "1A", "residents": [resident.id, "no-such-user"]},
            blocking=True,
        )
    with pytest.raises(vol.Invalid):
        await hass.services.async_call(
            DOMAIN,
            "set_residents",
            {"dwelling": "1A", "residents": [f"user-{n}" for n in range(17)]},
            blocking=True,
        )

    assert unknown.value.translation_key == "unknown_user"
    assert hub.residents.of("1A") == {resident.id}
