"""Diagnostics of Rental Lock: what a support person needs, with nothing secret in it."""

from __future__ import annotations

from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant

from .coordinator import RentalLockConfigEntry

# Holder identities are personal data; keys, sealed PINs and calendar addresses are secrets.
TO_REDACT = {"holder", "user", "radio_path", "tenant", "verified_by", "calendar"}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: RentalLockConfigEntry
) -> dict[str, Any]:
    """Locks, their state and the grants the hub holds, redacted."""
    hub = entry.runtime_data.hub
    locks = []
    for context in hub.locks.values():
        status = context.coordinator.data
        locks.append(
            {
                "lock_id": context.installation.lock_id,
                "flat": context.installation.flat,
                "landlord": context.installation.landlord,
                "landlord_key_id": context.installation.landlord_key.kid.hex(),
                "last_update_success": context.coordinator.last_update_success,
                "locked": status.locked if status else None,
                "battery_percent": status.battery_percent if status else None,
                "lock_clock_drift_s": (status.device_time - hub.clock.now()) if status else None,
                "grants_on_lock": status.grant_count if status else None,
            }
        )
    grants = [
        {
            "grant_id": held.grant_id.hex(),
            "lock": hub.locks[held.lock].installation.lock_id if held.lock in hub.locks else None,
            "kind": held.signed.grant.kind.value,
            "holder": held.signed.grant.subject,
            "user": held.user,
            "not_before": held.signed.grant.not_before,
            "expires": held.signed.grant.expires,
            "has_pin": held.signed.grant.sealed_pin is not None,
            "bytes": len(held.signed.encoded),
        }
        for held in hub.book
    ]
    return async_redact_data(
        {
            "entry": dict(entry.data),
            "hub_key_id": hub.hub_key.public_key.kid.hex(),
            "devices_on_network": len(hub.network.devices()),
            "locks": locks,
            "grants": grants,
            # All public: checkpoints, witness names, fork evidence (signed notes).
            "key_ledger": hub.ledger.diagnostics() if hub.ledger else None,
            # Station key id and facts; never its private keys, a bundle or a template.
            "fingerprints": hub.biometrics.diagnostics(),
            # Followed booking calendars; an iCal address often carries the site's secret.
            "booking_calendars": hub.bookings.diagnostics(),
        },
        TO_REDACT,
    )
