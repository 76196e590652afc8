"""The resident's "I'm back": ends an absence the hub detected, and the measures taken for it."""

from __future__ import annotations

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription

from buildinghub_ha.entity import fleet_platform

from .entity import MeterEntity, dwelling_entity

PARALLEL_UPDATES = 0
BACK_HOME = ButtonEntityDescription(key="back_home", translation_key="back_home")


class BackHomeButton(MeterEntity, ButtonEntity):
    """Pressed by the resident from the app when they are back."""

    async def async_press(self) -> None:
        """The absence is over: the presence sensor turns on at once."""
        self.hub.presence.confirm_return(self.member.identity.dwelling)


async_setup_entry = fleet_platform(dwelling_entity(BackHomeButton.describing(BACK_HOME)))
