"""``<domain>.set_managers``: the installer (an administrator) names the property managers.

Every integration registers the same action over the one building-wide list, so whichever
of them a building installed, the manager's login can be made.
"""

from __future__ import annotations

import probatio
from homeassistant.core import ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.helpers import config_validation as cv
from homeassistant.util.json import JsonValueType

from .actions import Action
from .manager_role import MAX_MANAGERS, async_manager_role

ATTR_USERS = "users"
SET_MANAGERS_SCHEMA = probatio.Schema(
    {
        probatio.Required(ATTR_USERS): probatio.All(
            cv.ensure_list, [cv.string], probatio.Length(max=MAX_MANAGERS + 1)
        )
    }
)


async def _async_set_managers(call: ServiceCall) -> ServiceResponse:
    role = await async_manager_role(call.hass)
    chosen = await role.async_set(call.data[ATTR_USERS], call.domain)
    managers: list[JsonValueType] = []
    managers.extend(sorted(chosen))
    return {"managers": managers}


SET_MANAGERS = Action(
    "set_managers",
    _async_set_managers,
    SET_MANAGERS_SCHEMA,
    SupportsResponse.OPTIONAL,
    managers=False,
)
"""Administrators only: a manager cannot make more managers."""
