"""What a meter's running total means: its own multiplier, divisor and unit (ZCL Metering).

A Metering cluster (0x0702) states the total as a raw count (CurrentSummationDelivered,
0x0000) and says what one count is with three attributes of its own: UnitofMeasure
(0x0300), Multiplier (0x0301) and Divisor (0x0302). The quantity is
``raw * multiplier / divisor`` in that unit. Meters differ (one counts watt-hours with a
divisor of 1000, another tenths of a litre), so the hub reads them from each meter and
never assumes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import IntEnum
from typing import Final

MAX_FACTOR: Final = 0xFFFFFF
"""Multiplier and divisor are 24-bit unsigned integers."""


class MeterScalingError(ValueError):
    """A meter states a scaling the hub cannot use (the message says which part and why)."""


class MeterUnit(IntEnum):
    """The units of measure (ZCL UnitofMeasure, binary formatting) the hub understands."""

    KILOWATT_HOURS = 0x00
    CUBIC_METRES = 0x01
    CUBIC_FEET = 0x02
    HUNDRED_CUBIC_FEET = 0x03
    US_GALLONS = 0x04
    LITRES = 0x07


@dataclass(frozen=True, slots=True)
class MeterScaling:
    """How one meter's raw total becomes a quantity in its unit."""

    multiplier: int
    divisor: int
    unit: MeterUnit

    def __post_init__(self) -> None:
        for name in ("multiplier", "divisor"):
            factor = getattr(self, name)
            if type(factor) is not int or not 1 <= factor <= MAX_FACTOR:
                raise MeterScalingError(
                    f"{name} is {factor!r}; the hub needs an integer from 1 to {MAX_FACTOR}"
                )
        if not isinstance(self.unit, MeterUnit):
            raise MeterScalingError(f"unit is {self.unit!r}, not a MeterUnit")

    @classmethod
    def from_zcl(cls, unit_of_measure: int, multiplier: int, divisor: int) -> MeterScaling:
        """The scaling the three Metering attributes state (raises MeterScalingError)."""
        try:
            unit = MeterUnit(int(unit_of_measure))
        except ValueError:
            raise MeterScalingError(
                f"unit of measure 0x{int(unit_of_measure):02X} is not one the hub understands"
            ) from None
        return cls(int(multiplier), int(divisor), unit)

    def quantity(self, raw: int) -> Decimal:
        """The quantity a raw total stands for, in :attr:`unit` (exact where it can be)."""
        if raw < 0:
            raise MeterScalingError(f"a running total is never negative, got {raw}")
        return Decimal(raw) * self.multiplier / self.divisor
