"""Fixtures shared by the simulator's tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from buildinghub_sim.building import forget_building
from buildinghub_sim.medium import drop_medium


@pytest.fixture
async def path(request: pytest.FixtureRequest) -> AsyncIterator[str]:
    """A building network of the test's own; the building on it is forgotten afterwards."""
    name = f"sim://building-{request.node.name}"
    yield name
    forget_building(name)
    await drop_medium(name)
