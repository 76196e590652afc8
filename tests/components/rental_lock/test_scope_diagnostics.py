"""SPEC S7, H3: diagnostics are for administrators only, and what they show is redacted.

Home Assistant's diagnostics download (HTTP) and its websocket commands already require an
administrator; these tests check that it holds for Rental Lock's entry, as a resident's and
a manager's app would ask, and that the download carries no secret and no person.
"""

from __future__ import annotations

import json

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    WebSocketGenerator,
)

from .tenants import Tenant, consented_and_enrolled

CLIENT_ID = "https://example.com/app"


async def token_of(hass: HomeAssistant, user: MockUser) -> str:
    refresh = await hass.auth.async_create_refresh_token(user, CLIENT_ID)
    return hass.auth.async_create_access_token(refresh)


@pytest.fixture
async def enrolled(
    hass: HomeAssistant, init_integration: MockConfigEntry, tenant: Tenant
) -> Tenant:
    """Tess, with a lease of flat 1A and her finger enrolled there."""
    await consented_and_enrolled(hass, tenant)
    return tenant


async def test_a_resident_cannot_download_or_list_diagnostics_and_the_manager_gets_them_redacted(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    enrolled: Tenant,
    hass_admin_user: MockUser,
    hass_client: ClientSessionGenerator,
    hass_ws_client: WebSocketGenerator,
) -> None:
    assert await async_setup_component(hass, "diagnostics", {})
    url = f"/api/diagnostics/config_entry/{init_integration.entry_id}"
    resident_token = await token_of(hass, enrolled.user)

    resident_ws = await hass_ws_client(hass, resident_token)
    resident_http = await (await hass_client(resident_token)).get(url)
    await resident_ws.send_json_auto_id({"type": "diagnostics/list"})
    listed = await resident_ws.receive_json()

    assert resident_http.status == 401
    assert not listed["success"]
    assert listed["error"]["code"] == "unauthorized"

    manager = await hass_client(await token_of(hass, hass_admin_user))
    answer = await manager.get(url)
    assert answer.status == 200
    text = await answer.text()
    data = json.loads(text)["data"]
    hub = init_integration.runtime_data.hub
    assert data["hub_key_id"] == hub.hub_key.public_key.kid.hex()
    assert data["fingerprints"]["templates"]
    for secret in (
        "PRIVATE KEY",
        hub.hub_key.to_pem().decode().splitlines()[1],
        enrolled.flat.tenant,  # a person
        enrolled.user.id,
        next(iter(hub.biometrics.templates.values())).bundle[:40],
    ):
        assert secret not in text
