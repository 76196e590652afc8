"""What each dwelling's residents may see and press in Home Assistant (SPEC H7, M5).

The property manager says who lives where (``set_residents``, by Home Assistant user).
A resident's group allows their dwelling's meter devices (readings, household presence,
Back home) and their dwelling's balance and low-balance flag, entities of the hub's own
device beside every other dwelling's, so they are allowed alone.
"""

from __future__ import annotations

from homeassistant.const import Platform

from buildinghub_ha.access_groups import Residents, Scope, device_scope, entity_scope

from .const import DOMAIN
from .hub import MeterHub


def dwelling_residents(hub: MeterHub) -> Residents:
    """Each resident's meters and balance."""
    meters: dict[str, Scope] = {}
    for meter_id, context in hub.meters.items():
        dwelling = context.identity.dwelling
        meters[dwelling] = meters.get(dwelling, Scope()) | device_scope(
            hub.hass, hub.entry, meter_id
        )
    scopes: dict[str, Scope] = {}
    for dwelling, users in hub.residents.dwellings.items():
        entry_id = hub.entry.entry_id
        balance = entity_scope(
            hub.hass, DOMAIN, Platform.SENSOR, f"{entry_id}_balance_{dwelling}"
        ) | entity_scope(
            hub.hass, DOMAIN, Platform.BINARY_SENSOR, f"{entry_id}_low_balance_{dwelling}"
        )
        for user in users:
            scopes[user] = scopes.get(user, Scope()) | meters.get(dwelling, Scope()) | balance
    return Residents(scopes)
