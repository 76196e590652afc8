"""``python -m buildinghub.occupancy evaluate FILE.csv``: score away detection."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .detector import AwayDetector
from .evaluation import GroundTruthError, evaluate


def main(argv: Sequence[str] | None = None) -> int:
    """Print one JSON object with mcc, accuracy and absence_recall."""
    parser = argparse.ArgumentParser(prog="python -m buildinghub.occupancy")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser(
        "evaluate",
        help="score the away detector on a CSV with columns time_utc,load_kw,occupied",
    )
    run.add_argument("file", type=Path, help="one household's labelled one-minute load")
    run.add_argument(
        "--timezone",
        metavar="IANA_NAME",
        help="the dwelling's time zone (e.g. America/New_York); without it the night is "
        "learned from the data alone, which needs a week that includes days at home",
    )
    arguments = parser.parse_args(argv)
    try:
        zone = ZoneInfo(arguments.timezone) if arguments.timezone else None
    except ValueError, ZoneInfoNotFoundError:
        parser.error(f"unknown time zone {arguments.timezone!r}")
    try:
        result = evaluate(arguments.file, AwayDetector(time_zone=zone))
    except (OSError, GroundTruthError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(json.dumps(result.as_dict()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
