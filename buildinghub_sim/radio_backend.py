"""The ``sim://`` radio backend: a simulated building behind an in-memory radio.

Registered through the ``buildinghub.radio_schemes`` entry point of this
distribution, so the library opens ``sim://`` paths without importing the
simulator.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from buildinghub.radio.network import BuildingNetwork
from buildinghub.radio.schemes import BleAirway, FingerprintReader, HeardAdvertisement

from .application import SimulatedApplication
from .ble_air import BleAir, find_ble_air
from .building import SIM_DIRECTORY, get_building, start_simulated_building
from .bumble_bleak import BumbleBleakClient
from .fingers import finger_template


@dataclass(frozen=True, slots=True)
class SimulatedAirway:
    """The building's BLE air as Home Assistant's bluetooth meets it: a remote scanner."""

    air: BleAir

    @property
    def name(self) -> str:
        """The air's name (the radio path)."""
        return self.air.name

    def client_class(self) -> type[Any]:
        """Bumble's GATT client behind bleak's backend interface."""
        return BumbleBleakClient

    def add_listener(self, listener: Callable[[HeardAdvertisement], None]) -> Callable[[], None]:
        """Hear every advertisement the hub's simulated central hears."""
        return self.air.add_listener(listener)

    async def start(self) -> None:
        """Power the central on and scan."""
        await self.air.start()

    async def stop(self) -> None:
        """Stop scanning and drop connections."""
        await self.air.stop()


class SimulatedReader:
    """The simulated enrolment station's reader: each person's finger gives one template."""

    def capture(self, person: str) -> bytes:
        """The template of ``person``'s right index finger."""
        return finger_template(person)


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

    def ble_airway(self, path: str) -> BleAirway | None:
        """The building's BLE air, when its car park has BLE bays."""
        air = find_ble_air(path)
        return None if air is None else SimulatedAirway(air)

    def fingerprint_reader(self, path: str) -> FingerprintReader | None:
        """The simulated station's reader, while the building behind ``path`` runs."""
        return SimulatedReader() if get_building(path) is not None else None


SIM_BACKEND = SimulatedBackend()
