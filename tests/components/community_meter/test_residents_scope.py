"""SPEC H7, M5 in Community Meter: a resident sees only their own dwelling's meters and balance.

The manager says who lives where (``set_residents``); each resident asks through the
websocket with their own token, as the app does.
"""

from __future__ import annotations

from typing import Any

import pytest
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from cloud_connector import accounts
from custom_components.community_meter.const import DOMAIN
from tests.components.users import ordinary_user

from .conftest import BUILDING, Cloud, Site, settle, start_hub

CLIENT_ID = "https://example.com/app"


async def states_of(hass: HomeAssistant, ws: WebSocketGenerator, user: MockUser) -> set[str]:
    refresh = await hass.auth.async_create_refresh_token(user, CLIENT_ID)
    socket = await ws(hass, hass.auth.async_create_access_token(refresh))
    await socket.send_json_auto_id({"type": "get_states"})
    answer: dict[str, Any] = await socket.receive_json()
    return {state["entity_id"] for state in answer["result"]}


def entities_of(hass: HomeAssistant, entry: MockConfigEntry, *unique_prefixes: str) -> set[str]:
    return {
        e.entity_id
        for e in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
        if e.unique_id.startswith(unique_prefixes)
    }


async def test_each_resident_sees_only_their_dwellings_meters_and_balance(
    hass: HomeAssistant,
    cloud: Cloud,
    site: Site,
    config_entry: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    assert cloud.running is not None
    for dwelling in ("1A", "2B"):
        await accounts.open_account(
            cloud.running.engine, BUILDING, dwelling, threshold_cents=1000, balance_cents=4500
        )
    await start_hub(hass, config_entry, site)
    await config_entry.runtime_data.hub.async_relay()
    alice = await ordinary_user(hass, "Alice")
    gus = await ordinary_user(hass, "Gus")
    for dwelling, user in (("1A", alice), ("2B", gus)):
        await hass.services.async_call(
            DOMAIN, "set_residents", {"dwelling": dwelling, "residents": [user.id]}, blocking=True
        )
    await settle(hass)
    entry_id = config_entry.entry_id
    own_1a = entities_of(
        hass, config_entry, "meter-1a-", f"{entry_id}_balance_1A", f"{entry_id}_low_balance_1A"
    )
    own_2b = entities_of(
        hass, config_entry, "meter-2b-", f"{entry_id}_balance_2B", f"{entry_id}_low_balance_2B"
    )

    alice_sees = await states_of(hass, hass_ws_client, alice)
    gus_sees = await states_of(hass, hass_ws_client, gus)

    assert len(own_1a) > 2
    assert own_1a <= alice_sees
    assert not alice_sees & own_2b
    assert own_2b <= gus_sees
    assert not gus_sees & own_1a
    # Nothing of the hub itself: not the outbox, the other balances, the low-balance events.
    everything = entities_of(hass, config_entry, "")
    assert alice_sees & everything == own_1a


async def test_a_user_who_lives_nowhere_is_refused_by_the_dwelling_itself(
    hass: HomeAssistant, site: Site, config_entry: MockConfigEntry
) -> None:
    """A user the manager linked to no dwelling keeps Home Assistant's own permissions (the
    integrations scope only residents); the dwelling's Back home still refuses them."""
    await start_hub(hass, config_entry, site)
    visitor = await ordinary_user(hass, "Visitor")
    back_home = er.async_get(hass).async_get_entity_id("button", DOMAIN, "meter-1a-e_back_home")
    assert back_home is not None

    with pytest.raises(ServiceValidationError) as refused:
        await hass.services.async_call(
            "button",
            "press",
            {"entity_id": back_home},
            blocking=True,
            context=Context(user_id=visitor.id),
        )

    assert refused.value.translation_key == "not_a_resident"
