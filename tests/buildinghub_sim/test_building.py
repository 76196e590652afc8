"""The simulated building: flats with installed locks, landlords who issue grants, kept on disk."""

from __future__ import annotations

import asyncio
import json
import stat
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from buildinghub.credentials import GrantKind, SigningKey, WrongAudience, decode_grant
from buildinghub_sim.building import (
    STATE_FILE,
    SimulatedBuilding,
    SimulatedFlat,
    forget_building,
    get_building,
    is_simulated,
    main,
    register_building,
    start_simulated_building,
)
from buildinghub_sim.medium import drop_medium, get_medium

NOW = 1_767_225_600  # 2026-01-01T00:00:00Z
DAY = 86_400


class Clock:
    """The building's time, set by the test."""

    def __init__(self, now: int) -> None:
        self.time = now

    def now(self) -> int:
        return self.time


class Coordinator:
    """The hub's side of the medium, reduced to the joins it hears."""

    def __init__(self) -> None:
        self.joined: list[str] = []

    def packet_received(self, packet: Any) -> None:
        """Frames are not looked at here."""

    def handle_join(self, nwk: Any, ieee: Any, parent_nwk: Any) -> None:
        self.joined.append(str(ieee))

    def handle_leave(self, nwk: Any, ieee: Any) -> None:
        """Leaves are not looked at here."""


@pytest.fixture
async def path(request: pytest.FixtureRequest) -> AsyncIterator[str]:
    name = f"sim://building-{request.node.name}"
    yield name
    forget_building(name)
    await drop_medium(name)


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def building(path: str, clock: Clock) -> Iterator[SimulatedBuilding]:
    building = SimulatedBuilding.create(path, flats=5, clock=clock)
    yield building
    building.power_off()


# -- a new building ----------------------------------------------------------------------


def _grant(
    building: SimulatedBuilding,
    flat: SimulatedFlat,
    kind: GrantKind,
    subject: str,
    *,
    start: int = NOW,
    end: int = NOW + DAY,
    pin: str | None = None,
) -> bytes:
    """What the flat's landlord signs for ``subject``, held on a phone of their own."""
    return building.issue_grant(
        flat,
        kind=kind,
        subject=subject,
        not_before=start,
        expires=end,
        holder_key=SigningKey.generate().public_key,
        pin=pin,
    )


def test_a_new_building_has_the_flats_asked_for(building: SimulatedBuilding) -> None:
    assert [flat.name for flat in building.flats] == [
        "Flat 1A",
        "Flat 1B",
        "Flat 1C",
        "Flat 1D",
        "Flat 2A",
    ]
    assert [flat.lock_id for flat in building.flats] == [f"door-0{n}" for n in range(1, 6)]


def test_every_lock_is_installed_by_its_flats_landlord(building: SimulatedBuilding) -> None:
    for flat in building.flats:
        installation = flat.lock.firmware.installation
        assert installation is not None
        assert (installation.lock_id, installation.flat) == (flat.lock_id, flat.name)
        assert installation.landlord == flat.landlord
        assert installation.landlord_key == building.landlords[flat.landlord].public_key


def test_flats_are_shared_among_three_landlords(building: SimulatedBuilding) -> None:
    assert [flat.landlord for flat in building.flats] == [
        "landlord:ana",
        "landlord:bruno",
        "landlord:chen",
        "landlord:ana",
        "landlord:bruno",
    ]


def test_every_lock_has_its_own_radio_address(building: SimulatedBuilding) -> None:
    locks = [flat.lock for flat in building.flats]

    assert len({lock.ieee for lock in locks}) == len(locks)
    assert len({lock.nwk for lock in locks}) == len(locks)


def test_the_people_of_a_flat_know_six_digit_pins(building: SimulatedBuilding) -> None:
    for flat in building.flats:
        assert flat.tenant_pin.isdigit()
        assert len(flat.tenant_pin) == len(flat.viewer_pin) == 6


def test_a_flat_is_found_by_its_name(building: SimulatedBuilding) -> None:
    assert building.flat("Flat 1C") is building.flats[2]
    with pytest.raises(KeyError):
        building.flat("Flat 9Z")


def test_only_sim_paths_are_simulated() -> None:
    assert is_simulated("sim://building")
    assert not is_simulated("/dev/ttyUSB0")


# -- being a landlord --------------------------------------------------------------------


def test_a_landlords_grant_is_stored_by_the_flats_lock(building: SimulatedBuilding) -> None:
    flat = building.flats[1]
    encoded = _grant(building, flat, GrantKind.LEASE, flat.tenant, end=NOW + 30 * DAY)

    stored = flat.lock.firmware.apply_grant(encoded)

    assert stored.signed.grant.issuer == flat.landlord
    assert stored.signed.grant.audience == flat.lock_id


async def test_the_pin_of_a_grant_opens_its_flats_door(building: SimulatedBuilding) -> None:
    flat = building.flats[0]
    grant = _grant(building, flat, GrantKind.VIEWING, flat.viewer, pin=flat.viewer_pin)
    flat.lock.firmware.apply_grant(grant)

    assert flat.lock.keypad(flat.viewer_pin).granted


def test_a_grant_for_one_flat_is_refused_by_a_neighbour_with_the_same_landlord(
    building: SimulatedBuilding,
) -> None:
    flat, neighbour = building.flats[0], building.flats[3]
    assert flat.landlord == neighbour.landlord
    grant = _grant(building, flat, GrantKind.LEASE, flat.tenant)

    with pytest.raises(WrongAudience):
        neighbour.lock.firmware.apply_grant(grant)


def test_a_grant_issued_for_a_later_window_is_dated_no_later_than_now(
    building: SimulatedBuilding,
) -> None:
    flat = building.flats[0]
    encoded = _grant(
        building, flat, GrantKind.VIEWING, flat.viewer, start=NOW + DAY, end=NOW + 2 * DAY
    )

    assert decode_grant(encoded).grant.issued_at == NOW


# -- keeping a building on disk ----------------------------------------------------------


def test_a_saved_building_loads_with_the_same_keys_and_pins(
    building: SimulatedBuilding, clock: Clock, tmp_path: Path
) -> None:
    building.save(tmp_path)

    loaded = SimulatedBuilding.load(tmp_path, clock=clock)

    assert loaded.path == building.path
    assert {name: key.public_key for name, key in loaded.landlords.items()} == {
        name: key.public_key for name, key in building.landlords.items()
    }
    for before, after in zip(building.flats, loaded.flats, strict=True):
        assert (after.name, after.landlord, after.tenant_pin, after.viewer_pin) == (
            before.name,
            before.landlord,
            before.tenant_pin,
            before.viewer_pin,
        )
        assert after.lock.ieee == before.lock.ieee
        assert after.lock.firmware.installation == before.lock.firmware.installation
        assert after.lock.firmware.sealing_key.public_key == (
            before.lock.firmware.sealing_key.public_key
        )


def test_a_grant_issued_before_a_restart_is_accepted_after_it(
    building: SimulatedBuilding, clock: Clock, tmp_path: Path
) -> None:
    flat = building.flats[0]
    encoded = _grant(building, flat, GrantKind.LEASE, flat.tenant, pin=flat.tenant_pin)
    building.save(tmp_path)

    firmware = SimulatedBuilding.load(tmp_path, clock=clock).flats[0].lock.firmware
    stored = firmware.apply_grant(encoded)

    assert stored.pin_digest is not None  # the restored sealing key opened the PIN


def test_the_saved_secrets_are_readable_by_their_owner_only(
    building: SimulatedBuilding, tmp_path: Path
) -> None:
    building.save(tmp_path)

    assert stat.S_IMODE((tmp_path / STATE_FILE).stat().st_mode) == 0o600


def test_saving_over_a_readable_file_makes_it_owner_only(
    building: SimulatedBuilding, tmp_path: Path
) -> None:
    target = tmp_path / STATE_FILE
    target.write_text("{}")
    target.chmod(0o644)

    building.save(tmp_path)

    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_the_create_command_writes_a_building_for_the_demo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = tmp_path / "demo"
    monkeypatch.setattr(sys, "argv", ["building", "create", str(directory), "--flats", "3"])

    main()

    printed = json.loads(capsys.readouterr().out)
    assert printed == {"flats": ["Flat 1A", "Flat 1B", "Flat 1C"], "directory": str(directory)}
    assert len(SimulatedBuilding.load(directory).flats) == 3


# -- running -----------------------------------------------------------------------------


async def test_powering_on_joins_every_lock_to_the_network(
    building: SimulatedBuilding, path: str
) -> None:
    register_building(building)

    building.power_on()

    assert set(get_medium(path).devices) == {flat.lock for flat in building.flats}


async def test_announcing_rejoins_only_the_locks_the_coordinator_does_not_know(
    building: SimulatedBuilding, path: str
) -> None:
    register_building(building)
    building.power_on()
    coordinator = Coordinator()
    get_medium(path).attach(coordinator)
    known = {str(flat.lock.ieee) for flat in building.flats[:3]}

    building.announce(known)

    assert coordinator.joined == [str(flat.lock.ieee) for flat in building.flats[3:]]


async def test_a_registered_building_is_found_by_its_path_until_forgotten(
    building: SimulatedBuilding, path: str
) -> None:
    register_building(building)
    building.power_on()
    assert get_building(path) is building

    forget_building(path)

    assert get_building(path) is None


def purge_timers() -> list[asyncio.TimerHandle]:
    """The locks' purge timers waiting in the event loop."""
    scheduled: list[asyncio.TimerHandle] = asyncio.get_running_loop()._scheduled  # type: ignore[attr-defined]
    return [
        handle for handle in scheduled if not handle.cancelled() and "_purge_tick" in repr(handle)
    ]


async def test_each_lock_runs_one_purge_timer_however_often_it_is_powered_on(
    building: SimulatedBuilding,
) -> None:
    building.power_on()
    building.power_on()

    assert len(purge_timers()) == len(building.flats)


async def test_powering_off_stops_every_purge_timer(building: SimulatedBuilding) -> None:
    building.power_on()

    building.power_off()

    assert purge_timers() == []


@pytest.fixture
def sim_directory(tmp_path: Path) -> Path:
    return tmp_path / "buildinghub_sim"


async def test_the_first_start_creates_and_saves_a_building(path: str, sim_directory: Path) -> None:
    building = await start_simulated_building(path, str(sim_directory))

    assert get_building(path) is building
    assert (sim_directory / STATE_FILE).exists()
    assert len(get_medium(path).devices) == len(building.flats)


async def test_a_later_start_loads_the_saved_building(
    path: str, sim_directory: Path, clock: Clock
) -> None:
    saved = SimulatedBuilding.create(path, flats=2, clock=clock)
    saved.save(sim_directory)

    building = await start_simulated_building(path, str(sim_directory))

    assert [flat.lock.firmware.installation for flat in building.flats] == [
        flat.lock.firmware.installation for flat in saved.flats
    ]


async def test_a_running_building_is_returned_as_it_is(path: str, sim_directory: Path) -> None:
    first = await start_simulated_building(path, str(sim_directory))

    assert await start_simulated_building(path, str(sim_directory)) is first


async def test_a_building_saved_under_another_path_runs_on_the_path_asked_for(
    path: str, sim_directory: Path, clock: Clock
) -> None:
    SimulatedBuilding.create("sim://elsewhere", flats=2, clock=clock).save(sim_directory)

    building = await start_simulated_building(path, str(sim_directory))

    assert building.path == path
    assert get_building(path) is building
    assert len(get_medium(path).devices) == 2
