"""The logbook reads as sentences: who opened which flat and how, who was refused and why."""

from __future__ import annotations

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from buildinghub.credentials import GrantKind
from buildinghub_sim.building import SimulatedFlat
from tests.components.logbook_lines import lines, logbook_entries
from tests.components.settling import settle

from .conftest import IssueGrant, make_resident
from .test_grants import EVENT, PIN, install


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    recorder_mock: object, enable_custom_integrations: None
) -> None:
    """The recorder must start before hass, which enabling custom integrations needs."""


async def logbook_lines(hass: HomeAssistant, ws: WebSocketGenerator) -> list[str]:
    """What the logbook page shows for the door's access events."""
    return lines(await logbook_entries(hass, ws, [EVENT]))


async def test_the_logbook_names_the_holder_the_flat_and_the_method(
    hass: HomeAssistant,
    recorder_mock: object,
    init_integration: MockConfigEntry,
    flat: SimulatedFlat,
    issue: IssueGrant,
    hass_ws_client: WebSocketGenerator,
) -> None:
    assert await async_setup_component(hass, "logbook", {})
    tess = await make_resident(hass, "Tess")
    lease = issue(flat, kind=GrantKind.LEASE, pin=PIN, subject=flat.tenant)
    await install(hass, lease, user_id=tess.id)

    flat.lock.keypad(PIN)
    await settle(hass)
    flat.lock.keypad("000000")
    await settle(hass)

    lines = await logbook_lines(hass, hass_ws_client)
    assert "Tess opened Flat 1A with a PIN" in lines
    assert "Someone was refused at Flat 1A: unknown PIN" in lines


async def test_a_holder_without_a_user_reads_as_their_role(
    hass: HomeAssistant,
    recorder_mock: object,
    init_integration: MockConfigEntry,
    flat: SimulatedFlat,
    issue: IssueGrant,
    hass_ws_client: WebSocketGenerator,
) -> None:
    assert await async_setup_component(hass, "logbook", {})
    await install(hass, issue(flat, pin=PIN))

    flat.lock.keypad(PIN)
    await settle(hass)

    assert "Viewer (flat-1a) opened Flat 1A with a PIN" in await logbook_lines(hass, hass_ws_client)
