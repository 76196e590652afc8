"""A meter's firmware with its keys and the cloud's, for the telemetry library tests."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from buildinghub.credentials import SigningKey
from buildinghub.telemetry.reading import Quantity, ReadingPacket
from buildinghub.telemetry.receipt import EraseCommand, ReceiptedBatch, ReceiptEntry, issue_receipt
from buildinghub_sim.meter_firmware import MeterFirmware

NOW = 1_767_225_600


class Clock:
    def __init__(self) -> None:
        self.time = NOW

    def now(self) -> int:
        return self.time


@dataclass
class Bench:
    firmware: MeterFirmware
    meter_key: SigningKey
    cloud_key: SigningKey

    def batch(self, *packets: ReadingPacket, key: SigningKey | None = None) -> ReceiptedBatch:
        """A batch receipt as the cloud signs it: these readings among other meters' readings."""
        others = [ReceiptEntry(f"meter-{n}", 1, bytes([n]) * 32, NOW) for n in range(5)]
        ours = [ReceiptEntry.of(p, NOW) for p in packets]
        return issue_receipt([*others, *ours], key or self.cloud_key)

    def erase_command(self, *packets: ReadingPacket, key: SigningKey | None = None) -> EraseCommand:
        """The erase command for ``packets`` (all of one meter) out of a batch receipt."""
        (command,) = [
            c
            for c in self.batch(*packets, key=key).commands
            if c.meter_id == packets[0].reading.meter_id
        ]
        return command


@pytest.fixture
def bench() -> Bench:
    meter_key, cloud_key = SigningKey.generate(), SigningKey.generate()
    firmware = MeterFirmware(
        "meter-1a-e",
        dwelling="1A",
        quantity=Quantity.ELECTRICITY,
        key=meter_key,
        cloud_key=cloud_key.public_key,
        clock=Clock(),
        capacity=8,
        retry_limit=3,
    )
    return Bench(firmware, meter_key, cloud_key)
