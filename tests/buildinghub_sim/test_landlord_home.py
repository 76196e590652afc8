"""The simulated landlord's own directory for the people's command line."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from buildinghub.keylog.person_home import SIGNING_FILE, open_home
from buildinghub_sim import landlord
from buildinghub_sim.building import SimulatedBuilding

IDENTITY = "ab" * 32


def test_the_landlords_home_holds_the_key_that_installed_the_flats_lock(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    building = SimulatedBuilding.create("sim://home", flats=2)
    building.save(tmp_path / "building")
    home = tmp_path / "landlord"

    landlord.main(
        [
            *("home", str(tmp_path / "building"), "--flat", "Flat 1B"),
            *("--home", str(home), "--identity", IDENTITY),
        ]
    )

    printed = json.loads(capsys.readouterr().out)
    flat = building.flat("Flat 1B")
    opened = open_home(home)
    assert (opened.name, opened.role.value) == (flat.landlord, "landlord")
    assert flat.lock.firmware.installation is not None
    assert opened.signing_key.public_key == flat.lock.firmware.installation.landlord_key
    assert printed["name"] == flat.landlord
    assert "PRIVATE" not in json.dumps(printed)
    assert stat.S_IMODE((home / SIGNING_FILE).stat().st_mode) == 0o600


def test_a_landlords_home_is_never_overwritten(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    SimulatedBuilding.create("sim://home", flats=1).save(tmp_path / "building")
    argv = ["home", str(tmp_path / "building"), "--flat", "Flat 1A"]
    argv += ["--home", str(tmp_path / "landlord"), "--identity", IDENTITY]
    landlord.main(argv)
    before = (tmp_path / "landlord" / SIGNING_FILE).read_bytes()

    with pytest.raises(SystemExit) as exited:
        landlord.main(argv)

    assert exited.value.code == 2
    assert "keys are never replaced" in capsys.readouterr().err
    assert (tmp_path / "landlord" / SIGNING_FILE).read_bytes() == before
