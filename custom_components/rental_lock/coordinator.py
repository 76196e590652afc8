"""Runtime data and the per-lock coordinator of Rental Lock."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from buildinghub.devices.door_lock import DoorLockClient, LockStatus
from buildinghub.radio.errors import DeviceUnreachable
from buildinghub.radio.network import BuildingNetwork

from .const import CLOCK_DRIFT_LIMIT_S, DOMAIN, POLL_INTERVAL

if TYPE_CHECKING:
    from .hub import RentalHub
    from .tenancy import HubTenancy

_LOGGER = logging.getLogger(__name__)


@dataclass
class RentalLockRuntimeData:
    """What a loaded entry holds."""

    network: BuildingNetwork
    hub: RentalHub
    tenancy: HubTenancy


type RentalLockConfigEntry = ConfigEntry[RentalLockRuntimeData]


class LockCoordinator(DataUpdateCoordinator[LockStatus]):
    """Polls one lock's state, battery and clock; raises repairs a person must act on."""

    config_entry: RentalLockConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: RentalLockConfigEntry,
        client: DoorLockClient,
        flat: str,
    ) -> None:
        """Poll the lock behind ``client``, which guards ``flat``."""
        super().__init__(
            hass,
            _LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {flat}",
            update_interval=POLL_INTERVAL,
        )
        self.client = client
        self.flat = flat

    async def _async_update_data(self) -> LockStatus:
        unreachable_issue = f"lock_unreachable_{self.client.ieee}"
        try:
            status = await self.client.read_status()
        except DeviceUnreachable as err:
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                unreachable_issue,
                is_fixable=False,
                severity=ir.IssueSeverity.ERROR,
                translation_key="lock_unreachable",
                translation_placeholders={"flat": self.flat},
            )
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="lock_unreachable",
                translation_placeholders={"flat": self.flat},
            ) from err
        ir.async_delete_issue(self.hass, DOMAIN, unreachable_issue)
        self._check_clock(status)
        return status

    def _check_clock(self, status: LockStatus) -> None:
        drift = status.device_time - self.hub_time()
        issue_id = f"clock_drift_{self.client.ieee}"
        if abs(drift) > CLOCK_DRIFT_LIMIT_S:
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                issue_id,
                is_fixable=False,
                severity=ir.IssueSeverity.WARNING,
                translation_key="clock_drift",
                translation_placeholders={"flat": self.flat, "seconds": str(drift)},
            )
        else:
            ir.async_delete_issue(self.hass, DOMAIN, issue_id)

    def hub_time(self) -> int:
        """The hub's own clock, the reference for drift."""
        return self.config_entry.runtime_data.hub.clock.now()
