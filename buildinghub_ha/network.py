"""A config entry's hold on the hub's building network, and the hub that runs on it.

One radio, one owner: every entry on a radio path shares the one network that
``buildinghub.radio.shared`` keeps in ``hass.data``. An entry holds it from setup
until it unloads, and its hub starts after the network and stops before it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryNotReady

from buildinghub.radio.errors import RadioUnavailable
from buildinghub.radio.network import BuildingNetwork
from buildinghub.radio.shared import acquire_network, probe_network, shared_registry

from .const import CONF_RADIO_PATH


class Hub(Protocol):
    """What an integration runs on the network for one config entry."""

    async def async_start(self) -> None:
        """Load what the hub keeps and take over its devices."""

    async def async_stop(self) -> None:
        """Let go of the devices (the network is still up)."""


async def async_probe_network(hass: HomeAssistant, path: str) -> None:
    """Check that the radio on ``path`` answers (raises RadioUnavailable)."""
    await probe_network(shared_registry(hass.data), path, hass.config.config_dir)


async def async_start_hub[HubT: Hub](
    hass: HomeAssistant,
    entry: ConfigEntry[Any],
    make_hub: Callable[[BuildingNetwork], Awaitable[HubT]],
) -> HubT:
    """Open the entry's radio and start the hub ``make_hub`` makes on it.

    Both close when the entry unloads (the hub first); when the radio does not
    answer, the entry retries later (ConfigEntryNotReady). ``make_hub`` also
    stores the entry's runtime data, which the hub's start may already use.
    """
    path: str = entry.data[CONF_RADIO_PATH]
    registry = shared_registry(hass.data)
    try:
        network = await acquire_network(registry, path, hass.config.config_dir)
    except RadioUnavailable as err:
        raise ConfigEntryNotReady(
            translation_domain=entry.domain,
            translation_key="radio_unavailable",
            translation_placeholders={"path": path},
        ) from err
    try:
        hub = await make_hub(network)
    except BaseException:
        await registry.release(network)
        raise

    async def close() -> None:
        try:
            await hub.async_stop()
        finally:
            await registry.release(network)

    try:
        await hub.async_start()
    except BaseException:
        await close()
        raise
    entry.async_on_unload(close)
    return hub
