"""Which of a meter's signed readings feed away detection, and when each was taken.

A reading counts at the time the meter signed into it (``created_at``), not
when the hub happened to receive it: readings a meter held through a radio
outage and hands over later belong to the quarter-hours they were taken in.
Only electricity readings carry the signal, and only those the meter's own key
signed are believed (the time is part of what is signed).
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


@dataclass(frozen=True, slots=True)
class RegisterReading:
    """The electricity register's total at the moment the meter took the reading."""

    taken_at: datetime
    kilowatt_hours: float


@dataclass(frozen=True, slots=True)
class SortedReadings:
    """What a batch of packets gives away detection, oldest first, and what it could not."""

    readings: list[RegisterReading]
    refused: int
    """Readings not believed: not signed by the meter's key, or taken in the future."""


def register_readings(
    packets: Iterable[ReadingPacket], meter_key: PublicKey, *, now: datetime
) -> SortedReadings:
    """The electricity readings among ``packets`` that ``meter_key`` signed, by creation time.

    A reading from after ``now`` (plus :data:`CLOCK_TOLERANCE`) comes from a meter
    whose clock runs ahead; believing it would push the household's history out.
    """
    readings: list[RegisterReading] = []
    refused = 0
    for packet in packets:
        if packet.reading.quantity is not Quantity.ELECTRICITY:
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
                taken_at=taken_at,
                kilowatt_hours=packet.reading.value / WH_PER_KWH,
            )
        )
    readings.sort(key=lambda reading: reading.taken_at)
    return SortedReadings(readings, refused)
