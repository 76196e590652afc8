"""Scoring the detector against a labelled household (ground truth CSV)."""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from pathlib import Path

from .detector import AwayDetector
from .series import LoadWindow, window_start, windows_from_minutes

COLUMNS = ("time_utc", "load_kw", "occupied")


class GroundTruthError(ValueError):
    """The CSV is not a labelled load series this command can read."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Score:
    """How well away/home decisions match the truth, per 15-minute window."""

    windows: int
    mcc: float
    accuracy: float
    absence_recall: float

    def as_dict(self) -> dict[str, float | int]:
        """The JSON the evaluate command prints."""
        return {
            "windows": self.windows,
            "mcc": round(self.mcc, 4),
            "accuracy": round(self.accuracy, 4),
            "absence_recall": round(self.absence_recall, 4),
        }


def read_ground_truth(path: Path) -> tuple[list[LoadWindow], list[bool]]:
    """Windows of load and, per window, whether nobody was home (majority of minutes)."""
    readings: list[tuple[datetime, float | None]] = []
    away_minutes: dict[datetime, list[bool]] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None or not set(COLUMNS) <= set(reader.fieldnames):
            raise GroundTruthError(f"{path}: expected the columns {', '.join(COLUMNS)}")
        for line, row in enumerate(reader, start=2):
            moment, load, occupied = _parse_row(row, path, line)
            readings.append((moment, load))
            away_minutes.setdefault(window_start(moment), []).append(not occupied)
    if not readings:
        raise GroundTruthError(f"{path}: no rows")
    if any(later < earlier for earlier, later in pairwise(readings)):
        raise GroundTruthError(f"{path}: rows are not in time order")
    windows = windows_from_minutes(readings)
    truth = []
    for window in windows:
        minutes = away_minutes.get(window.start)
        if not minutes:
            raise GroundTruthError(f"{path}: no label for the window at {window.start.isoformat()}")
        truth.append(sum(minutes) * 2 > len(minutes))
    return windows, truth


def _parse_row(row: dict[str, str], path: Path, line: int) -> tuple[datetime, float | None, bool]:
    try:
        moment = datetime.fromisoformat(row["time_utc"])
        load = float(row["load_kw"]) if row["load_kw"].strip() else None
        occupied = {"1": True, "0": False}[row["occupied"].strip()]
    except (KeyError, ValueError) as err:
        raise GroundTruthError(f"{path}:{line}: cannot read {row!r} ({err})") from None
    if moment.tzinfo is None:
        raise GroundTruthError(f"{path}:{line}: time_utc has no UTC offset")
    if load is not None and (not math.isfinite(load) or load < 0):
        raise GroundTruthError(f"{path}:{line}: load_kw must be a finite, non-negative number")
    return moment, load, occupied


def score(predicted_away: Sequence[bool], truly_away: Sequence[bool]) -> Score:
    """MCC, accuracy and recall of absences, "away" being the positive class."""
    if len(predicted_away) != len(truly_away) or not truly_away:
        raise ValueError("predictions and truth must be non-empty and of equal length")
    pairs = list(zip(predicted_away, truly_away, strict=True))
    tp = sum(1 for guess, truth in pairs if guess and truth)
    tn = sum(1 for guess, truth in pairs if not guess and not truth)
    fp = sum(1 for guess, truth in pairs if guess and not truth)
    fn = sum(1 for guess, truth in pairs if not guess and truth)
    denominator = math.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    return Score(
        windows=len(pairs),
        mcc=(tp * tn - fp * fn) / denominator if denominator else 0.0,
        accuracy=(tp + tn) / len(pairs),
        absence_recall=tp / (tp + fn) if tp + fn else 0.0,
    )


def evaluate(path: Path, detector: AwayDetector | None = None) -> Score:
    """Run the detector over a labelled CSV and score it."""
    windows, truth = read_ground_truth(path)
    detector = detector or AwayDetector()
    if not detector.has_enough_history(windows):
        raise GroundTruthError(f"{path}: too short to learn from (at least two days needed)")
    return score(detector.detect(windows), truth)
