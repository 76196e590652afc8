"""The building's meters for the demo: on the building's air, using energy, kept on disk.

A real meter keeps its key, running total, next sequence number and the readings the cloud
has not acknowledged in flash. The simulated ones keep the same in ``meters.json`` (mode
0600), written after every round of consumption, so a demo that is stopped and started again
goes on where it stopped: no sequence number is used twice and no held reading is lost
(one the hub had already relayed is offered again and the cloud acknowledges it again).
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

from buildinghub.credentials import Clock, MonotonicClock, PublicKey, SigningKey
from buildinghub.telemetry.reading import Quantity, decode_packet

from .medium import get_medium
from .meter import SimulatedMeter
from .meter_firmware import MeterFirmware, StorageUnit
from .private_file import write_private

METERS_FILE: Final = "meters.json"
DEMO_METERS: Final = (
    ("1A", Quantity.ELECTRICITY),
    ("1A", Quantity.WATER),
    ("1B", Quantity.ELECTRICITY),
    ("1B", Quantity.GAS),
)
# Base units used per round, at most: Wh, litres of water, litres of gas.
_USE: Final = {Quantity.ELECTRICITY: 40, Quantity.WATER: 6, Quantity.GAS: 12}
CONSUMPTION_INTERVAL_S: Final = 60.0
_BANKS: dict[str, MeterBank] = {}


def _meter_id(dwelling: str, quantity: Quantity) -> str:
    return f"meter-{dwelling.lower()}-{quantity.name[0].lower()}"


def _radio(firmware: MeterFirmware, index: int) -> SimulatedMeter:
    return SimulatedMeter(
        firmware, ieee=f"00:0d:6f:00:00:00:40:{index + 1:02x}", nwk=0x4000 + index
    )


class MeterBank:
    """The meters of one simulated building and the consumption that moves them."""

    def __init__(
        self,
        path: str,
        meters: list[SimulatedMeter],
        keys: dict[str, SigningKey],
        cloud_key: PublicKey,
    ) -> None:
        """Use :meth:`create` or :meth:`load`."""
        self.path = path
        self.meters = meters
        self._keys = keys
        self._cloud_key = cloud_key
        self._task: asyncio.Task[None] | None = None

    @classmethod
    def create(
        cls,
        path: str,
        *,
        cloud_key: PublicKey,
        dwellings: Sequence[tuple[str, Quantity]] = DEMO_METERS,
        clock: Clock | None = None,
    ) -> MeterBank:
        """New meters, each with its own key, provisioned with the cloud's receipt key."""
        clock = clock or MonotonicClock()
        keys = {_meter_id(*meter): SigningKey.generate() for meter in dwellings}
        meters = [
            _radio(
                MeterFirmware(
                    _meter_id(dwelling, quantity),
                    dwelling=dwelling,
                    quantity=quantity,
                    key=keys[_meter_id(dwelling, quantity)],
                    cloud_key=cloud_key,
                    clock=clock,
                ),
                index,
            )
            for index, (dwelling, quantity) in enumerate(dwellings)
        ]
        return cls(path, meters, keys, cloud_key)

    def state(self) -> dict[str, Any]:
        """What each meter's flash holds."""
        return {
            "cloud_key": self._cloud_key.to_bytes().hex(),
            "meters": [
                {
                    "meter_id": meter.firmware.meter_id,
                    "dwelling": meter.firmware.dwelling,
                    "quantity": meter.firmware.quantity.name,
                    "key": self._keys[meter.firmware.meter_id].to_pem().decode(),
                    "total": meter.firmware.total,
                    "next_sequence": meter.firmware.next_sequence,
                    "held": [
                        [unit.packet.encoded.hex(), unit.failures]
                        for unit in meter.firmware.memory.values()
                    ],
                }
                for meter in self.meters
            ],
        }

    def save(self, directory: Path) -> None:
        """Write every meter's flash to ``directory`` (mode 0600)."""
        write_private(directory / METERS_FILE, json.dumps(self.state(), indent=1))

    @classmethod
    def load(cls, path: str, directory: Path, *, clock: Clock | None = None) -> MeterBank:
        """The meters :meth:`save` wrote, on the building network ``path``."""
        state: dict[str, Any] = json.loads((directory / METERS_FILE).read_text())
        clock = clock or MonotonicClock()
        cloud_key = PublicKey.from_bytes(bytes.fromhex(state["cloud_key"]))
        keys = {
            item["meter_id"]: SigningKey.from_pem(item["key"].encode()) for item in state["meters"]
        }
        meters = []
        for index, item in enumerate(state["meters"]):
            firmware = MeterFirmware(
                item["meter_id"],
                dwelling=item["dwelling"],
                quantity=Quantity[item["quantity"]],
                key=keys[item["meter_id"]],
                cloud_key=cloud_key,
                clock=clock,
                total=int(item["total"]),
            )
            firmware.next_sequence = int(item["next_sequence"])
            for encoded, failures in item["held"]:
                packet = decode_packet(bytes.fromhex(encoded))
                firmware.memory[packet.reading.sequence] = StorageUnit(packet, int(failures))
            meters.append(_radio(firmware, index))
        return cls(path, meters, keys, cloud_key)

    def power_on(self, directory: Path, interval_s: float = CONSUMPTION_INTERVAL_S) -> None:
        """Join the meters to the air, start their timers and the households' consumption."""
        medium = get_medium(self.path)
        for meter in self.meters:
            medium.join(meter)
            meter.power_on()
        if self._task is None:
            loop = asyncio.get_running_loop()
            self._task = loop.create_task(self._consume(directory, interval_s))

    def power_off(self) -> None:
        """Stop the consumption and the meters' timers."""
        if self._task is not None:
            self._task.cancel()
            self._task = None
        for meter in self.meters:
            meter.power_off()

    async def _consume(self, directory: Path, interval_s: float) -> None:
        rng = random.Random()  # noqa: S311 - how much energy a flat uses is not a secret
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(interval_s)
            for meter in self.meters:
                meter.measure(rng.randint(0, _USE[meter.firmware.quantity]))
            state = json.dumps(self.state(), indent=1)
            await loop.run_in_executor(None, write_private, directory / METERS_FILE, state)


async def start_meters(path: str, directory: Path) -> MeterBank | None:
    """The meters saved in ``directory``, powered on once on ``path`` (None if there are none)."""
    if path in _BANKS:
        return _BANKS[path]
    if not (directory / METERS_FILE).exists():
        return None
    loop = asyncio.get_running_loop()
    bank = await loop.run_in_executor(None, MeterBank.load, path, directory)
    if path in _BANKS:
        return _BANKS[path]
    _BANKS[path] = bank
    bank.power_on(directory)
    return bank


def stop_meters(path: str) -> None:
    """Power the meters on ``path`` off and forget them."""
    bank = _BANKS.pop(path, None)
    if bank is not None:
        bank.power_off()
