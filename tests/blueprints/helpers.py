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
from pytest_homeassistant_custom_component.typing import MockHAClientWebSocket

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


async def async_notifications(socket: MockHAClientWebSocket) -> list[tuple[str, str]]:
    """(title, message) of every notification the user's app shows in its panel."""
    await socket.send_json_auto_id({"type": "persistent_notification/get"})
    answer = await socket.receive_json()
    assert answer["success"]
    return [(note["title"], note["message"].strip()) for note in answer["result"]]
