"""Runtime data and the per-meter coordinator of Community Meter."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant

from buildinghub.devices.meter import MeterClient, MeterProtocolError, MeterStatus
from buildinghub.radio.errors import RadioError
from buildinghub.telemetry.identity import MeterIdentity
from buildinghub_ha.coordinator import DeviceCoordinator

from .const import POLL_INTERVAL

if TYPE_CHECKING:
    from .hub import MeterHub


@dataclass
class CommunityMeterRuntimeData:
    """What a loaded entry holds."""

    hub: MeterHub


type CommunityMeterConfigEntry = ConfigEntry[CommunityMeterRuntimeData]


class MeterCoordinator(DeviceCoordinator[MeterClient, MeterStatus]):
    """Polls one meter (total, readings held, forced erasures) and collects its readings."""

    config_entry: CommunityMeterConfigEntry
    interval = POLL_INTERVAL
    unreachable_key = "meter_unreachable"
    placeholder = "meter"
    unreachable = (RadioError, MeterProtocolError)

    def __init__(
        self,
        hass: HomeAssistant,
        entry: CommunityMeterConfigEntry,
        client: MeterClient,
        identity: MeterIdentity,
    ) -> None:
        """Poll the meter behind ``client``, called by its meter id."""
        super().__init__(hass, entry, client, identity.meter_id)
        self.identity = identity

    async def async_read(self) -> MeterStatus:
        """Each poll is the meter's resend (SPEC M4): everything it still holds is offered."""
        hub = self.config_entry.runtime_data.hub
        context = hub.meters.get(self.identity.meter_id)
        if context is not None:
            await hub.async_collect(context, from_start=True)
        status = await self.client.read_status()
        await hub.async_note_forced_erasures(self.identity, status.forced_erasures)
        return status
