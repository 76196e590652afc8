"""Runtime data and the per-meter coordinator of Community Meter."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from buildinghub.devices.meter import MeterClient, MeterProtocolError, MeterStatus
from buildinghub.radio.errors import RadioError
from buildinghub.radio.network import BuildingNetwork
from buildinghub.telemetry.identity import MeterIdentity

from .const import DOMAIN, POLL_INTERVAL

if TYPE_CHECKING:
    from .hub import MeterHub

_LOGGER = logging.getLogger(__name__)


@dataclass
class CommunityMeterRuntimeData:
    """What a loaded entry holds."""

    network: BuildingNetwork
    hub: MeterHub


type CommunityMeterConfigEntry = ConfigEntry[CommunityMeterRuntimeData]


class MeterCoordinator(DataUpdateCoordinator[MeterStatus]):
    """Polls one meter (total, readings held, forced erasures) and collects its readings."""

    config_entry: CommunityMeterConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: CommunityMeterConfigEntry,
        client: MeterClient,
        identity: MeterIdentity,
    ) -> None:
        """Poll the meter behind ``client``."""
        super().__init__(
            hass,
            _LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {identity.meter_id}",
            update_interval=POLL_INTERVAL,
        )
        self.client = client
        self.identity = identity

    async def _async_update_data(self) -> MeterStatus:
        hub = self.config_entry.runtime_data.hub
        try:
            # Each poll is the meter's resend (SPEC M4): everything it still holds is offered.
            await hub.relay.collect(self.identity.meter_id, self.client, from_start=True)
            status = await self.client.read_status()
        except (RadioError, MeterProtocolError) as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="meter_unreachable",
                translation_placeholders={"meter": self.identity.meter_id},
            ) from err
        await hub.async_note_forced_erasures(self.identity, status.forced_erasures)
        return status
