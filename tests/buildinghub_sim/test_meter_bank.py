"""The demo's meters kept on disk: a restart goes on where it stopped."""

from __future__ import annotations

import asyncio
import base64
import json
import stat
import sys
from pathlib import Path

import pytest

from buildinghub.credentials import SigningKey
from buildinghub.telemetry.reading import verify_packet
from buildinghub_sim.building import (
    SimulatedBuilding,
    main,
    start_simulated_building,
)
from buildinghub_sim.medium import get_medium
from buildinghub_sim.meter_bank import METERS_FILE, MeterBank, start_meters

CLOUD = SigningKey.generate()


def test_the_add_meters_command_provisions_meters_with_the_clouds_key(
    tmp_path: Path,
    path: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    SimulatedBuilding.create(path, flats=2).save(tmp_path)
    cloud_key = base64.b64encode(CLOUD.public_key.to_bytes()).decode()
    argv = ["building", "add-meters", str(tmp_path), "--cloud-key", cloud_key]
    monkeypatch.setattr(sys, "argv", argv)

    main()

    printed = json.loads(capsys.readouterr().out)
    assert printed == {"meters": ["meter-1a-e", "meter-1a-w", "meter-1b-e", "meter-1b-g"]}
    assert stat.S_IMODE((tmp_path / METERS_FILE).stat().st_mode) == 0o600
    assert "PRIVATE KEY" not in capsys.readouterr().out


def test_a_reloaded_meter_keeps_its_key_total_sequence_and_held_readings(
    tmp_path: Path, path: str
) -> None:
    bank = MeterBank.create(path, cloud_key=CLOUD.public_key)
    meter = bank.meters[0]
    first = meter.firmware.measure(120)
    meter.firmware.measure(30)
    bank.save(tmp_path)

    again = MeterBank.load(path, tmp_path).meters[0].firmware

    assert (again.total, again.next_sequence) == (150, 3)
    assert [unit.packet.encoded for unit in again.memory.values()] == [
        unit.packet.encoded for unit in meter.firmware.memory.values()
    ]
    assert again.held_after(0) == first
    following = again.measure(5)
    assert following.reading.sequence == 3
    verify_packet(following.encoded, meter.firmware.public_key)  # the same key signs


async def test_the_meters_start_with_their_building_use_energy_and_write_their_flash(
    tmp_path: Path, path: str
) -> None:
    SimulatedBuilding.create(path, flats=1).save(tmp_path)
    assert await start_meters(path, tmp_path) is None  # none saved yet
    MeterBank.create(path, cloud_key=CLOUD.public_key).save(tmp_path)
    await start_simulated_building(path, str(tmp_path))
    bank = await start_meters(path, tmp_path)
    assert bank is not None
    assert {meter.ieee for meter in bank.meters} <= {d.ieee for d in get_medium(path).devices}

    bank.power_off()
    bank.power_on(tmp_path, interval_s=0.01)
    for _ in range(200):
        await asyncio.sleep(0.01)
        saved = json.loads((tmp_path / METERS_FILE).read_text())
        if all(item["next_sequence"] > 1 for item in saved["meters"]):
            break
    else:
        pytest.fail("the meters never wrote a reading to their flash")
    # No hub collects them: every reading taken is still held, in the flash as in memory.
    assert all(len(item["held"]) == item["next_sequence"] - 1 for item in saved["meters"])
