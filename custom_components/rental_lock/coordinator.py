"""Runtime data and the per-lock coordinator of Rental Lock."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntry
from homeassistant.helpers import issue_registry as ir

from buildinghub.devices.door_lock import LockStatus
from buildinghub.devices.lock_provider import LockProvider
from buildinghub_ha.coordinator import DeviceCoordinator
from buildinghub_ha.landlords import LandlordLogins

from .const import CLOCK_DRIFT_LIMIT_S, DOMAIN

if TYPE_CHECKING:
    from .hub import RentalHub
    from .tenancy import HubTenancy


@dataclass
class RentalLockRuntimeData:
    """What a loaded entry holds."""

    hub: RentalHub
    tenancy: HubTenancy
    landlords: LandlordLogins


type RentalLockConfigEntry = ConfigEntry[RentalLockRuntimeData]


class LockCoordinator(DeviceCoordinator[LockProvider, LockStatus]):
    """Polls one lock's state, battery and clock; raises repairs a person must act on.

    Its name is the flat the lock guards.
    """

    config_entry: RentalLockConfigEntry
    unreachable_key = "lock_unreachable"
    placeholder = "flat"

    async def async_read(self) -> LockStatus:
        """The lock's status; the repair for an unreachable lock goes once it answers."""
        status = await self.client.read_status()
        ir.async_delete_issue(self.hass, DOMAIN, self._unreachable_issue)
        self._check_clock(status)
        return status

    def async_unreachable(self) -> None:
        """Tell the property manager, as a repair, that the lock cannot be reached."""
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            self._unreachable_issue,
            is_fixable=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key="lock_unreachable",
            translation_placeholders={"flat": self.device_name},
        )

    @property
    def _unreachable_issue(self) -> str:
        return f"lock_unreachable_{self.client.ieee}"

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
                translation_placeholders={"flat": self.device_name, "seconds": str(drift)},
            )
        else:
            ir.async_delete_issue(self.hass, DOMAIN, issue_id)

    def hub_time(self) -> int:
        """The hub's own clock, the reference for drift."""
        return self.config_entry.runtime_data.hub.clock.now()
