"""A building's car park kept on disk: written once, loaded with the same keys, started with it."""

from __future__ import annotations

import json
import stat
import sys
import time
from pathlib import Path

import pytest

from buildinghub.credentials import SigningKey
from buildinghub_sim.building import (
    SimulatedBuilding,
    main,
    start_simulated_building,
)
from buildinghub_sim.car_park import CAR_PARK_FILE, SimulatedCarPark, start_car_park
from buildinghub_sim.medium import get_medium


def _add_car_park(directory: Path, monkeypatch: pytest.MonkeyPatch, bays: int) -> None:
    argv = ["building", "add-car-park", str(directory), "--bays", str(bays)]
    monkeypatch.setattr(sys, "argv", argv)
    main()


def test_the_add_car_park_command_gives_a_building_bays_only_their_owner_can_read(
    tmp_path: Path,
    path: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    SimulatedBuilding.create(path, flats=1).save(tmp_path)

    _add_car_park(tmp_path, monkeypatch, bays=3)

    printed = json.loads(capsys.readouterr().out)
    assert printed == {
        "bays": ["Bay P1", "Bay P2", "Bay P3"],
        "owners": ["owner:olga", "owner:pavel"],
    }
    assert stat.S_IMODE((tmp_path / CAR_PARK_FILE).stat().st_mode) == 0o600


def test_a_loaded_car_park_has_the_same_locks_and_takes_its_owners_ekeys(
    tmp_path: Path, path: str
) -> None:
    made = SimulatedCarPark.create(path, bays=2)
    made.save(tmp_path)

    loaded = SimulatedCarPark.load(path, tmp_path)

    assert [bay.name for bay in loaded.bays] == ["Bay P1", "Bay P2"]
    for before, after in zip(made.bays, loaded.bays, strict=True):
        assert after.firmware.signing_key.public_key == before.firmware.signing_key.public_key
        assert after.owner == before.owner
    now = int(time.time())
    bay = loaded.bay("Bay P2")
    ekey = loaded.issue_ekey(
        bay,
        subject="driver:dan",
        holder_key=SigningKey.generate().public_key,
        not_before=now - 60,
        expires=now + 3600,
    )
    assert bay.firmware.apply_grant(ekey).signed.grant.subject == "driver:dan"
    with pytest.raises(KeyError):
        loaded.bay("Bay P9")


async def test_the_car_park_starts_with_its_building_once(tmp_path: Path, path: str) -> None:
    SimulatedBuilding.create(path, flats=1).save(tmp_path)
    assert await start_car_park(path, tmp_path) is None  # no car park saved yet
    SimulatedCarPark.create(path, bays=2).save(tmp_path)

    building = await start_simulated_building(path, str(tmp_path))

    car_park = await start_car_park(path, tmp_path)
    assert car_park is not None
    assert set(get_medium(path).devices) == {flat.lock for flat in building.flats} | {
        bay.lock for bay in car_park.bays
    }
    assert await start_car_park(path, tmp_path) is car_park  # started once, however often asked
