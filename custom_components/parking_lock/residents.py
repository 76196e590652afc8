"""Who may see and operate each bay in Home Assistant (SPEC H7).

A user has a bay while they hold a current e-key for it (issued, shared or transferred to
their Home Assistant user, the holder key the hub keeps for that user: ``add_key``,
``share_key``) or a booking of it that is not over. Their group allows the bay's device: its
lock, occupancy and bookings calendar, and the car-park map (one entity of the hub, showing
the way to the bays). When the key ends, the bay goes.

Every resident of the building (whichever integration made them one) may see the bays open
to anyone (SPEC P10), to book one: each open bay's bookings calendar and state, and the map;
not its lock, occupancy or events, nor who holds its keys (a booking shows as taken).
"""

from __future__ import annotations

from homeassistant.const import Platform

from buildinghub.parking.listing import PolicyMode
from buildinghub_ha.access_groups import (
    Residents,
    Scope,
    device_entities_scope,
    device_scope,
    entity_scope,
)

from .const import DOMAIN
from .hub import HUB_HOLDER, ParkingHub


def bay_residents(hub: ParkingHub) -> Residents:
    """Each user's bays now, and when a key next starts or ends."""
    now = hub.clock.now()
    car_park_map = entity_scope(hub.hass, DOMAIN, Platform.IMAGE, f"{hub.entry.entry_id}_map")
    scopes: dict[str, Scope] = {}
    for context in hub.bays.values():
        lock_id = context.installation.lock_id
        users = set(hub.book.holders(context.address))
        users.update(b.user for b in hub.bookings.for_bay(lock_id) if b.end > now)
        users.discard(HUB_HOLDER)
        bay = device_scope(hub.hass, hub.entry, lock_id)
        for user in users:
            scopes[user] = scopes.get(user, car_park_map) | bay
    ends = [b.end for c in hub.bays.values() for b in hub.bookings.for_bay(c.installation.lock_id)]
    moments = [t for t in (hub.book.next_holders_change(), *ends) if t is not None and t > now]
    return Residents(scopes, min(moments, default=None))


def open_bays(hub: ParkingHub) -> Scope:
    """What every resident may see of the bays anyone may book."""
    car_park_map = entity_scope(hub.hass, DOMAIN, Platform.IMAGE, f"{hub.entry.entry_id}_map")
    scope = Scope()
    for context in hub.bays.values():
        lock_id = context.installation.lock_id
        policy = hub.policies.get(lock_id)
        if policy is None or policy.mode is PolicyMode.ANYONE:
            bay = device_entities_scope(
                hub.hass, hub.entry, lock_id, only={Platform.CALENDAR, Platform.SENSOR}
            )
            scope = scope | bay | car_park_map
    return scope
