"""The bay's listing state (SPEC P13): available, held (inside a booking's free hold) or booked."""

from __future__ import annotations

from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from buildinghub.parking.bookings import BayState

from .coordinator import ParkingLockConfigEntry
from .entity import ParkingBayEntity, async_add_bay_entities
from .hub import signal_bookings

PARALLEL_UPDATES = 0
DESCRIPTION = SensorEntityDescription(
    key="state",
    translation_key="bay_state",
    device_class=SensorDeviceClass.ENUM,
    options=[state.value for state in BayState],
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ParkingLockConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """One listing state per bay."""
    async_add_bay_entities(
        entry, async_add_entities, lambda hub, bay: [BayListingState(hub, bay, DESCRIPTION)]
    )


class BayListingState(ParkingBayEntity, SensorEntity):
    """Recomputed when bookings change and at every poll of the bay (once a minute)."""

    @property
    def native_value(self) -> str:
        """The bay's state now."""
        return self.hub.bookings.state(self.bay.installation.lock_id).value

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """The bay's listing (SPEC P13), its policy (P10) and whether bookings get e-keys."""
        lock_id = self.bay.installation.lock_id
        listing = self.hub.listings.get(lock_id)
        policy = self.hub.policies.get(lock_id)
        listed = self.hub.listing_key(self.bay.ieee)
        return {
            **(listing.to_json() if listing else {}),
            "policy": policy.mode.value if policy else "anyone",
            "policy_area": policy.area if policy else None,
            "issues_keys": listed is not None,
            "listed_until": listed.chain.leaf.grant.expires if listed else None,
        }

    async def async_added_to_hass(self) -> None:
        """Update when bookings change."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass, signal_bookings(self.hub.entry.entry_id), self.async_write_ha_state
            )
        )
