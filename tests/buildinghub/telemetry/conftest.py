"""A meter's firmware with its keys and the cloud's, for the telemetry library tests."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from buildinghub.credentials import SigningKey
from buildinghub.telemetry.reading import Quantity, ReadingPacket
from buildinghub.telemetry.receipt import StorageReceipt, issue_receipt
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

    def receipt(self, packet: ReadingPacket, key: SigningKey | None = None) -> StorageReceipt:
        return issue_receipt(packet, NOW, key or self.cloud_key)


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
