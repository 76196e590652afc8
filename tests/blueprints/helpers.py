"""Load our repository's blueprints into a test Home Assistant."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest.mock import patch

from homeassistant.components.blueprint.models import DomainBlueprints
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component

BLUEPRINTS = Path(__file__).parents[2] / "blueprints"
FOLDER = "building_hub"


@contextmanager
def our_blueprints() -> Iterator[None]:
    """Make Home Assistant read blueprints from this repository's folder."""
    with patch.object(
        DomainBlueprints, "blueprint_folder", property(lambda self: BLUEPRINTS / self.domain)
    ):
        yield


async def async_use_blueprint(hass: HomeAssistant, name: str, inputs: dict[str, Any]) -> None:
    """Set up one automation from one of our blueprints, as the UI would."""
    with our_blueprints():
        assert await async_setup_component(
            hass,
            "automation",
            {
                "automation": {
                    "alias": name,
                    "use_blueprint": {"path": f"{FOLDER}/{name}.yaml", "input": inputs},
                }
            },
        )
        await hass.async_block_till_done()
