"""The hubs loaded now, as the role pages and the manager's role ask them (SPEC H8, M5).

Each loaded config entry of the three integrations adds its hub here while it is loaded; a
hub says which of its devices are a user's, which hub-wide entities belong to a flat, and
which of its entities are raw readings.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final, Protocol

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.util.hass_dict import HassKey

DOMAINS: Final = ("rental_lock", "parking_lock", "community_meter")
_SOURCES: HassKey[dict[str, HubSource]] = HassKey("buildinghub_hub_sources")


class HubSource(Protocol):
    """What a hub tells the pages and the roles about its devices and entities."""

    def devices_of(self, user_id: str) -> Iterable[str]:
        """The ids (``DeviceCard.device_id``) of the user's devices on this hub."""

    def area_entities(self, areas: set[str]) -> Iterable[str]:
        """Unique ids of hub-wide entities that belong to these areas' dwellings."""

    def let_devices_of(self, user_id: str) -> Iterable[str]:
        """The ids of the devices of the flats ``user_id`` is the linked landlord of."""

    def raw_readings(self) -> Iterable[str]:
        """Unique ids of entities that carry a dwelling's raw readings or what they cost,
        beyond those a metered device class already says (SPEC M5)."""


def hub_sources(hass: HomeAssistant) -> list[HubSource]:
    """Every loaded hub."""
    return list(hass.data.get(_SOURCES, {}).values())


def add_source(hass: HomeAssistant, entry: ConfigEntry[object], source: HubSource) -> None:
    """Add ``entry``'s hub while the entry is loaded."""
    key = f"{entry.domain}:{entry.entry_id}"
    hass.data.setdefault(_SOURCES, {})[key] = source

    def forget() -> None:
        hass.data.get(_SOURCES, {}).pop(key, None)

    entry.async_on_unload(forget)


def raw_reading_ids(hass: HomeAssistant) -> frozenset[str]:
    """Unique ids every loaded hub names as raw readings."""
    return frozenset(unique for source in hub_sources(hass) for unique in source.raw_readings())
