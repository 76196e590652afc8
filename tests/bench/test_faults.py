"""The fault harness at the small size CI runs: nothing lost, erased early or stored twice."""

from __future__ import annotations

from bench.faults import run


async def test_a_small_fault_run_loses_nothing(socket_enabled: None) -> None:
    result = await run(trials=1, steps=40, seed=20261122, database="sqlite")

    assert result["trials"] == 1
    assert isinstance(result["readings"], int)
    assert result["readings"] > 50
    assert (result["lost"], result["erased_before_receipt"], result["duplicates_stored"]) == (
        0,
        0,
        0,
    )
    assert result["still_held_after_drain"] == 0
