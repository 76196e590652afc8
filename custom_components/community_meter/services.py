"""Community Meter's actions: the property manager says who lives in which dwelling."""

from __future__ import annotations

import probatio
from homeassistant.core import ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.helpers import config_validation as cv

from buildinghub_ha.actions import Action, entry_schema, loaded_entry
from buildinghub_ha.residents import MAX_RESIDENTS

from .const import DOMAIN
from .coordinator import CommunityMeterConfigEntry

ATTR_DWELLING = "dwelling"
ATTR_RESIDENTS = "residents"

SET_RESIDENTS_SCHEMA = entry_schema(
    {
        probatio.Required(ATTR_DWELLING): probatio.All(cv.string, probatio.Length(min=1, max=64)),
        probatio.Required(ATTR_RESIDENTS): probatio.All(
            cv.ensure_list, [cv.string], probatio.Length(max=MAX_RESIDENTS)
        ),
    }
)


async def _async_set_residents(call: ServiceCall) -> ServiceResponse:
    """The dwelling's residents are these users (and only they, with administrators, may
    press its Back home)."""
    entry: CommunityMeterConfigEntry = loaded_entry(call, DOMAIN)
    residents = await entry.runtime_data.hub.residents.async_set(
        call.data[ATTR_DWELLING], call.data[ATTR_RESIDENTS]
    )
    return {ATTR_DWELLING: call.data[ATTR_DWELLING], ATTR_RESIDENTS: sorted(residents)}


ACTIONS = (
    Action("set_residents", _async_set_residents, SET_RESIDENTS_SCHEMA, SupportsResponse.OPTIONAL),
)
