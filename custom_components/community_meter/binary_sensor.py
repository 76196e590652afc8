"""Whether anybody is home in a dwelling, derived from its electricity use (SPEC M6), and
whether its prepaid balance is low (SPEC M7): the derived flags the property manager sees
(SPEC M5), where the balance itself is the residents' only."""

from __future__ import annotations

from homeassistant.components.binary_sensor import (
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from buildinghub.occupancy.tracker import Presence
from buildinghub_ha.entity import fleet_platform

from .coordinator import CommunityMeterConfigEntry
from .entity import DwellingPresenceEntity, HubEntity, async_add_per_account, dwelling_entity
from .hub import MeterHub

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


class LowBalance(HubEntity, BinarySensorEntity):
    """On while a dwelling's prepaid balance is below its reminder threshold."""

    def __init__(self, hub: MeterHub, dwelling: str) -> None:
        """The flag of ``dwelling``."""
        super().__init__(hub, LOW_BALANCE, suffix=f"_{dwelling}")
        self.dwelling = dwelling
        self._attr_translation_placeholders = {"dwelling": dwelling}

    @property
    def is_on(self) -> bool | None:
        """Low (on), not low (off), unknown without an account."""
        account = self.hub.state.accounts.get(self.dwelling)
        return None if account is None else account.low


LOW_BALANCE = BinarySensorEntityDescription(
    key="low_balance", translation_key="low_balance", device_class=BinarySensorDeviceClass.PROBLEM
)
_presence = fleet_platform(dwelling_entity(HouseholdPresence.describing(HOUSEHOLD)))


async def async_setup_entry(
    hass: HomeAssistant,
    entry: CommunityMeterConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Each dwelling's household presence and low-balance flag."""
    await _presence(hass, entry, async_add_entities)
    async_add_per_account(entry.runtime_data.hub, async_add_entities, LowBalance)
