"""Entities of a flat's lease, on its door lock's device: rent events and the next due date."""

from __future__ import annotations

from datetime import date
from typing import Any

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
)
from homeassistant.core import callback

from buildinghub.tenancy.rent_notices import NoticeKind

from .entity import RentalLockEntity
from .tenancy import (
    EVENT_INSPECTION,
    EVENT_RENT_PAID,
    HubTenancy,
    format_amount,
)

RENT_EVENT = EventEntityDescription(
    key="rent",
    translation_key="rent",
    event_types=[NoticeKind.DUE.value, NoticeKind.OVERDUE.value, EVENT_RENT_PAID, EVENT_INSPECTION],
)
NEXT_RENT_DUE = SensorEntityDescription(
    key="next_rent_due", translation_key="next_rent_due", device_class=SensorDeviceClass.DATE
)


class _LeaseEntity(RentalLockEntity):
    """An entity of the lease of the flat a lock guards.

    The lease is the hub's record, not the lock's: it stays available when the lock is not.
    """

    @property
    def available(self) -> bool:
        """Always: rent falls due whether or not the door lock answers."""
        return True

    @property
    def tenancy(self) -> HubTenancy:
        """The hub's leases."""
        return self.hub.entry.runtime_data.tenancy

    @property
    def lock_id(self) -> str:
        """The lock id a contract names."""
        return self.member.installation.lock_id


class RentEventEntity(_LeaseEntity, EventEntity):
    """Fires when rent falls due, is paid or is overdue, and when the flat is inspected."""

    async def async_added_to_hass(self) -> None:
        """Listen to this flat's rent events."""
        await super().async_added_to_hass()
        self.async_follow(self.hub.signal("rent", self.lock_id), self._handle_rent)

    @callback
    def _handle_rent(self, event_type: str, data: dict[str, Any]) -> None:
        self._trigger_event(event_type, data)
        self.async_write_ha_state()


class NextRentDueSensor(_LeaseEntity, SensorEntity):
    """The flat's next unpaid due date; unknown without a lease or once it has none left."""

    @property
    def native_value(self) -> date | None:
        """The next due date."""
        return self.tenancy.next_due(self.lock_id)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """What the landlord needs beside the date: the amount and currency the terms ask."""
        lease = self.tenancy.lease_for_lock(self.lock_id)
        if lease is None or self.native_value is None:
            return None
        terms = lease.contract.terms
        return {"amount": format_amount(terms.rent, terms.currency), "currency": terms.currency}

    async def async_added_to_hass(self) -> None:
        """Update when a lease, a payment or a new day changes the date."""
        await super().async_added_to_hass()
        self.async_follow(self.hub.signal("tenancy"))
