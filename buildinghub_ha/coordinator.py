"""The coordinator that polls one managed device."""

from __future__ import annotations

import logging
from abc import abstractmethod
from datetime import timedelta
from typing import Any, ClassVar, Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from buildinghub.radio.errors import DeviceUnreachable

_LOGGER = logging.getLogger(__name__)
POLL_INTERVAL: Final = timedelta(minutes=1)


class DeviceCoordinator[ClientT, StatusT](DataUpdateCoordinator[StatusT]):
    """Polls one device through its library client every :attr:`interval` (a minute).

    A device out of reach fails the poll, told with the integration's
    :attr:`unreachable_key` translation, whose :attr:`placeholder` is the device's
    name in the words its users know it by (a flat, a bay, a meter id).
    """

    config_entry: ConfigEntry[Any]
    interval: ClassVar[timedelta] = POLL_INTERVAL
    unreachable_key: ClassVar[str]
    placeholder: ClassVar[str]
    unreachable: ClassVar[tuple[type[Exception], ...]] = (DeviceUnreachable,)
    """The errors that mean the device did not answer."""

    def __init__(
        self, hass: HomeAssistant, entry: ConfigEntry[Any], client: ClientT, name: str
    ) -> None:
        """Poll the device behind ``client``, called ``name``, for ``entry``."""
        super().__init__(
            hass,
            _LOGGER,
            config_entry=entry,
            name=f"{entry.domain} {name}",
            update_interval=self.interval,
        )
        self.client = client
        self.device_name = name

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
                translation_key=self.unreachable_key,
                translation_placeholders={self.placeholder: self.device_name},
            ) from err
