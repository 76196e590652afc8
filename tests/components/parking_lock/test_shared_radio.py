"""Rental Lock and Parking Lock on one radio: each adopts its own devices only."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from pytest_homeassistant_custom_component.common import MockConfigEntry

from buildinghub_ha.const import CONF_RADIO_PATH
from buildinghub_sim.car_park import SimulatedCarPark
from custom_components.rental_lock.const import DOMAIN as RENTAL_DOMAIN
from tests.components.settling import settle


async def test_rental_lock_on_the_car_parks_radio_adopts_no_bay(
    hass: HomeAssistant, car_park: SimulatedCarPark, init_integration: MockConfigEntry
) -> None:
    rental = MockConfigEntry(
        domain=RENTAL_DOMAIN,
        title="Doors on the same radio",
        data={CONF_RADIO_PATH: car_park.path},
        unique_id=car_park.path,
    )
    rental.add_to_hass(hass)

    assert await hass.config_entries.async_setup(rental.entry_id)
    await settle(hass)

    devices = dr.async_get(hass)
    bays = dr.async_entries_for_config_entry(devices, init_integration.entry_id)
    assert {device.name for device in bays} >= {"Bay P1", "Bay P2"}
    assert dr.async_entries_for_config_entry(devices, rental.entry_id) == []
    assert hass.states.get("lock.bay_p1") is not None
    assert hass.states.get("lock.bay_p1_door") is None
    assert await hass.config_entries.async_unload(rental.entry_id)
