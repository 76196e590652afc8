"""A person at the demo puts a finger on a simulated lock's sensor by writing their name."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from buildinghub.biometrics.media import export_bundle
from buildinghub.credentials import GrantKind, SigningKey
from buildinghub.devices.door_lock_protocol import AccessEvent
from buildinghub_sim import lock_sensor
from buildinghub_sim.building import start_simulated_building
from buildinghub_sim.lock_port import port_directory

from .test_lock_port import sealed_for


async def test_a_name_written_to_the_sensor_is_that_persons_finger_at_the_door(
    tmp_path: Path, path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lock_sensor, "SENSOR_POLL_S", 0.01)
    building = await start_simulated_building(path, str(tmp_path))
    flat = building.flats[0]
    now = int(time.time())
    lease = building.issue_grant(
        flat,
        kind=GrantKind.LEASE,
        subject=flat.tenant,
        not_before=now - 60,
        expires=now + 3600,
        holder_key=SigningKey.generate().public_key,
    )
    flat.lock.firmware.apply_grant(lease)
    stick = tmp_path / "stick"
    stick.mkdir()
    export_bundle(sealed_for(building, flat), stick)  # Tess, enrolled as the flat's tenant
    building.port(flat).parent.mkdir(parents=True, exist_ok=True)
    stick.rename(building.port(flat))
    await building.import_from_port(flat)
    events: list[AccessEvent] = []
    flat.lock.firmware.add_listener(events.append)
    sensor = port_directory(tmp_path / lock_sensor.SENSORS_DIRECTORY, flat.name)

    async def touch(text: str) -> AccessEvent:
        seen = len(events)
        await asyncio.sleep(0.05)  # the watcher made the sensors directory
        sensor.write_text(text)
        for _ in range(500):
            await asyncio.sleep(0.01)
            if len(events) > seen:
                return events[-1]
        pytest.fail("the lock never read the sensor")

    tess = await touch("Tess\n")
    assert (tess.method.value, tess.granted) == ("fingerprint", True)
    assert not sensor.exists()  # the finger left the sensor
    stranger = await touch("Mallory")
    assert (stranger.granted, stranger.reason) == (False, "no_match")
    other_finger = await touch("Tess\nleft thumb")
    assert (other_finger.granted, other_finger.reason) == (False, "no_match")
