"""Home Assistant users as the manager adds them, for the integrations' tests."""

from __future__ import annotations

from homeassistant.auth.const import GROUP_ID_USER
from homeassistant.auth.permissions import PermissionLookup
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockUser


async def ordinary_user(hass: HomeAssistant, name: str) -> MockUser:
    """An ordinary (non-administrator) user, in system-users as the user page makes one.

    The harness's users and auth store have no registries to look entities up in; Home
    Assistant's own store gets them when it loads. A resident's group allows devices, which
    Home Assistant resolves through those registries, so they are given here.
    """
    lookup = PermissionLookup(er.async_get(hass), dr.async_get(hass))
    hass.auth._store._perm_lookup = lookup
    group = await hass.auth.async_get_group(GROUP_ID_USER)
    assert group is not None
    user = MockUser(name=name, groups=[group]).add_to_hass(hass)
    user.perm_lookup = lookup
    return user
