"""SPEC H8: a landlord logs in and sees their own flats' access events, grants and rent, on
their page "My flats", and nothing of another landlord's flat; only the property manager (or
the installer) links a landlord's login, and only to a key an installation record names.

Everything is asked as the landlord's and the manager's apps ask: through the websocket with
their own tokens.
"""

from __future__ import annotations

from typing import Any

import pytest
from homeassistant.auth.models import User
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from buildinghub.credentials import GrantKind
from buildinghub_ha.dashboards import LANDLORD_URL, MANAGER_URL
from buildinghub_sim.building import SimulatedBuilding
from custom_components.rental_lock.const import DOMAIN
from tests.components.settling import set_up, settle
from tests.components.users import ordinary_user

from .conftest import DAY, IssueGrant
from .tenancy_parties import b64
from .test_dashboards import entities
from .test_residents_scope import App, open_app

OWN = ("event.flat_1a_door_access", "calendar.flat_1a_door_grants")


def landlord_key(building: SimulatedBuilding, index: int) -> str:
    """The landlord's public key, as their app shows it."""
    return b64(building.landlords[building.flats[index].landlord].public_key.to_bytes())


def link(user: User, key: str | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {"user_id": user.id}
    if key is not None:
        data["landlord_key"] = key
    return {"type": "call_service", "domain": DOMAIN, "service": "link_landlord",
            "service_data": data, "return_response": True}  # fmt: skip


@pytest.fixture
async def ana(hass: HomeAssistant) -> User:
    return await ordinary_user(hass, "Ana")


@pytest.fixture
async def pam(hass: HomeAssistant) -> User:
    """The property manager: an ordinary user (the installer makes them manager)."""
    return await ordinary_user(hass, "Pam")


@pytest.fixture
async def let_flats(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    building: SimulatedBuilding,
    issue: IssueGrant,
    pam: User,
    ana: User,
    hass_ws_client: WebSocketGenerator,
) -> App:
    """Both flats are let; the manager linked Ana to the landlord key of flat 1A only."""
    assert await async_setup_component(hass, "frontend", {})  # the sidebar's panels
    assert await async_setup_component(hass, "lovelace", {})
    await set_up(hass, config_entry)
    await hass.services.async_call(DOMAIN, "set_managers", {"users": [pam.id]}, blocking=True)
    for flat in building.flats:
        lease = issue(flat, kind=GrantKind.LEASE, end=180 * DAY, subject=flat.tenant)
        await hass.services.async_call(
            DOMAIN, "install_grant", {"grant": b64(lease)}, blocking=True
        )
    manager = await open_app(hass, hass_ws_client, pam)
    linked = await manager.ask(**link(ana, landlord_key(building, 0)))
    assert linked["success"], linked
    assert linked["result"]["response"] == {"flats": ["Flat 1A"]}
    await settle(hass)
    return manager


async def test_a_landlord_sees_their_flats_events_grants_and_rent_only(
    hass: HomeAssistant, let_flats: App, ana: User, hass_ws_client: WebSocketGenerator
) -> None:
    app = await open_app(hass, hass_ws_client, ana)

    seen = await app.states()
    page = await app.ask(type="lovelace/config", url_path=LANDLORD_URL)
    panels = await app.ask(type="get_panels")
    unlock = await app.ask(
        type="call_service",
        domain="lock",
        service="lock",
        target={"entity_id": "lock.flat_1a_door"},
    )

    assert set(OWN) <= seen
    assert "sensor.flat_1a_door_next_rent_due" in seen
    assert not {e for e in seen if "flat_1b" in e}
    assert "lock.flat_1a_door" not in seen  # the door is the tenant's to operate
    assert unlock["error"]["message"] == "Unauthorized"
    assert page["success"], page
    shown = entities(page["result"])
    assert set(OWN) <= shown
    assert not {e for e in shown if "flat_1b" in e or e.startswith("lock.")}
    assert page["result"]["views"][0]["cards"][0]["title"] == "Flat 1A"
    assert LANDLORD_URL in panels["result"]
    assert MANAGER_URL not in panels["result"]  # her sidebar has no manager's page


async def test_only_the_manager_links_and_only_a_key_an_installation_names(
    hass: HomeAssistant,
    let_flats: App,
    ana: User,
    building: SimulatedBuilding,
    hass_ws_client: WebSocketGenerator,
) -> None:
    ana_app = await open_app(hass, hass_ws_client, ana)
    stranger = b64(building.landlords["landlord:chen"].public_key.to_bytes())

    by_herself = await ana_app.ask(**link(ana, landlord_key(building, 1)))
    not_installed = await let_flats.ask(**link(ana, stranger))
    garbage = await let_flats.ask(**link(ana, "bm90IGEga2V5"))
    await settle(hass)

    assert by_herself["error"]["message"] == "Unauthorized"
    assert not_installed["error"]["translation_key"] == "landlord_key_not_installed"
    assert garbage["error"]["translation_key"] == "landlord_key_invalid"
    seen = await ana_app.states()
    assert set(OWN) <= seen
    assert not {e for e in seen if "flat_1b" in e}


async def test_an_unlinked_landlord_sees_nothing_of_the_building(
    hass: HomeAssistant, let_flats: App, ana: User, hass_ws_client: WebSocketGenerator
) -> None:
    unlinked = await let_flats.ask(**link(ana))
    await settle(hass)
    app = await open_app(hass, hass_ws_client, ana)

    seen = await app.states()
    page = await app.ask(type="lovelace/config", url_path=LANDLORD_URL)
    panels = await app.ask(type="get_panels")

    assert unlinked["success"], unlinked
    assert LANDLORD_URL not in panels["result"]
    assert not {e for e in seen if "flat_" in e}
    assert entities(page["result"]) == set()
