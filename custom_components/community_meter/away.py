"""Away detection per dwelling (SPEC M6), fed by the dwellings' electricity meters.

Each electricity and water reading the hub collects goes, at the time the
meter signed into it, into the dwelling's
:class:`~buildinghub.occupancy.tracker.AwayTracker` (the detector and its
method are in ``buildinghub.occupancy``); what the trackers learned is kept
in Home Assistant's storage so a restart does not start the learning over.
Only the derived state leaves this module (M5): home, away, or still learning.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

from homeassistant.core import HomeAssistant
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.storage import Store
from homeassistant.util.dt import utcnow

from buildinghub.occupancy import AwayDetector
from buildinghub.occupancy.meter_readings import register_readings
from buildinghub.occupancy.tracker import AwayTracker, Presence
from buildinghub.telemetry.identity import MeterIdentity
from buildinghub.telemetry.reading import Quantity, ReadingPacket

from .const import DOMAIN

_LOGGER = logging.getLogger(__name__)
STORAGE_VERSION: Final = 1
SAVE_DELAY: Final = timedelta(minutes=5)


def signal_presence(entry_id: str) -> str:
    """Dispatcher signal: a dwelling's presence may have changed (payload: the dwelling)."""
    return f"{DOMAIN}_{entry_id}_presence"


class DwellingPresence:
    """Home, away or learning, for every dwelling with an electricity meter."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Trackers of one config entry, stored under its id."""
        self.hass = hass
        self.entry_id = entry_id
        self._detector = AwayDetector(time_zone=ZoneInfo(hass.config.time_zone))
        self._trackers: dict[str, AwayTracker] = {}
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}.presence", private=True
        )

    async def async_load(self) -> None:
        """Take back what was learned before the last restart."""
        stored = await self._store.async_load() or {}
        for dwelling, data in stored.get("dwellings", {}).items():
            self._tracker(dwelling).load_json(data)

    async def async_save(self) -> None:
        """Write what was learned now (on unload)."""
        await self._store.async_save(self._to_json())

    def _to_json(self) -> dict[str, Any]:
        return {"dwellings": {dwelling: t.to_json() for dwelling, t in self._trackers.items()}}

    def _tracker(self, dwelling: str) -> AwayTracker:
        return self._trackers.setdefault(dwelling, AwayTracker(self._detector))

    def dwellings(self) -> list[str]:
        """The dwellings tracked so far."""
        return sorted(self._trackers)

    def add_readings(self, meter: MeterIdentity, packets: Sequence[ReadingPacket]) -> None:
        """Readings collected from a meter, each counted when the meter took it.

        Electricity and water readings feed the dwelling's tracker; the library
        leaves out the rest (gas).
        """
        batch = register_readings(packets, meter.public_key, now=utcnow())
        if batch.refused:
            _LOGGER.warning(
                "Away detection ignored %d readings of %s: not signed by its key, or from the "
                "future",
                batch.refused,
                meter.meter_id,
            )
        tracker = self._tracker(meter.dwelling)
        for reading in batch.readings:
            if reading.quantity is Quantity.WATER:
                tracker.add_water(reading.taken_at, reading.total)
            else:
                tracker.add_energy(reading.taken_at, reading.total)
        if batch.readings:
            self._changed(meter.dwelling)

    def presence(self, dwelling: str) -> Presence:
        """The dwelling's state now."""
        return self._tracker(dwelling).presence()

    def learning_left(self, dwelling: str) -> timedelta:
        """How much more history the dwelling's detector needs (zero once it decides)."""
        return self._tracker(dwelling).learning_left()

    def confirm_return(self, dwelling: str) -> None:
        """The resident says they are back: the current absence ends here."""
        self._tracker(dwelling).confirm_return(utcnow())
        self._changed(dwelling)

    def _changed(self, dwelling: str) -> None:
        self._store.async_delay_save(self._to_json, SAVE_DELAY.total_seconds())
        async_dispatcher_send(self.hass, signal_presence(self.entry_id), dwelling)
