"""The fault harness at the small size CI runs: faults were injected, and through them nothing
was lost, erased early or stored twice."""

from __future__ import annotations

from bench.faults import run

# With this seed the schedule kills the hub three times and the cloud three times (outside an
# hours-long outage): the run exercises restarts on both sides, not only a lossy radio.
SEED = 20261172
RADIO_FAULTS = ("radio_request_dropped", "radio_frame_lost", "radio_reordered")
CLOUD_KILLS = ("cloud_killed", "cloud_killed_mid_request", "cloud_outage_hours")


async def test_a_small_fault_run_loses_nothing(socket_enabled: None) -> None:
    result = await run(trials=1, steps=40, seed=SEED, database="sqlite")

    assert result["trials"] == 1
    faults = result["faults"]
    assert isinstance(faults, dict)
    assert faults.get("hub_killed") == 3
    assert sum(faults.get(name, 0) for name in CLOUD_KILLS) >= 1
    assert sum(faults.get(name, 0) for name in RADIO_FAULTS) >= 1
    assert isinstance(result["readings"], int)
    assert result["readings"] > 50
    assert (result["lost"], result["erased_before_receipt"], result["duplicates_stored"]) == (
        0,
        0,
        0,
    )
    assert result["still_held_after_drain"] == 0
    assert result["faults_total"] == sum(faults.values())
