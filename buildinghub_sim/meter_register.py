"""A simulated meter's register: the raw count its Metering cluster states, and its scaling.

The firmware keeps its running total in base units (Wh, litres), as its signed readings
carry it. The register on the Metering cluster counts in whatever the meter was built
with, and states that with its unit of measure, multiplier and divisor: one count is
``multiplier / divisor`` units. A register keeps whole counts, so it truncates.

Nothing here is checked: a simulated meter may state what a faulty meter states (a
divisor of 0, a unit no hub knows), which is how the hub's handling of those is tested.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Final

from buildinghub.devices.meter_scaling import MeterUnit
from buildinghub.telemetry.reading import Quantity

BASE_UNITS_PER_UNIT: Final[dict[int, Fraction]] = {
    MeterUnit.KILOWATT_HOURS: Fraction(1000),
    MeterUnit.CUBIC_METRES: Fraction(1000),
    MeterUnit.CUBIC_FEET: Fraction("28.316846592"),
    MeterUnit.HUNDRED_CUBIC_FEET: Fraction("2831.6846592"),
    MeterUnit.US_GALLONS: Fraction("3.785411784"),
    MeterUnit.LITRES: Fraction(1),
}
"""Wh per kWh, litres per volume unit (exact by definition of the foot and the gallon)."""


@dataclass(frozen=True, slots=True)
class MeterRegister:
    """The unit of measure (a ZCL code), multiplier and divisor a meter states."""

    unit_of_measure: int
    multiplier: int = 1
    divisor: int = 1000

    def count(self, total: int) -> int:
        """The register's raw count for a firmware total in base units.

        A register whose multiplier or divisor is 0, or whose unit is unknown, counts
        base units.
        """
        per_unit = BASE_UNITS_PER_UNIT.get(self.unit_of_measure)
        if per_unit is None or self.multiplier == 0 or self.divisor == 0:
            return total
        return int(total * self.divisor / (self.multiplier * per_unit))


DEFAULT_REGISTERS: Final = {
    Quantity.ELECTRICITY: MeterRegister(MeterUnit.KILOWATT_HOURS, 1, 1000),
    Quantity.WATER: MeterRegister(MeterUnit.CUBIC_METRES, 1, 1000),
    Quantity.GAS: MeterRegister(MeterUnit.CUBIC_METRES, 1, 1000),
}
"""Registers counting base units: Wh shown as kWh, litres shown as cubic metres."""
