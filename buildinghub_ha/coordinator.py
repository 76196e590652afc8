"""The coordinator that polls one managed device."""

from __future__ import annotations

import logging
from abc import abstractmethod
from datetime import timedelta
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from buildinghub.radio.errors import DeviceUnreachable

_LOGGER = logging.getLogger(__name__)


class DeviceCoordinator[StatusT](DataUpdateCoordinator[StatusT]):
    """Polls one device every ``interval``; a device out of reach fails the poll.

    The failure is told with the integration's ``unreachable_key`` translation and
    ``placeholders`` (which device, in the words its users know it by).
    """

    config_entry: ConfigEntry[Any]
    unreachable: tuple[type[Exception], ...] = (DeviceUnreachable,)
    """The errors that mean the device did not answer."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        *,
        device: str,
        interval: timedelta,
        unreachable_key: str,
        placeholders: dict[str, str],
    ) -> None:
        """Poll ``device`` (a name for the logs) for ``entry``."""
        super().__init__(
            hass,
            _LOGGER,
            config_entry=entry,
            name=f"{entry.domain} {device}",
            update_interval=interval,
        )
        self._unreachable_key = unreachable_key
        self._placeholders = placeholders

    @abstractmethod
    async def async_read(self) -> StatusT:
        """Read the device's status (raises one of :attr:`unreachable` when it does not answer)."""

    def async_unreachable(self) -> None:
        """The device did not answer this poll (for a repair, say)."""

    async def _async_update_data(self) -> StatusT:
        try:
            return await self.async_read()
        except self.unreachable as err:
            self.async_unreachable()
            raise UpdateFailed(
                translation_domain=self.config_entry.domain,
                translation_key=self._unreachable_key,
                translation_placeholders=self._placeholders,
            ) from err
