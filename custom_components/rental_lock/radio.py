"""The building network shared by every Building Hub integration on this hub.

One radio, one owner: the first integration to need a radio path opens it,
the last one to let go closes it. The simulated building (the embedded
default) is started here too, so choosing it in the config flow gives a
building to manage without any hardware.
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.util.hass_dict import HassKey

from buildinghub.radio.network import BuildingNetwork, NetworkRegistry
from buildinghub.sim.building import SIM_DIRECTORY, is_simulated, start_simulated_building

DATA_NETWORKS: HassKey[NetworkRegistry] = HassKey("buildinghub_networks")


def _registry(hass: HomeAssistant) -> NetworkRegistry:
    return hass.data.setdefault(DATA_NETWORKS, NetworkRegistry())


async def async_probe(hass: HomeAssistant, path: str) -> None:
    """Check a radio answers before an entry is created (raises RadioUnavailable)."""
    network = await async_acquire_network(hass, path)
    await async_release_network(hass, network)


async def async_acquire_network(hass: HomeAssistant, path: str) -> BuildingNetwork:
    """The running network on ``path``, opened if this is its first user."""
    if not is_simulated(path):
        return await _registry(hass).acquire(
            path, database_path=hass.config.path("buildinghub_zigbee.db")
        )
    building = await start_simulated_building(path, hass.config.path(SIM_DIRECTORY))
    network = await _registry(hass).acquire(path)
    # The simulated coordinator keeps no database: its locks rejoin when it starts.
    building.announce({str(device.ieee) for device in network.devices()})
    return network


async def async_release_network(hass: HomeAssistant, network: BuildingNetwork) -> None:
    """Let go of a network; it stops when its last user lets go."""
    await _registry(hass).release(network)
