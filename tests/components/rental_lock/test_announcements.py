"""Community announcements: the property manager writes, the residents' phones show it."""

from __future__ import annotations

from typing import Any

import pytest
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import ServiceValidationError, Unauthorized
from homeassistant.helpers import area_registry as ar
from homeassistant.helpers import floor_registry as fr
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    WebSocketGenerator,
)

from buildinghub.credentials import GrantKind
from buildinghub_sim.building import SimulatedBuilding, SimulatedFlat
from custom_components.rental_lock.const import DOMAIN

from .conftest import DAY, IssueGrant, make_resident
from .phones import Phone, phone_of
from .test_grants import install


@pytest.fixture
async def residents(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    building: SimulatedBuilding,
    issue: IssueGrant,
    hass_client: ClientSessionGenerator,
    hass_ws_client: WebSocketGenerator,
) -> dict[str, Phone]:
    """Flat 1A on the ground floor, Flat 1B upstairs, a leaseholder with a phone in each."""
    assert await async_setup_component(hass, "mobile_app", {})
    floors = fr.async_get(hass)
    areas = ar.async_get(hass)
    for flat, floor_name in zip(building.flats, ("Ground floor", "First floor"), strict=True):
        floor = floors.async_create(floor_name)
        area = areas.async_get_area_by_name(flat.name)
        assert area is not None, "each flat's door suggests its flat as the area"
        areas.async_update(area.id, floor_id=floor.floor_id)
    phones = {}
    for flat in building.flats:
        user = await make_resident(hass, flat.tenant)
        lease = issue(flat, kind=GrantKind.LEASE, end=30 * DAY, subject=flat.tenant)
        await install(hass, lease, user_id=user.id)
        phones[flat.name] = await phone_of(hass, user, flat.name, hass_client, hass_ws_client)
    await hass.async_block_till_done()
    return phones


async def _announce(hass: HomeAssistant, **data: str) -> dict[str, Any]:
    response = await hass.services.async_call(
        DOMAIN, "announce", data, blocking=True, return_response=True
    )
    assert response is not None
    return dict(response)


async def test_every_resident_gets_a_building_announcement(
    hass: HomeAssistant, residents: dict[str, Phone]
) -> None:
    answer = await _announce(hass, title="Water", message="Water off 10:00-12:00 on Monday.")

    assert answer == {"flats": ["Flat 1A", "Flat 1B"], "residents": 2, "phones": 2}
    for phone in residents.values():
        shown = await phone.next_notification()
        assert shown["title"] == "Water"
        assert shown["message"] == "Water off 10:00-12:00 on Monday."


async def test_a_floor_announcement_reaches_that_floor_only(
    hass: HomeAssistant, residents: dict[str, Phone]
) -> None:
    upstairs = fr.async_get(hass).async_get_floor_by_name("First floor")
    assert upstairs is not None

    answer = await _announce(hass, message="Stairwell painting", floor_id=upstairs.floor_id)

    assert answer["flats"] == ["Flat 1B"]
    assert (await residents["Flat 1B"].next_notification())["message"] == "Stairwell painting"
    assert await residents["Flat 1A"].nothing_arrived()


async def test_viewers_are_not_residents(
    hass: HomeAssistant, residents: dict[str, Phone], flat: SimulatedFlat, issue: IssueGrant
) -> None:
    viewer = await make_resident(hass, "Viewer")
    await install(hass, issue(flat, kind=GrantKind.VIEWING), user_id=viewer.id)

    answer = await _announce(hass, message="Lift out of order")

    assert answer["residents"] == 2


async def test_an_unknown_floor_is_refused(
    hass: HomeAssistant, residents: dict[str, Phone]
) -> None:
    with pytest.raises(ServiceValidationError) as refused:
        await _announce(hass, message="Hello", floor_id="attic")

    assert refused.value.translation_key == "unknown_floor"
    assert await residents["Flat 1A"].nothing_arrived()


async def test_only_the_property_manager_announces(
    hass: HomeAssistant, residents: dict[str, Phone], resident: MockUser
) -> None:
    with pytest.raises(Unauthorized):
        await hass.services.async_call(
            DOMAIN,
            "announce",
            {"message": "Free pizza"},
            blocking=True,
            context=Context(user_id=resident.id),
        )
    assert await residents["Flat 1A"].nothing_arrived()
