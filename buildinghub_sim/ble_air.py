"""The simulated air of BLE parking locks: Bumble controllers on one in-process link.

Each BLE lock (buildinghub_sim.ble_parking_lock) is a Bumble device with its own controller
on the building's :class:`BleAir`. The air also has one central Bumble device, the hub's
radio seen from the locks: it scans (every advertisement goes to the air's listeners, which
is how Home Assistant's remote scanner hears them) and makes the GATT connections that the
bleak backend (buildinghub_sim.bumble_bleak) drives. Real Bumble stacks on both sides: HCI,
link layer, ATT and GATT as on air, without a radio.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from bumble.controller import Controller
from bumble.device import Advertisement, Device
from bumble.hci import Address
from bumble.host import Host
from bumble.link import LocalLink
from bumble.transport.common import AsyncPipeSink

from buildinghub.radio.schemes import HeardAdvertisement

_LOGGER = logging.getLogger(__name__)
CENTRAL_ADDRESS = "F0:B0:1B:00:00:00"


def new_device(link: LocalLink, name: str, address: str) -> Device:
    """A Bumble device with its own controller on ``link``."""
    controller = Controller(name, link=link)
    return Device(
        name=name, host=Host(controller, AsyncPipeSink(controller)), address=Address(address)
    )


class BleAir:
    """One building's simulated BLE: the link, and the hub-side central."""

    def __init__(self, name: str) -> None:
        """An empty air called ``name``."""
        self.name = name
        self.link = LocalLink()  # type: ignore[no-untyped-call]
        self.central = new_device(self.link, f"{name} central", CENTRAL_ADDRESS)
        self._listeners: list[Callable[[HeardAdvertisement], None]] = []
        self._started = False
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        """Power the central on and scan (passive: locks advertise their state)."""
        async with self._lock:
            if self._started:
                return
            await self.central.power_on()
            self.central.on("advertisement", self._on_advertisement)
            await self.central.start_scanning(active=False, filter_duplicates=False)
            self._started = True

    async def stop(self) -> None:
        """Stop scanning and drop connections."""
        async with self._lock:
            if not self._started:
                return
            self._started = False
            await self.central.stop_scanning()
            for connection in list(self.central.connections.values()):
                await connection.disconnect()

    def add_listener(self, listener: Callable[[HeardAdvertisement], None]) -> Callable[[], None]:
        """Hear every advertisement; returns a function that stops it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def _on_advertisement(self, advertisement: Advertisement) -> None:
        data: Any = advertisement.data
        manufacturer: dict[int, bytes] = {}
        for company, payload in _manufacturer_entries(data):
            manufacturer[company] = payload
        name = data.get(data.COMPLETE_LOCAL_NAME)
        heard = HeardAdvertisement(
            address=str(advertisement.address).split("/")[0],
            rssi=int(advertisement.rssi),
            local_name=name.decode() if isinstance(name, bytes) else name,
            manufacturer_data=manufacturer,
            service_uuids=[],
            connectable=bool(advertisement.is_connectable),
        )
        for listener in list(self._listeners):
            listener(heard)


def _manufacturer_entries(data: Any) -> list[tuple[int, bytes]]:
    entries = data.get_all(data.MANUFACTURER_SPECIFIC_DATA)
    return [(int(company), bytes(payload)) for company, payload in entries]


_AIRS: dict[str, BleAir] = {}


def get_ble_air(name: str) -> BleAir:
    """The air called ``name`` (made on first use)."""
    air = _AIRS.get(name)
    if air is None:
        air = _AIRS[name] = BleAir(name)
    return air


def find_ble_air(name: str) -> BleAir | None:
    """The air called ``name``, if one was made."""
    return _AIRS.get(name)


async def drop_ble_air(name: str) -> None:
    """Stop and forget an air (tests)."""
    air = _AIRS.pop(name, None)
    if air is not None:
        await air.stop()
