"""SPEC H7: a resident sees and operates only their own flat, as the app asks the websocket.

Two tenants, each with a lease of their own flat installed for their Home Assistant user
(both ordinary users, not administrators). Everything is asked as their apps ask: through
the websocket with their own tokens.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.auth.const import GROUP_ID_USER
from homeassistant.auth.models import User
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator, WebSocketGenerator

from buildinghub.credentials import GrantKind
from buildinghub_ha import access_groups
from buildinghub_sim.building import SimulatedBuilding
from custom_components.rental_lock.const import DOMAIN
from tests.components.settling import settle
from tests.components.users import ordinary_user

from .conftest import DAY, HOUR, START, IssueGrant
from .tenancy_parties import b64

CLIENT_ID = "https://example.com/app"
LEASE_DAYS = 30
OWN = ("lock.flat_1a_door", "event.flat_1a_door_access", "calendar.flat_1a_door_grants")
OTHER = ("lock.flat_1b_door", "event.flat_1b_door_access", "calendar.flat_1b_door_grants")


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    recorder_mock: object, enable_custom_integrations: None
) -> None:
    """The recorder (history, logbook) must start before hass."""


class App:
    """A person's Home Assistant app: a websocket with their own token."""

    def __init__(self, socket: Any) -> None:
        self.socket = socket

    async def ask(self, **message: Any) -> dict[str, Any]:
        await self.socket.send_json_auto_id(message)
        answer: dict[str, Any] = await self.socket.receive_json()
        return answer

    async def states(self) -> set[str]:
        answer = await self.ask(type="get_states")
        return {state["entity_id"] for state in answer["result"]}


async def open_app(hass: HomeAssistant, ws: WebSocketGenerator, user: User) -> App:
    refresh = await hass.auth.async_create_refresh_token(user, CLIENT_ID)
    return App(await ws(hass, hass.auth.async_create_access_token(refresh)))


async def lease_for(
    hass: HomeAssistant,
    issue: IssueGrant,
    building: SimulatedBuilding,
    index: int,
    user: User,
    *,
    end: int = LEASE_DAYS * DAY,
) -> None:
    flat = building.flats[index]
    grant = issue(flat, kind=GrantKind.LEASE, end=end, subject=flat.tenant)
    await hass.services.async_call(
        DOMAIN, "install_grant", {"grant": b64(grant), "user_id": user.id}, blocking=True
    )
    await settle(hass)


@pytest.fixture
async def tess(hass: HomeAssistant) -> User:
    return await ordinary_user(hass, "Tess")


@pytest.fixture
async def bob(hass: HomeAssistant) -> User:
    return await ordinary_user(hass, "Bob")


@pytest.fixture
async def leases(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    building: SimulatedBuilding,
    issue: IssueGrant,
    tess: User,
    bob: User,
) -> None:
    """Tess rents flat 1A, Bob flat 1B."""
    await lease_for(hass, issue, building, 0, tess)
    await lease_for(hass, issue, building, 1, bob)


def of_flat(entity_ids: set[str], flat: str) -> set[str]:
    return {e for e in entity_ids if f"flat_{flat}_" in e}


async def test_each_resident_reads_only_their_own_flat(
    hass: HomeAssistant, leases: None, tess: User, bob: User, hass_ws_client: WebSocketGenerator
) -> None:
    tess_app = await open_app(hass, hass_ws_client, tess)
    bob_app = await open_app(hass, hass_ws_client, bob)

    tess_sees, bob_sees = await tess_app.states(), await bob_app.states()
    subscribed = await tess_app.ask(type="subscribe_entities")
    first = await tess_app.socket.receive_json()

    assert set(OWN) <= tess_sees
    assert "sensor.flat_1a_door_next_rent_due" in tess_sees
    assert not of_flat(tess_sees, "1b")
    assert set(OTHER) <= bob_sees
    assert not of_flat(bob_sees, "1a")
    assert subscribed["success"]
    assert set(first["event"]["a"]) == tess_sees


async def test_a_resident_cannot_operate_or_book_another_flat(
    hass: HomeAssistant, leases: None, tess: User, hass_ws_client: WebSocketGenerator
) -> None:
    app = await open_app(hass, hass_ws_client, tess)

    unlock = await app.ask(
        type="call_service",
        domain="lock",
        service="unlock",
        target={"entity_id": "lock.flat_1b_door"},
    )
    create = await app.ask(
        type="calendar/event/create",
        entity_id="calendar.flat_1b_door_grants",
        event={
            "summary": "Viewing",
            "dtstart": (START + timedelta(days=1)).isoformat(),
            "dtend": (START + timedelta(days=1, hours=1)).isoformat(),
        },
    )
    listen = await app.ask(
        type="calendar/event/subscribe",
        entity_id="calendar.flat_1b_door_grants",
        start=START.isoformat(),
        end=(START + timedelta(days=7)).isoformat(),
    )

    # call_service tells an Unauthorized as a Home Assistant error named so.
    assert unlock["error"] == {"code": "home_assistant_error", "message": "Unauthorized"}
    for refused in (create, listen):
        assert not refused["success"]
        assert refused["error"]["code"] == "unauthorized"
    assert hass.states.get("lock.flat_1b_door").state == "locked"


async def test_a_resident_gets_only_their_own_calendar_over_http(
    hass: HomeAssistant,
    leases: None,
    tess: User,
    hass_client: ClientSessionGenerator,
) -> None:
    refresh = await hass.auth.async_create_refresh_token(tess, CLIENT_ID)
    client = await hass_client(hass.auth.async_create_access_token(refresh))
    window = {"start": START.isoformat(), "end": (START + timedelta(days=7)).isoformat()}

    listed = await (await client.get("/api/calendars")).json()
    other = await client.get("/api/calendars/calendar.flat_1b_door_grants", params=window)
    own = await client.get("/api/calendars/calendar.flat_1a_door_grants", params=window)

    assert [c["entity_id"] for c in listed] == ["calendar.flat_1a_door_grants"]
    assert other.status == 401
    assert own.status == 200
    assert len(await own.json()) == 1


async def test_history_answers_a_resident_only_for_their_own_flat(
    hass: HomeAssistant, leases: None, tess: User, hass_ws_client: WebSocketGenerator
) -> None:
    """Home Assistant's history filters by the user's entity permissions itself."""
    assert await async_setup_component(hass, "history", {})
    await async_wait_recording_done(hass)
    app = await open_app(hass, hass_ws_client, tess)
    start = (START - timedelta(hours=1)).isoformat()

    answer = await app.ask(
        type="history/history_during_period",
        start_time=start,
        entity_ids=[*OWN, *OTHER],
        minimal_response=True,
    )

    assert answer["success"]
    assert set(answer["result"]) == set(OWN)


async def test_the_logbook_tells_a_resident_only_of_their_own_flat(
    hass: HomeAssistant,
    leases: None,
    building: SimulatedBuilding,
    tess: User,
    freezer: FrozenDateTimeFactory,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """Home Assistant's logbook checks no permission itself: the integrations scope it."""
    hass.config.components.add("frontend")  # the logbook's panel; the tests serve no frontend
    assert await async_setup_component(hass, "logbook", {})
    freezer.tick(60)
    for flat in building.flats:
        flat.lock.keypad("0000")  # a stranger tries both doors
    await settle(hass)
    await async_wait_recording_done(hass)
    freezer.tick(60)
    app = await open_app(hass, hass_ws_client, tess)
    start = (START - timedelta(hours=1)).isoformat()

    everything = await app.ask(type="logbook/get_events", start_time=start)
    asked_1b = await app.ask(type="logbook/get_events", start_time=start, entity_ids=list(OTHER))
    streamed = await app.ask(type="logbook/event_stream", start_time=start)
    history = await app.socket.receive_json()

    seen = {row["entity_id"] for row in everything["result"]}
    assert "event.flat_1a_door_access" in seen
    assert not of_flat(seen, "1b")
    assert asked_1b["result"] == []
    assert streamed["success"]
    streamed_ids = {row.get("entity_id") for row in history["event"]["events"]}
    assert "event.flat_1a_door_access" in streamed_ids
    assert not of_flat({e for e in streamed_ids if e}, "1b")


async def test_when_the_lease_ends_the_resident_sees_nothing_of_the_flat(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    building: SimulatedBuilding,
    issue: IssueGrant,
    tess: User,
    freezer: FrozenDateTimeFactory,
    hass_ws_client: WebSocketGenerator,
) -> None:
    await lease_for(hass, issue, building, 0, tess, end=2 * HOUR)
    app = await open_app(hass, hass_ws_client, tess)
    before = await app.states()
    for step in (HOUR, 2 * HOUR + 1):
        freezer.move_to(START + timedelta(seconds=step))
        async_fire_time_changed(hass)
        await settle(hass)
    app = await open_app(hass, hass_ws_client, tess)  # an access token lasts 30 minutes

    assert set(OWN) <= before

    assert not of_flat(await app.states(), "1a")
    assert not of_flat(await app.states(), "1b")
    assert GROUP_ID_USER not in {g.id for g in tess.groups}
    assert not (
        await app.ask(
            type="call_service",
            domain="lock",
            service="unlock",
            target={"entity_id": "lock.flat_1a_door"},
        )
    )["success"]


async def test_groups_are_kept_across_a_restart_and_restored_after_a_user_edit(
    hass: HomeAssistant,
    leases: None,
    init_integration: MockConfigEntry,
    tess: User,
    hass_ws_client: WebSocketGenerator,
) -> None:
    saved = hass.auth._store._data_to_save()
    [group] = [g for g in saved["groups"] if g["id"].endswith(tess.id)]
    await hass.config_entries.async_reload(init_integration.entry_id)
    await settle(hass)
    # The manager saves Tess on the user page, which puts her back in system-users.
    await hass.auth.async_update_user(tess, group_ids=[GROUP_ID_USER])
    await settle(hass)
    app = await open_app(hass, hass_ws_client, tess)

    assert group["policy"]["entities"]["device_ids"]  # persisted with its policy
    assert [g.id for g in tess.groups] == [group["id"]]
    sees = await app.states()
    assert of_flat(sees, "1a")
    assert not of_flat(sees, "1b")


async def test_an_unexpected_auth_store_raises_a_repair_and_changes_no_user(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    building: SimulatedBuilding,
    issue: IssueGrant,
    tess: User,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # As if a release merged policies by the least permissive: scoping would not mean the same.
    monkeypatch.setattr(access_groups, "merge_policies", lambda policies: policies[-1])

    await lease_for(hass, issue, building, 0, tess)

    repair = ir.async_get(hass).async_get_issue(DOMAIN, "access_groups_unsupported")
    assert repair is not None
    assert [g.id for g in tess.groups] == [GROUP_ID_USER]
    assert not [g for g in hass.auth._store._groups if g.startswith("buildinghub.")]


async def test_removing_the_integration_takes_its_residents_groups_with_it(
    hass: HomeAssistant, leases: None, init_integration: MockConfigEntry, tess: User
) -> None:
    prefix = f"buildinghub.{init_integration.entry_id}."
    assert [g.id for g in tess.groups] == [prefix + tess.id]

    assert await hass.config_entries.async_remove(init_integration.entry_id)
    await hass.async_block_till_done()

    assert not [g for g in hass.auth._store._groups if g.startswith(prefix)]
    assert tess.groups == []  # never back in system-users: she sees nothing of the building
