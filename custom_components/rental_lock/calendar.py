"""The grant calendar of a door: who may enter when."""

from __future__ import annotations

from datetime import datetime

from homeassistant.components.calendar import (
    CalendarEntity,
    CalendarEntityDescription,
    CalendarEvent,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from buildinghub.devices.grant_book import HeldGrant

from .coordinator import RentalLockConfigEntry
from .entity import RentalLockEntity, async_add_lock_entities
from .hub import signal_grants

PARALLEL_UPDATES = 0
DESCRIPTION = CalendarEntityDescription(key="grants", translation_key="grants")


def _event(held: HeldGrant) -> CalendarEvent:
    grant = held.signed.grant
    return CalendarEvent(
        start=dt_util.utc_from_timestamp(grant.not_before),
        end=dt_util.utc_from_timestamp(grant.expires),
        summary=f"{grant.kind.value.capitalize()}: {grant.subject}",
        description=f"Signed by {grant.issuer}",
        uid=grant.grant_id.hex(),
    )


async def async_setup_entry(
    hass: HomeAssistant,
    entry: RentalLockConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """One grant calendar per door lock."""
    async_add_lock_entities(
        entry, async_add_entities, lambda hub, ctx: [GrantCalendar(hub, ctx, DESCRIPTION)]
    )


class GrantCalendar(RentalLockEntity, CalendarEntity):
    """Every grant of one door as a calendar event."""

    def _events(self) -> list[CalendarEvent]:
        return [_event(held) for held in self.hub.book.for_lock(self.lock_context.ieee)]

    @property
    def event(self) -> CalendarEvent | None:
        """The grant active now, or the next one."""
        now = dt_util.utcnow()
        upcoming = [e for e in self._events() if e.end_datetime_local > now]
        return min(upcoming, key=lambda e: e.start_datetime_local, default=None)

    async def async_get_events(
        self, hass: HomeAssistant, start_date: datetime, end_date: datetime
    ) -> list[CalendarEvent]:
        """Grants that overlap the asked range."""
        return [
            e
            for e in self._events()
            if e.start_datetime_local < end_date and e.end_datetime_local > start_date
        ]

    async def async_added_to_hass(self) -> None:
        """Update when grants change."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass, signal_grants(self.hub.entry.entry_id), self.async_write_ha_state
            )
        )
