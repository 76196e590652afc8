"""A meter's total means what its own multiplier, divisor and unit say, or the hub refuses it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from buildinghub.devices.meter_scaling import MAX_FACTOR, MeterScaling, MeterScalingError, MeterUnit


def test_a_raw_total_is_multiplied_then_divided_exactly() -> None:
    scaling = MeterScaling.from_zcl(0x00, 1, 1000)

    assert scaling == MeterScaling(1, 1000, MeterUnit.KILOWATT_HOURS)
    assert scaling.quantity(1234) == Decimal("1.234")
    assert scaling.quantity(0) == 0


def test_a_meter_counting_in_steps_of_five_tenths() -> None:
    scaling = MeterScaling.from_zcl(0x07, 5, 10)

    assert scaling.unit is MeterUnit.LITRES
    assert scaling.quantity(7) == Decimal("3.5")


def test_the_largest_register_and_factors_lose_nothing() -> None:
    scaling = MeterScaling(MAX_FACTOR, 1, MeterUnit.CUBIC_METRES)

    assert scaling.quantity((1 << 48) - 1) == Decimal((1 << 48) - 1) * MAX_FACTOR


@pytest.mark.parametrize(
    ("multiplier", "divisor", "message"),
    [
        (1, 0, "divisor is 0; the hub needs an integer from 1 to 16777215"),
        (0, 1000, "multiplier is 0; the hub needs an integer from 1 to 16777215"),
        (1, MAX_FACTOR + 1, "divisor is 16777216"),
    ],
)
def test_a_factor_outside_one_to_the_24_bit_limit_is_refused(
    multiplier: int, divisor: int, message: str
) -> None:
    with pytest.raises(MeterScalingError, match=message):
        MeterScaling.from_zcl(0x00, multiplier, divisor)


@pytest.mark.parametrize("code", [0x42, 0x05, 0x80])
def test_a_unit_the_hub_does_not_understand_is_named_in_the_refusal(code: int) -> None:
    with pytest.raises(MeterScalingError, match=f"unit of measure 0x{code:02X} is not one"):
        MeterScaling.from_zcl(code, 1, 1000)


def test_a_negative_total_is_refused() -> None:
    with pytest.raises(MeterScalingError, match="never negative"):
        MeterScaling(1, 1000, MeterUnit.KILOWATT_HOURS).quantity(-1)
