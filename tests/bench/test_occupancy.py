"""The away-detection bench: fast enough for the hub, and one row per household it checks."""

from __future__ import annotations

from bench.occupancy import main
from bench.occupancy_variants import variants


def test_fourteen_days_of_minutes_are_decided_in_under_a_second() -> None:
    result = main(["--repeats", "1"])

    assert result["readings"] == 14 * 24 * 60
    assert result["windows"] == 14 * 24 * 4
    assert isinstance(result["detect_ms"], float)
    assert result["detect_ms"] < 1000
    rows = result["variants"]
    assert isinstance(rows, list)
    assert [row["household"] for row in rows] == [household.name for household in variants()]
    assert all(-1 <= row["mcc"] <= 1 for row in rows)
