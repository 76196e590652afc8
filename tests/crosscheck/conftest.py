"""The cross-checks reuse the simulator's running two-flat building (hub client included)."""

from tests.buildinghub_sim.test_door_lock_radio import site

__all__ = ["site"]
