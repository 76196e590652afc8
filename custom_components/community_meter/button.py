"""The resident's "I'm back": ends an absence the hub detected, and the measures taken for it."""

from __future__ import annotations

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import CommunityMeterConfigEntry
from .entity import MeterEntity, async_add_dwelling_entities

PARALLEL_UPDATES = 0
BACK_HOME = ButtonEntityDescription(key="back_home", translation_key="back_home")


async def async_setup_entry(
    hass: HomeAssistant,
    entry: CommunityMeterConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """A "back home" button beside each dwelling's presence sensor."""
    async_add_dwelling_entities(
        entry, async_add_entities, lambda hub, ctx: BackHomeButton(hub, ctx, BACK_HOME)
    )


class BackHomeButton(MeterEntity, ButtonEntity):
    """Pressed by the resident from the app when they are back."""

    async def async_press(self) -> None:
        """The absence is over: the presence sensor turns on at once."""
        self.hub.presence.confirm_return(self.meter.identity.dwelling)
