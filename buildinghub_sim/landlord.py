"""The landlord's app for a simulated building, on the command line.

``python -m buildinghub_sim.landlord authorise-station DIR --flat "Flat 1A" --station NAME
--signing-key B64 --sealing-key B64`` prints the landlord-signed station authorisation
(base64url) for the flat's lock: the keys are what ``rental_lock.station_keys`` answers, and
the output is what ``rental_lock.authorise_station`` takes. The flat's landlord key is read
from the building's directory, as the landlord's phone would hold it.

``python -m buildinghub_sim.landlord home DIR --flat "Flat 1A" --home landlord --identity HEX``
makes the flat's landlord's own directory for ``python -m buildinghub.tenancy``, holding the
key the landlord installed the lock with (so the grants they sign there open that lock).
"""

from __future__ import annotations

import argparse
import base64
import json
import time
from collections.abc import Sequence
from pathlib import Path

from buildinghub.biometrics.sealing import KnownStation
from buildinghub.credentials import PublicKey
from buildinghub.keylog.entries import Role
from buildinghub.keylog.person_home import HomeError, create_home

from .building import SimulatedBuilding


def _key(text: str) -> PublicKey:
    return PublicKey.from_bytes(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))


def main(argv: Sequence[str] | None = None) -> None:
    """Sign a station authorisation for one flat's lock and print it."""
    parser = argparse.ArgumentParser(prog="python -m buildinghub_sim.landlord")
    sub = parser.add_subparsers(dest="command", required=True)
    authorise = sub.add_parser("authorise-station", help="let an enrolling station enrol")
    authorise.add_argument("directory", type=Path)
    authorise.add_argument("--flat", required=True)
    authorise.add_argument("--station", required=True)
    authorise.add_argument("--signing-key", required=True, type=_key)
    authorise.add_argument("--sealing-key", required=True, type=_key)
    home = sub.add_parser(
        "home", help="the flat's landlord's home for python -m buildinghub.tenancy"
    )
    home.add_argument("directory", type=Path)
    home.add_argument("--flat", required=True)
    home.add_argument("--home", required=True, type=Path, help="the landlord's own directory")
    home.add_argument("--identity", required=True, help="the lookup hash of the identity check")
    args = parser.parse_args(argv)
    building = SimulatedBuilding.load(args.directory)
    if args.command == "home":
        flat = building.flat(args.flat)
        try:
            made = create_home(
                args.home,
                Role.LANDLORD,
                flat.landlord,
                args.identity,
                signing_key=building.landlords[flat.landlord],
            )
        except HomeError as err:
            parser.exit(2, f"error: {err}\n")
        print(json.dumps(made.public(), indent=2))
        return
    station = KnownStation(args.station, args.signing_key, args.sealing_key)
    record = building.authorise_station(building.flat(args.flat), station, int(time.time()))
    print(base64.urlsafe_b64encode(record).decode().rstrip("="))


if __name__ == "__main__":
    main()
