"""The resident's "I'm back": ends an absence the hub detected, and the measures taken for it."""

from __future__ import annotations

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription

from buildinghub_ha.caller import CallerAware
from buildinghub_ha.entity import fleet_platform

from .entity import MeterEntity, dwelling_entity

PARALLEL_UPDATES = 0
BACK_HOME = ButtonEntityDescription(key="back_home", translation_key="back_home")


class BackHomeButton(MeterEntity, CallerAware, ButtonEntity):
    """Pressed by the resident from the app when they are back."""

    async def async_press(self) -> None:
        """The absence is over: the presence sensor turns on at once. Only a resident of the
        dwelling or an administrator may say so (SPEC S7): it lifts the lock-down."""
        dwelling = self.member.identity.dwelling
        await self.hub.residents.async_check(dwelling, self._context, self.calling_user())
        self.hub.presence.confirm_return(dwelling)


async_setup_entry = fleet_platform(dwelling_entity(BackHomeButton.describing(BACK_HOME)))
