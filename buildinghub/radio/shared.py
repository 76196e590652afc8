"""The building network shared by every Building Hub integration on one hub.

One radio, one owner: the first integration to need a radio path opens it,
the last one to let go closes it. Home Assistant keeps one registry in
``hass.data`` under :data:`REGISTRY_KEY`; the integrations hand that mapping
and their config directory to these functions, so this module stays free of
Home Assistant imports. The radio's backend (:mod:`.schemes`) is asked to
bring up what stands behind the radio first: the simulator's starts the
simulated building, so choosing it in a config flow gives a building to manage
without any hardware.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from typing import Any, Final

from .network import BuildingNetwork, NetworkRegistry
from .schemes import backend_for

REGISTRY_KEY: Final = "buildinghub_networks"
ZIGBEE_DATABASE: Final = "buildinghub_zigbee.db"


def shared_registry(store: MutableMapping[Any, Any]) -> NetworkRegistry:
    """The registry every integration of this hub shares (made on first use)."""
    registry = store.setdefault(REGISTRY_KEY, NetworkRegistry())
    assert isinstance(registry, NetworkRegistry)
    return registry


async def acquire_network(registry: NetworkRegistry, path: str, config_dir: str) -> BuildingNetwork:
    """The running network on ``path``, opened if this is its first user."""
    backend = backend_for(path)
    await backend.prepare(path, config_dir)
    database = os.path.join(config_dir, ZIGBEE_DATABASE) if backend.keeps_database else None
    network = await registry.acquire(path, database_path=database)
    backend.started(path, network)
    return network


async def probe_network(registry: NetworkRegistry, path: str, config_dir: str) -> None:
    """Check a radio answers before an entry is created (raises RadioUnavailable)."""
    network = await acquire_network(registry, path, config_dir)
    await registry.release(network)
