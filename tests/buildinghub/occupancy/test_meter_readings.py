"""Which signed meter readings feed away detection, and at which time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from buildinghub.credentials import SigningKey
from buildinghub.occupancy.meter_readings import register_readings
from buildinghub.telemetry.reading import Quantity, Reading, ReadingPacket, sign_reading

TAKEN = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
METER = SigningKey.generate()


def _packet(
    sequence: int,
    taken: datetime,
    watt_hours: int,
    *,
    quantity: Quantity = Quantity.ELECTRICITY,
    key: SigningKey = METER,
) -> ReadingPacket:
    reading = Reading("meter-1a-e", sequence, quantity, watt_hours, int(taken.timestamp()), "1A")
    return sign_reading(reading, key)


def test_readings_count_at_their_signed_time_in_the_order_they_were_taken() -> None:
    late = [_packet(2, TAKEN + timedelta(minutes=5), 1500), _packet(1, TAKEN, 1000)]

    batch = register_readings(late, METER.public_key, now=TAKEN + timedelta(hours=3))

    assert [(r.taken_at, r.total) for r in batch.readings] == [
        (TAKEN, 1.0),
        (TAKEN + timedelta(minutes=5), 1.5),
    ]
    assert batch.refused == 0


def test_a_reading_another_key_signed_is_not_believed() -> None:
    forged = _packet(1, TAKEN, 1000, key=SigningKey.generate())

    batch = register_readings([forged], METER.public_key, now=TAKEN)

    assert batch.readings == []
    assert batch.refused == 1


def test_a_reading_from_the_future_is_not_believed() -> None:
    ahead = _packet(1, TAKEN + timedelta(hours=1), 1000)

    batch = register_readings([ahead], METER.public_key, now=TAKEN)

    assert batch.readings == []
    assert batch.refused == 1


def test_water_counts_in_litres_and_gas_not_at_all() -> None:
    water = _packet(1, TAKEN, 40, quantity=Quantity.WATER)
    gas = _packet(2, TAKEN, 900, quantity=Quantity.GAS)

    batch = register_readings([water, gas], METER.public_key, now=TAKEN)

    assert [(r.quantity, r.total) for r in batch.readings] == [(Quantity.WATER, 40.0)]
    assert batch.refused == 0
