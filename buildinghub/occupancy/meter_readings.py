"""Which of a meter's signed readings feed away detection, and when each was taken.

A reading counts at the time the meter signed into it (``created_at``), not
when the hub happened to receive it: readings a meter held through a radio
outage and hands over later belong to the quarter-hours they were taken in.
Electricity is the signal, water the second one (a tap or a flush is a person);
gas is not used (heating burns it on its own). Only readings the meter's own
key signed are believed (the time is part of what is signed).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from buildinghub.credentials import PublicKey
from buildinghub.telemetry.errors import BadSignature
from buildinghub.telemetry.reading import Quantity, ReadingPacket, check_signature

WH_PER_KWH: Final = 1000
CLOCK_TOLERANCE: Final = timedelta(minutes=5)


#: Quantities away detection uses, and how many base units make its unit (kWh, litres).
UNITS_PER: Final = {Quantity.ELECTRICITY: WH_PER_KWH, Quantity.WATER: 1}


@dataclass(frozen=True, slots=True)
class RegisterReading:
    """A register's total (kWh of electricity, litres of water) when the meter took it."""

    quantity: Quantity
    taken_at: datetime
    total: float


@dataclass(frozen=True, slots=True)
class SortedReadings:
    """What a batch of packets gives away detection, oldest first, and what it could not."""

    readings: list[RegisterReading]
    refused: int
    """Readings not believed: not signed by the meter's key, or taken in the future."""


def register_readings(
    packets: Iterable[ReadingPacket], meter_key: PublicKey, *, now: datetime
) -> SortedReadings:
    """The electricity and water readings among ``packets`` that ``meter_key`` signed, by time.

    A reading from after ``now`` (plus :data:`CLOCK_TOLERANCE`) comes from a meter
    whose clock runs ahead; believing it would push the household's history out.
    """
    readings: list[RegisterReading] = []
    refused = 0
    for packet in packets:
        per_unit = UNITS_PER.get(packet.reading.quantity)
        if per_unit is None:
            continue
        taken_at = datetime.fromtimestamp(packet.reading.created_at, UTC)
        if taken_at > now + CLOCK_TOLERANCE:
            refused += 1
            continue
        try:
            check_signature(packet, meter_key)
        except BadSignature:
            refused += 1
            continue
        readings.append(
            RegisterReading(
                quantity=packet.reading.quantity,
                taken_at=taken_at,
                total=packet.reading.value / per_unit,
            )
        )
    readings.sort(key=lambda reading: reading.taken_at)
    return SortedReadings(readings, refused)
