"""A simulated apartment building: flats, their landlords, door locks and tenants.

The embedded default of Building Hub. Each lock is the reference firmware
behind the simulated Zigbee radio at ``sim://...``; each landlord holds their
own signing key and signed the installation record of their flats' locks.
The building's secrets (device keys, landlords' keys, tenants' PINs) are kept
in one directory, as the devices' flash and the people's phones would keep
them, so a restarted hub finds the same building.

``python -m buildinghub_sim.building create DIR`` makes one for the demo.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import logging
import random
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from buildinghub.biometrics.lock_templates import PortImport
from buildinghub.biometrics.sealing import KnownStation
from buildinghub.biometrics.station import StationAuthorisation, sign_authorisation
from buildinghub.credentials import (
    Clock,
    Grant,
    GrantKind,
    MonotonicClock,
    PublicKey,
    SigningKey,
    issue_grant,
)
from buildinghub.credentials.installation import InstallationRecord, sign_installation
from buildinghub.credentials.sealing import SealingKey, seal_pin

from .car_park import SimulatedCarPark, start_car_park, stop_car_park
from .door_lock import SimulatedDoorLock
from .door_lock_firmware import DoorLockFirmware
from .lock_port import PORTS_DIRECTORY, PortWatcher, import_from_port, port_directory
from .lock_sensor import SENSORS_DIRECTORY, SensorWatcher
from .medium import SIM_SCHEME, Medium, get_medium
from .meter_bank import MeterBank, start_meters, stop_meters
from .private_file import write_private
from .standard_doors import StandardDoors, start_standard_doors, stop_standard_doors

_LOGGER = logging.getLogger(__name__)
SIM_DIRECTORY = "buildinghub_sim"
STATE_FILE = "building.json"
DEFAULT_FLATS = 8
DEFAULT_NAME = "Simulated building"


def is_simulated(path: str) -> bool:
    """Whether a radio path names a simulated building network."""
    return path.startswith(SIM_SCHEME)


@dataclass(slots=True)
class SimulatedFlat:
    """One flat: its door lock, its landlord, and the people who know its PINs."""

    name: str
    landlord: str
    lock: SimulatedDoorLock
    tenant: str
    tenant_pin: str
    viewer: str
    viewer_pin: str

    @property
    def lock_id(self) -> str:
        """The lock's id, the audience of its grants."""
        return self.lock.firmware.lock_id


class SimulatedBuilding:
    """The flats of one simulated building network."""

    def __init__(
        self,
        path: str,
        flats: list[SimulatedFlat],
        landlords: dict[str, SigningKey],
        *,
        activity: bool = False,
        name: str = DEFAULT_NAME,
        biometrics_over_radio: bool = True,
    ) -> None:
        """Use :meth:`create` or :meth:`load`."""
        self.path = path
        self.flats = flats
        self.landlords = landlords
        self.activity = activity
        self.name = name
        """The building's name, bound into every fingerprint template sealed for its locks."""
        self.biometrics_over_radio = biometrics_over_radio
        """False: the locks refuse templates arriving by radio (a media-only site, SPEC R9)."""
        self.ports: Path | None = None
        """Where the locks' physical ports are (a directory per flat); watched while running."""
        self._activity_task: asyncio.Task[None] | None = None
        self._watchers: list[PortWatcher | SensorWatcher] = []

    # -- making and keeping a building -----------------------------------------------------

    @classmethod
    def create(
        cls,
        path: str,
        *,
        flats: int = DEFAULT_FLATS,
        clock: Clock | None = None,
        activity: bool = False,
        biometrics_over_radio: bool = True,
    ) -> SimulatedBuilding:
        """A new building: keys made where they live, every lock installed by its landlord."""
        landlord_names = [f"landlord:{name}" for name in ("ana", "bruno", "chen")]
        landlords = {name: SigningKey.generate() for name in landlord_names}
        building = cls(
            path, [], landlords, activity=activity, biometrics_over_radio=biometrics_over_radio
        )
        for _ in range(flats):
            building.install_flat(clock or MonotonicClock())
        return building

    def install_flat(self, clock: Clock) -> SimulatedFlat:
        """A landlord installs a factory-new lock on the next flat (not yet powered on)."""
        index = len(self.flats)
        landlord = sorted(self.landlords)[index % len(self.landlords)]
        flat = _flat(
            index,
            DoorLockFirmware(
                _lock_id(index),
                clock=clock,
                building=self.name,
                radio_templates=self.biometrics_over_radio,
            ),
            landlord,
            self.landlords[landlord],
            tenant_pin=_new_pin(),
            viewer_pin=_new_pin(),
            installed_at=clock.now(),
        )
        self.flats.append(flat)
        return flat

    def save(self, directory: Path) -> None:
        """Write the building's secrets to ``directory`` (mode 0600)."""
        directory.mkdir(parents=True, exist_ok=True)
        state = {
            "path": self.path,
            "activity": self.activity,
            "name": self.name,
            "biometrics_over_radio": self.biometrics_over_radio,
            "landlords": {name: key.to_pem().decode() for name, key in self.landlords.items()},
            "flats": [
                {
                    "landlord": flat.landlord,
                    "lock_key": flat.lock.firmware.signing_key.to_pem().decode(),
                    "sealing_key": flat.lock.firmware.sealing_key.to_pem().decode(),
                    "installation": flat.lock.firmware.installation_bytes.hex(),
                    "tenant_pin": flat.tenant_pin,
                    "viewer_pin": flat.viewer_pin,
                }
                for flat in self.flats
            ],
        }
        write_private(directory / STATE_FILE, json.dumps(state, indent=1))

    @classmethod
    def load(cls, directory: Path, *, clock: Clock | None = None) -> SimulatedBuilding:
        """Read a building written by :meth:`save`."""
        state: dict[str, Any] = json.loads((directory / STATE_FILE).read_text())
        clock = clock or MonotonicClock()
        name = str(state.get("name", DEFAULT_NAME))
        radio = bool(state.get("biometrics_over_radio", True))
        landlords = {
            name: SigningKey.from_pem(pem.encode()) for name, pem in state["landlords"].items()
        }
        flats = []
        for index, item in enumerate(state["flats"]):
            firmware = DoorLockFirmware(
                _lock_id(index),
                clock=clock,
                signing_key=SigningKey.from_pem(item["lock_key"].encode()),
                sealing_key=SealingKey.from_pem(item["sealing_key"].encode()),
                building=name,
                radio_templates=radio,
            )
            firmware.install(bytes.fromhex(item["installation"]))
            flats.append(
                _flat(
                    index,
                    firmware,
                    item["landlord"],
                    None,
                    tenant_pin=item["tenant_pin"],
                    viewer_pin=item["viewer_pin"],
                    installed_at=0,
                )
            )
        building = cls(
            state["path"],
            flats,
            landlords,
            activity=bool(state.get("activity")),
            name=name,
            biometrics_over_radio=radio,
        )
        building.ports = directory / PORTS_DIRECTORY
        return building

    # -- being a landlord ------------------------------------------------------------------

    def flat(self, name: str) -> SimulatedFlat:
        """The flat with this name."""
        for flat in self.flats:
            if flat.name == name:
                return flat
        raise KeyError(name)

    def issue_grant(
        self,
        flat: SimulatedFlat,
        *,
        kind: GrantKind,
        subject: str,
        not_before: int,
        expires: int,
        holder_key: PublicKey,
        pin: str | None = None,
    ) -> bytes:
        """What the flat's landlord's app does: sign a grant, with a PIN sealed to the lock."""
        grant_id = secrets.token_bytes(16)
        sealed = None
        if pin is not None:
            sealed = seal_pin(
                pin,
                flat.lock.firmware.sealing_key.public_key,
                audience=flat.lock_id,
                grant_id=grant_id,
            )
        grant = Grant(
            issuer=flat.landlord,
            subject=subject,
            audience=flat.lock_id,
            not_before=not_before,
            expires=expires,
            issued_at=min(not_before, flat.lock.firmware.clock.now()),
            grant_id=grant_id,
            holder_key=holder_key,
            kind=kind,
            max_uses=None,
            may_share=False,
            share_mode=None,
            sealed_pin=sealed,
            parent=None,
        )
        return issue_grant(grant, self.landlords[flat.landlord])

    def authorise_station(
        self, flat: SimulatedFlat, station: KnownStation, issued_at: int
    ) -> bytes:
        """What the flat's landlord's app does: let an enrolling station enrol for its lock."""
        authorisation = StationAuthorisation(
            building=self.name, lock=flat.lock_id, station=station, issued_at=issued_at
        )
        return sign_authorisation(authorisation, self.landlords[flat.landlord])

    def port(self, flat: SimulatedFlat) -> Path:
        """The directory standing for the physical port of a flat's lock."""
        if self.ports is None:
            raise ValueError("this building has no directory for its locks' ports")
        return port_directory(self.ports, flat.name)

    async def import_from_port(self, flat: SimulatedFlat) -> PortImport:
        """Someone inserted a medium at the flat's lock: it imports the bundles for it."""
        return await import_from_port(flat.lock.firmware, self.port(flat))

    # -- running ---------------------------------------------------------------------------

    @property
    def medium(self) -> Medium:
        """The simulated air of this building."""
        return get_medium(self.path)

    def power_on(self) -> None:
        """Join every lock to the network and start its own timers."""
        for flat in self.flats:
            self.medium.join(flat.lock)
            flat.lock.power_on()
        if self.ports is not None and not self._watchers:
            sensors = self.ports.parent / SENSORS_DIRECTORY
            self._watchers = [
                *(PortWatcher(f.lock.firmware, self.port(f)) for f in self.flats),
                *(SensorWatcher(f.lock, port_directory(sensors, f.name)) for f in self.flats),
            ]
            for watcher in self._watchers:
                watcher.start()
        if self.activity and self._activity_task is None:
            self._activity_task = asyncio.get_running_loop().create_task(self._tenants())

    def announce(self, known: set[str]) -> None:
        """Rejoin the devices (flats' locks, and any other on this air) a fresh coordinator
        does not know yet."""
        devices = {device.ieee: device for device in self.medium.devices}
        devices.update((flat.lock.ieee, flat.lock) for flat in self.flats)
        for device in devices.values():
            if str(device.ieee) not in known:
                self.medium.join(device)

    def power_off(self) -> None:
        """Stop every lock's timers and the tenants."""
        for flat in self.flats:
            flat.lock.power_off()
        for watcher in self._watchers:
            watcher.stop()
        self._watchers = []
        if self._activity_task is not None:
            self._activity_task.cancel()
            self._activity_task = None

    async def _tenants(self, interval_s: float = 20.0) -> None:
        """Now and then someone tries a door: usually the right PIN, sometimes not."""
        rng = random.Random()  # noqa: S311 - who walks up to which door is not a secret
        while True:
            await asyncio.sleep(interval_s * rng.uniform(0.5, 1.5))
            flat = rng.choice(self.flats)
            pin = rng.choice([flat.tenant_pin, flat.tenant_pin, flat.viewer_pin, _new_pin()])
            flat.lock.keypad(pin)


def _lock_id(index: int) -> str:
    return f"door-{index + 1:02d}"


def _flat_name(index: int) -> str:
    return f"Flat {index // 4 + 1}{'ABCD'[index % 4]}"


def _new_pin() -> str:
    return f"{secrets.randbelow(10**6):06d}"


def _flat(
    index: int,
    firmware: DoorLockFirmware,
    landlord: str,
    landlord_key: SigningKey | None,
    *,
    tenant_pin: str,
    viewer_pin: str,
    installed_at: int,
) -> SimulatedFlat:
    name = _flat_name(index)
    if landlord_key is not None:
        record = InstallationRecord(
            lock_id=firmware.lock_id,
            flat=name,
            landlord=landlord,
            landlord_key=landlord_key.public_key,
            lock_key=firmware.signing_key.public_key,
            lock_sealing_key=firmware.sealing_key.public_key,
            installed_at=installed_at,
        )
        firmware.install(sign_installation(record, landlord_key))
    lock = SimulatedDoorLock(
        firmware, ieee=f"00:1b:b0:00:00:00:00:{index + 1:02x}", nwk=0x1000 + index
    )
    slug = name.lower().replace(" ", "-")
    return SimulatedFlat(
        name=name,
        landlord=landlord,
        lock=lock,
        tenant=f"tenant:{slug}",
        tenant_pin=tenant_pin,
        viewer=f"viewer:{slug}",
        viewer_pin=viewer_pin,
    )


_BUILDINGS: dict[str, SimulatedBuilding] = {}


def register_building(building: SimulatedBuilding) -> None:
    """Make ``building`` the one behind its path (tests build their own)."""
    _BUILDINGS[building.path] = building


def get_building(path: str) -> SimulatedBuilding | None:
    """The running building behind a path, if any."""
    return _BUILDINGS.get(path)


def forget_building(path: str) -> None:
    """Power a building off and forget it."""
    building = _BUILDINGS.pop(path, None)
    if building is not None:
        building.power_off()
    stop_car_park(path)
    stop_meters(path)
    stop_standard_doors(path)


async def start_simulated_building(path: str, directory: str) -> SimulatedBuilding:
    """The building behind ``path``: running already, loaded from ``directory``, or new."""
    building = _BUILDINGS.get(path)
    if building is not None:
        return building
    folder = Path(directory)
    if (folder / STATE_FILE).exists():
        building = await asyncio.get_running_loop().run_in_executor(
            None, SimulatedBuilding.load, folder
        )
        # The directory holds the building's secrets; the radio it runs on is ``path``.
        building.path = path
    else:
        building = SimulatedBuilding.create(path)
        building.ports = folder / PORTS_DIRECTORY
        await asyncio.get_running_loop().run_in_executor(None, building.save, folder)
    register_building(building)
    building.power_on()
    # The car park, when the building has one, shares the building's air.
    await start_car_park(path, folder)
    await start_meters(path, folder)
    await start_standard_doors(path, folder)
    return building


def main() -> None:
    """``create DIR [--flats N] [--activity]``, ``add-car-park DIR [--bays N]`` or
    ``add-meters DIR --cloud-key B64``: make a building, its car park and meters for the demo."""
    parser = argparse.ArgumentParser(prog="python -m buildinghub_sim.building")
    sub = parser.add_subparsers(dest="command", required=True)
    create = sub.add_parser("create", help="create a simulated building's secrets in DIR")
    create.add_argument("directory", type=Path)
    create.add_argument("--path", default=f"{SIM_SCHEME}building")
    create.add_argument("--flats", type=int, default=DEFAULT_FLATS)
    create.add_argument("--activity", action="store_true", help="tenants try doors now and then")
    create.add_argument(
        "--media-only", action="store_true", help="locks refuse fingerprint templates by radio"
    )
    car_park = sub.add_parser("add-car-park", help="give the building in DIR a car park")
    car_park.add_argument("directory", type=Path)
    car_park.add_argument("--bays", type=int, default=2)
    standard = sub.add_parser(
        "add-standard-lock", help="give a flat of the building in DIR a standard Zigbee lock"
    )
    standard.add_argument("directory", type=Path)
    meters = sub.add_parser("add-meters", help="give the building in DIR its meters")
    meters.add_argument("directory", type=Path)
    meters.add_argument("--cloud-key", required=True, help="the cloud's receipt key (base64)")
    args = parser.parse_args()
    if args.command == "add-meters":
        cloud_key = PublicKey.from_bytes(base64.b64decode(args.cloud_key, validate=True))
        bank = MeterBank.create(SimulatedBuilding.load(args.directory).path, cloud_key=cloud_key)
        bank.save(args.directory)
        print(json.dumps({"meters": [meter.firmware.meter_id for meter in bank.meters]}))
        return
    if args.command == "add-standard-lock":
        doors = StandardDoors.create(SimulatedBuilding.load(args.directory).path, args.directory)
        doors.save()
        print(json.dumps({"standard_locks": [door.flat for door in doors.doors]}))
        return
    if args.command == "add-car-park":
        made = SimulatedCarPark.create(SimulatedBuilding.load(args.directory).path, bays=args.bays)
        made.save(args.directory)
        print(json.dumps({"bays": [bay.name for bay in made.bays], "owners": sorted(made.owners)}))
        return
    building = SimulatedBuilding.create(
        args.path,
        flats=args.flats,
        activity=args.activity,
        biometrics_over_radio=not args.media_only,
    )
    building.save(args.directory)
    print(json.dumps({"flats": [f.name for f in building.flats], "directory": str(args.directory)}))


if __name__ == "__main__":
    main()
