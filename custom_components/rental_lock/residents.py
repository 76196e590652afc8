"""Who may see and open each flat's door in Home Assistant (SPEC H7).

A user is a resident of a flat while a lease grant the property manager installed for them
(``install_lease`` or ``install_grant`` with ``user_id``) is current: the grant names the
tenant by ledger key, the action links that key to the Home Assistant user. A resident's
group allows the door's device, which carries the lock, its access events, its grant
calendar and the lease's rent entities. When the lease ends the group goes with it.

A landlord's login (``link_landlord``) gets the flats whose installation record names the
landlord's key: each door's access events, grant calendar and rent, not its lock.
"""

from __future__ import annotations

from homeassistant.const import Platform

from buildinghub_ha.access_groups import Residents, Scope, device_entities_scope, device_scope
from buildinghub_ha.landlords import LandlordLogins, flats_of

from .hub import RentalHub


def flat_residents(hub: RentalHub, landlords: LandlordLogins) -> Residents:
    """Each resident's doors and each landlord's flats now, and when a lease next starts or
    ends."""
    scopes: dict[str, Scope] = {}
    for context in hub.locks.values():
        door = device_scope(hub.hass, hub.entry, context.installation.lock_id)
        for user in hub.book.residents(context.address):
            scopes[user] = scopes.get(user, Scope()) | door
    installations = [context.installation for context in hub.locks.values()]
    for user, key in landlords.logins.items():
        for lock_id in flats_of(key, installations):
            flat = device_entities_scope(hub.hass, hub.entry, lock_id, without={Platform.LOCK})
            scopes[user] = scopes.get(user, Scope()) | flat
    return Residents(scopes, hub.book.next_residents_change())
