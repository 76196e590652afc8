"""Whether anybody is home in a dwelling, derived from its electricity use (SPEC M6)."""

from __future__ import annotations

from homeassistant.components.binary_sensor import (
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass

from buildinghub.occupancy.tracker import Presence
from buildinghub_ha.entity import fleet_platform

from .entity import DwellingPresenceEntity, dwelling_entity

PARALLEL_UPDATES = 0
HOUSEHOLD = BinarySensorEntityDescription(
    key="household", translation_key="household", device_class=BinarySensorDeviceClass.PRESENCE
)


class HouseholdPresence(DwellingPresenceEntity, BinarySensorEntity):
    """On while the household is home; off once the dwelling has been empty a while.

    Unknown for the first two days: the detector learns the household's nights
    before it calls anything an absence (the Presence sensor says "learning",
    and for how long still).
    """

    @property
    def is_on(self) -> bool | None:
        """Home (on), away (off), or unknown while learning."""
        presence = self.hub.presence.presence(self.member.identity.dwelling)
        return None if presence is Presence.LEARNING else presence is Presence.HOME


async_setup_entry = fleet_platform(dwelling_entity(HouseholdPresence.describing(HOUSEHOLD)))
