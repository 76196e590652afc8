"""How fast and how well away detection works, on the labelled week and households made from it.

detect_ms: AwayDetector.detect on 14 days of 1-minute data (1,344 windows; the tracker's
history), best of ``--repeats``; windows_ms: cutting those 20,160 readings into windows.
variants: MCC, accuracy and recall of absences on the real week and on every household
bench.occupancy_variants makes from it (deterministic, so the numbers are reproducible).
"""

import argparse
import time
from datetime import timedelta

from buildinghub.occupancy import AwayDetector, LoadWindow, windows_from_minutes
from buildinghub.occupancy.evaluation import score

from .occupancy_variants import AMHERST, read_week, variants


def main(argv: list[str]) -> dict[str, object]:
    """Measure and return the numbers."""
    parser = argparse.ArgumentParser(prog="python -m bench occupancy")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs (best is kept)")
    options = parser.parse_args(argv)

    week = read_week()
    fortnight = [(moment, load) for moment, load, _ in week] + [
        (moment + timedelta(days=7), load) for moment, load, _ in week
    ]
    started = time.perf_counter()
    windows = windows_from_minutes(fortnight)
    windows_seconds = time.perf_counter() - started
    detector = AwayDetector(time_zone=AMHERST)
    detect_seconds = min(_timed(detector, windows) for _ in range(options.repeats))

    rows = []
    for household in variants(week):
        household_windows, truth = household.windows()
        found = AwayDetector(time_zone=household.time_zone).detect(household_windows)
        rows.append({"household": household.name, **score(found, truth).as_dict()})
    mccs = [float(row["mcc"]) for row in rows]
    return {
        "readings": len(fortnight),
        "windows": len(windows),
        "windows_ms": round(windows_seconds * 1000, 1),
        "detect_ms": round(detect_seconds * 1000, 1),
        "variants": rows,
        "mcc_min": min(mccs),
        "mcc_mean": round(sum(mccs) / len(mccs), 4),
    }


def _timed(detector: AwayDetector, windows: list[LoadWindow]) -> float:
    started = time.perf_counter()
    detector.detect(windows)
    return time.perf_counter() - started
