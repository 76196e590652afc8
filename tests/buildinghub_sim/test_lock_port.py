"""The locks' physical ports in the simulated building: a directory a person copies a medium to."""

from __future__ import annotations

import asyncio
import base64
import os
from pathlib import Path

import pytest

from buildinghub.biometrics.media import export_bundle
from buildinghub.biometrics.sealing import EnrollingStation, TemplateBinding, seal_template
from buildinghub.credentials import SigningKey
from buildinghub.credentials.sealing import SealingKey
from buildinghub_sim import landlord, lock_port
from buildinghub_sim.building import (
    SimulatedBuilding,
    SimulatedFlat,
    forget_building,
    start_simulated_building,
)
from buildinghub_sim.fingers import finger_template
from buildinghub_sim.medium import drop_medium


def sealed_for(building: SimulatedBuilding, flat: SimulatedFlat) -> bytes:
    station = EnrollingStation("desk", SigningKey.generate(), SealingKey.generate())
    assert flat.lock.firmware.biometrics is not None
    flat.lock.firmware.biometrics.authorise_station(
        building.authorise_station(flat, station.known_as(), 0)
    )
    binding = TemplateBinding(
        building=building.name,
        lock=flat.lock_id,
        tenant=flat.tenant,
        template_id=os.urandom(16),
        epoch=1,
    )
    return seal_template(
        finger_template("Tess"),
        binding,
        lock_sealing_key=flat.lock.firmware.sealing_key.public_key,
        station=station,
    )


async def test_a_bundle_copied_to_a_running_locks_port_is_imported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lock_port, "PORT_POLL_S", 0.01)
    path = "sim://lock-port-test"
    building = await start_simulated_building(path, str(tmp_path))
    try:
        flat = building.flats[0]
        biometrics = flat.lock.firmware.biometrics
        assert biometrics is not None
        stick = tmp_path / "stick"
        stick.mkdir()
        export_bundle(sealed_for(building, flat), stick)
        building.port(flat).parent.mkdir(parents=True, exist_ok=True)
        stick.rename(building.port(flat))  # the person inserts the stick while the lock runs

        for _ in range(500):  # the watcher polls every 10 ms here
            await asyncio.sleep(0.01)
            if biometrics.match(finger_template("Tess")) is not None:
                break
        assert biometrics.match(finger_template("Tess")) is not None
    finally:
        forget_building(path)
        await drop_medium(path)


def test_a_media_only_building_keeps_its_name_and_policy_across_a_restart(tmp_path: Path) -> None:
    SimulatedBuilding.create("sim://saved", flats=1, biometrics_over_radio=False).save(tmp_path)

    loaded = SimulatedBuilding.load(tmp_path)

    assert (loaded.name, loaded.biometrics_over_radio) == ("Simulated building", False)
    assert loaded.ports == tmp_path / "ports"
    biometrics = loaded.flats[0].lock.firmware.biometrics
    assert biometrics is not None
    assert (biometrics.building, biometrics.radio_templates) == ("Simulated building", False)


def test_the_landlords_cli_signs_a_station_authorisation_the_lock_accepts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    SimulatedBuilding.create("sim://cli", flats=1).save(tmp_path)
    station = EnrollingStation("hub-1", SigningKey.generate(), SealingKey.generate())
    keys = [
        base64.urlsafe_b64encode(key.public_key.to_bytes()).decode().rstrip("=")
        for key in (station.signing_key, station.sealing_key)
    ]

    landlord.main(
        [
            *("authorise-station", str(tmp_path), "--flat", "Flat 1A", "--station", "hub-1"),
            *("--signing-key", keys[0], "--sealing-key", keys[1]),
        ]
    )

    printed = capsys.readouterr().out.strip()
    record = base64.urlsafe_b64decode(printed + "=" * (-len(printed) % 4))
    lock = SimulatedBuilding.load(tmp_path).flats[0].lock.firmware.biometrics
    assert lock is not None
    assert lock.authorise_station(record).station == station.known_as()
