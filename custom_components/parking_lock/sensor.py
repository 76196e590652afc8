"""The bay's listing state (SPEC P13): available, held (inside a booking's free hold) or booked."""

from __future__ import annotations

from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
)

from buildinghub.parking.bookings import BayState
from buildinghub_ha.entity import fleet_platform

from .entity import ParkingBayEntity

PARALLEL_UPDATES = 0
DESCRIPTION = SensorEntityDescription(
    key="state",
    translation_key="bay_state",
    device_class=SensorDeviceClass.ENUM,
    options=[state.value for state in BayState],
)


class BayListingState(ParkingBayEntity, SensorEntity):
    """Recomputed when bookings change and at every poll of the bay (once a minute)."""

    @property
    def native_value(self) -> str:
        """The bay's state now."""
        return self.hub.bookings.state(self.member.installation.lock_id).value

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """The bay's listing (SPEC P13), its policy (P10) and whether bookings get e-keys."""
        lock_id = self.member.installation.lock_id
        listing = self.hub.listings.get(lock_id)
        policy = self.hub.policies.get(lock_id)
        listed = self.hub.listing_key(self.member.address)
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
        self.async_follow(self.hub.signal("bookings"))


async_setup_entry = fleet_platform(BayListingState.describing(DESCRIPTION))
