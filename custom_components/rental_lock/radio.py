"""This integration's handle on the hub's shared building network."""

from __future__ import annotations

from homeassistant.core import HomeAssistant

from buildinghub.radio.network import BuildingNetwork
from buildinghub.radio.shared import acquire_network, probe_network, shared_registry


async def async_probe(hass: HomeAssistant, path: str) -> None:
    """Check a radio answers before an entry is created (raises RadioUnavailable)."""
    await probe_network(shared_registry(hass.data), path, hass.config.config_dir)


async def async_acquire_network(hass: HomeAssistant, path: str) -> BuildingNetwork:
    """The running network on ``path``, opened if this is its first user."""
    return await acquire_network(shared_registry(hass.data), path, hass.config.config_dir)


async def async_release_network(hass: HomeAssistant, network: BuildingNetwork) -> None:
    """Let go of a network; it stops when its last user lets go."""
    await shared_registry(hass.data).release(network)
