"""The rent due reminder blueprint, end to end on a simulated flat with a signed lease."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import CLIENT_ID, MockUser
from pytest_homeassistant_custom_component.typing import MockHAClientWebSocket, WebSocketGenerator

from buildinghub_sim.building import SimulatedBuilding, SimulatedFlat
from tests.blueprints.helpers import async_notifications, async_use_blueprint

from .tenancy_parties import Parties, b64, call, install_lease
from .test_tenancy import NOV_3, RENT_EVENT, _now, midnight, walk_to


async def _open_app(
    hass: HomeAssistant, user: MockUser, hass_ws_client: WebSocketGenerator
) -> MockHAClientWebSocket:
    """The landlord opens the app now, days after the test began: a fresh login."""
    refresh = await hass.auth.async_create_refresh_token(user, CLIENT_ID)
    return await hass_ws_client(hass, hass.auth.async_create_access_token(refresh))


async def _use_blueprint(hass: HomeAssistant, *, tenant: str, include_paid: bool) -> None:
    assert await async_setup_component(hass, "persistent_notification", {})
    await async_use_blueprint(
        hass,
        "rent_due_reminder",
        {
            "rent_events": [RENT_EVENT],
            "tenant_notify_action": tenant,
            "landlord_notify_action": "persistent_notification.create",
            "include_overdue": True,
            "include_paid": include_paid,
        },
    )


@pytest.mark.usefixtures("init_integration")
async def test_landlord_is_told_rent_is_due_with_the_amount_then_that_it_was_paid(
    hass: HomeAssistant,
    building: SimulatedBuilding,
    flat: SimulatedFlat,
    tenant_key: object,
    freezer: FrozenDateTimeFactory,
    hass_ws_client: WebSocketGenerator,
    hass_admin_user: MockUser,
) -> None:
    parties = Parties(building, flat, tenant_key)  # type: ignore[arg-type]
    lease = parties.sign(parties.terms())
    await install_lease(hass, lease)
    await _use_blueprint(hass, tenant="", include_paid=True)

    await walk_to(hass, freezer, midnight(NOV_3) + timedelta(hours=2))
    landlord = await _open_app(hass, hass_admin_user, hass_ws_client)
    assert await async_notifications(landlord) == [
        ("Rent for Flat 1A", "Rent of 950.00 EUR is due on 2026-11-03.")
    ]

    await call(hass, "record_payment", {"payment": b64(parties.pay(lease, NOV_3, _now()))})
    notes = await async_notifications(landlord)
    assert ("Rent for Flat 1A", "Rent of 950.00 EUR for 2026-11-03 was paid on time.") in notes
    assert len(notes) == 2


@pytest.mark.usefixtures("init_integration")
async def test_tenant_is_reminded_and_both_hear_when_rent_is_overdue(
    hass: HomeAssistant,
    building: SimulatedBuilding,
    flat: SimulatedFlat,
    tenant_key: object,
    freezer: FrozenDateTimeFactory,
    hass_ws_client: WebSocketGenerator,
    hass_admin_user: MockUser,
) -> None:
    # Both actions create a persistent notification here, so both messages show in one panel.
    parties = Parties(building, flat, tenant_key)  # type: ignore[arg-type]
    await install_lease(hass, parties.sign(parties.terms()))
    await _use_blueprint(hass, tenant="persistent_notification.create", include_paid=False)

    await walk_to(hass, freezer, midnight(date(2026, 11, 6)) + timedelta(hours=2))

    people = await _open_app(hass, hass_admin_user, hass_ws_client)
    notes = await async_notifications(people)
    assert ("Rent for Flat 1A", "Your rent of 950.00 EUR is due today, 2026-11-03.") in notes
    assert (
        "Rent for Flat 1A",
        "Your rent of 950.00 EUR due on 2026-11-03 has not been paid yet.",
    ) in notes
    assert ("Rent for Flat 1A", "Rent of 950.00 EUR due on 2026-11-03 is overdue.") in notes
