"""``python -m buildinghub.occupancy evaluate``: what a researcher runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from buildinghub.occupancy.__main__ import main
from buildinghub.occupancy.evaluation import score

WEEK = Path(__file__).parent / "data" / "niom_house_a_spring.csv"


def test_evaluate_prints_the_three_numbers_as_json() -> None:
    finished = subprocess.run(
        [sys.executable, "-m", "buildinghub.occupancy", "evaluate", str(WEEK)],
        capture_output=True,
        text=True,
        check=True,
    )

    result = json.loads(finished.stdout)
    assert set(result) == {"windows", "mcc", "accuracy", "absence_recall"}
    assert result["mcc"] >= 0.6
    assert 0.0 <= result["accuracy"] <= 1.0


def test_the_time_zone_is_an_option(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evaluate", str(WEEK), "--timezone", "America/New_York"]) == 0

    assert json.loads(capsys.readouterr().out)["mcc"] >= 0.6


def test_an_unknown_time_zone_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["evaluate", str(WEEK), "--timezone", "Mars/Olympus"])

    assert "unknown time zone 'Mars/Olympus'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("time,load\n", "expected the columns time_utc, load_kw, occupied"),
        ("time_utc,load_kw,occupied\n", "no rows"),
        ("time_utc,load_kw,occupied\n2013-04-01T07:00:00+00:00,abc,1\n", ":2: cannot read"),
        ("time_utc,load_kw,occupied\n2013-04-01T07:00:00,1.0,1\n", "has no UTC offset"),
        ("time_utc,load_kw,occupied\n2013-04-01T07:00:00+00:00,-1,1\n", "non-negative"),
        ("time_utc,load_kw,occupied\n2013-04-01T07:00:00+00:00,1.0,yes\n", "cannot read"),
        (
            "time_utc,load_kw,occupied\n2013-04-01T07:01:00+00:00,1,1\n2013-04-01T07:00:00+00:00,1,1\n",
            "not in time order",
        ),
        ("time_utc,load_kw,occupied\n2013-04-01T07:00:00+00:00,1.0,1\n", "too short"),
    ],
)
def test_a_file_it_cannot_score_gets_a_specific_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(content)

    assert main(["evaluate", str(bad)]) == 2

    assert message in capsys.readouterr().err


def test_a_missing_file_is_an_error_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["evaluate", str(tmp_path / "nowhere.csv")]) == 2
    assert "nowhere.csv" in capsys.readouterr().err


def test_mcc_counts_away_as_the_positive_class() -> None:
    perfect = score([True, False, False, True], [True, False, False, True])
    inverted = score([False, True, True, False], [True, False, False, True])
    always_home = score([False] * 4, [True, False, False, True])

    assert (perfect.mcc, perfect.accuracy, perfect.absence_recall) == (1.0, 1.0, 1.0)
    assert inverted.mcc == -1.0
    assert (always_home.mcc, always_home.absence_recall) == (0.0, 0.0)
    with pytest.raises(ValueError, match="equal length"):
        score([True], [])
