"""Diagnostics of Parking Lock: bays, keys and counts, with people and secrets redacted."""

from __future__ import annotations

from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant

from .coordinator import ParkingLockConfigEntry

TO_REDACT = {"holder", "user", "radio_path"}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: ParkingLockConfigEntry
) -> dict[str, Any]:
    """Bays, their state and the keys the hub holds, redacted."""
    hub = entry.runtime_data.hub
    bays = [
        {
            "lock_id": bay.installation.lock_id,
            "bay": bay.name,
            "owner_key_id": bay.installation.landlord_key.kid.hex(),
            "last_update_success": bay.coordinator.last_update_success,
            "status": None if bay.coordinator.data is None else vars_of(bay.coordinator.data),
        }
        for bay in hub.bays.values()
    ]
    keys = [
        {
            "grant_id": held.grant_id.hex(),
            "links": len(held.chain.links),
            "holder": held.chain.leaf.grant.subject,
            "user": held.user,
            "uses_left": hub.book.ledger.uses_left(held.chain),
            "expires": held.chain.leaf.grant.expires,
        }
        for ieee in hub.bays
        for held in hub.book.for_bay(ieee)
    ]
    return async_redact_data({"entry": dict(entry.data), "bays": bays, "keys": keys}, TO_REDACT)


def vars_of(status: object) -> dict[str, Any]:
    """A status dataclass as a dict."""
    return {name: getattr(status, name) for name in getattr(status, "__slots__", ())}
