"""The hub reads each meter's total with the meter's own scaling, over the simulated radio."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from buildinghub.credentials import MonotonicClock, SigningKey
from buildinghub.devices.meter import MeterClient
from buildinghub.devices.meter_scaling import MeterScaling, MeterUnit
from buildinghub.radio.network import BuildingNetwork
from buildinghub.telemetry.reading import Quantity
from buildinghub_sim.medium import drop_medium, get_medium
from buildinghub_sim.meter import SimulatedMeter
from buildinghub_sim.meter_firmware import MeterFirmware
from buildinghub_sim.meter_register import MeterRegister
from tests.buildinghub.zigbee import Initialized


def make_meter(quantity: Quantity, register: MeterRegister | None) -> SimulatedMeter:
    firmware = MeterFirmware(
        "meter-1a",
        dwelling="1A",
        quantity=quantity,
        key=SigningKey.generate(),
        cloud_key=SigningKey.generate().public_key,
        clock=MonotonicClock(),
    )
    return SimulatedMeter(firmware, ieee="00:0d:6f:00:00:00:40:01", nwk=0x4001, register=register)


@pytest.fixture
async def network(request: pytest.FixtureRequest) -> AsyncIterator[BuildingNetwork]:
    path = f"sim://meter-{request.node.name}"
    building = BuildingNetwork(path)
    await building.start()
    yield building
    await building.stop()
    await drop_medium(path)


async def join(network: BuildingNetwork, meter: SimulatedMeter) -> MeterClient:
    initialized = Initialized()
    network.add_listener(initialized)
    get_medium(network.path).join(meter)
    async with asyncio.timeout(5):
        return MeterClient(await initialized.device)


async def test_the_default_meter_counts_watt_hours_shown_as_kilowatt_hours(
    network: BuildingNetwork,
) -> None:
    meter = make_meter(Quantity.ELECTRICITY, None)
    client = await join(network, meter)
    meter.measure(1234)

    status = await client.read_status()

    assert status.scaling == MeterScaling(1, 1000, MeterUnit.KILOWATT_HOURS)
    assert (status.total, status.scaled_total) == (1234, Decimal("1.234"))


async def test_a_meter_with_its_own_multiplier_divisor_and_unit_is_read_with_them(
    network: BuildingNetwork,
) -> None:
    # A water meter whose register counts half-litres: 5 counts of a tenth of a litre.
    meter = make_meter(Quantity.WATER, MeterRegister(MeterUnit.LITRES, multiplier=5, divisor=10))
    client = await join(network, meter)
    meter.measure(301)

    status = await client.read_status()

    assert status.scaling == MeterScaling(5, 10, MeterUnit.LITRES)
    assert status.total == 602
    assert status.scaled_total == Decimal(301)


async def test_a_report_comes_with_the_scaling_the_last_status_read_found(
    network: BuildingNetwork,
) -> None:
    meter = make_meter(Quantity.ELECTRICITY, MeterRegister(MeterUnit.KILOWATT_HOURS, 1, 100))
    client = await join(network, meter)
    heard: asyncio.Queue[Decimal | None] = asyncio.Queue()
    stop = client.add_report_listener(heard.put_nowait)

    meter.measure(500)
    before_any_status = await asyncio.wait_for(heard.get(), timeout=2)
    await client.read_status()
    meter.measure(1234)
    after_a_status = await asyncio.wait_for(heard.get(), timeout=2)
    stop()
    meter.measure(1)
    await asyncio.sleep(0.05)

    assert before_any_status is None
    assert after_a_status == Decimal("1.73")  # 1734 Wh, a register of 10 Wh counts
    assert heard.empty()


@pytest.mark.parametrize(
    ("register", "problem"),
    [
        (MeterRegister(MeterUnit.KILOWATT_HOURS, 1, 0), "divisor is 0"),
        (MeterRegister(0x42, 1, 1000), "unit of measure 0x42 is not one the hub understands"),
    ],
    ids=["divisor_0", "unknown_unit"],
)
async def test_an_unusable_scaling_is_stated_and_logged_once_and_the_rest_is_still_read(
    network: BuildingNetwork,
    register: MeterRegister,
    problem: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    meter = make_meter(Quantity.ELECTRICITY, register)
    client = await join(network, meter)
    meter.measure(10)

    with caplog.at_level(logging.WARNING, logger="buildinghub.devices.meter"):
        first = await client.read_status()
        second = await client.read_status()

    assert first == second
    assert (first.scaling, first.scaled_total) == (None, None)
    assert first.scaling_problem is not None
    assert problem in first.scaling_problem
    assert str(meter.ieee) in first.scaling_problem
    assert first.held == 1
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert problem in warnings[0]
