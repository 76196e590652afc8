"""The ``sim://`` radio backend: a simulated building behind an in-memory radio.

Registered through the ``buildinghub.radio_schemes`` entry point of this
distribution, so the library opens ``sim://`` paths without importing the
simulator.
"""

from __future__ import annotations

import os
from typing import Any

from buildinghub.radio.network import BuildingNetwork

from .application import SimulatedApplication
from .building import SIM_DIRECTORY, get_building, start_simulated_building


class SimulatedBackend:
    """Opens ``sim://`` radios: starts the building behind them first."""

    # The simulated coordinator keeps no database: its devices rejoin when it starts.
    keeps_database = False

    def application_class(self) -> type[Any]:
        """The in-memory ControllerApplication."""
        return SimulatedApplication

    async def prepare(self, path: str, config_dir: str) -> None:
        """Start (or load from the config directory) the building behind ``path``."""
        await start_simulated_building(path, os.path.join(config_dir, SIM_DIRECTORY))

    def started(self, path: str, network: BuildingNetwork) -> None:
        """Announce the building's devices the coordinator does not know yet."""
        building = get_building(path)
        if building is not None:
            building.announce({str(device.ieee) for device in network.devices()})


SIM_BACKEND = SimulatedBackend()
