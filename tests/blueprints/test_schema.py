"""Every blueprint we ship passes Home Assistant's own blueprint schema."""

from __future__ import annotations

from pathlib import Path

import pytest
from homeassistant.components.automation.config import AUTOMATION_BLUEPRINT_SCHEMA
from homeassistant.components.blueprint.models import Blueprint
from homeassistant.util import yaml as yaml_util

from .helpers import BLUEPRINTS, FOLDER

SHIPPED = sorted((BLUEPRINTS / "automation" / FOLDER).glob("*.yaml"))
OURS = {"rental_lock", "parking_lock", "community_meter"}


def test_there_are_blueprints_to_check() -> None:
    assert SHIPPED


@pytest.mark.parametrize("path", SHIPPED, ids=lambda path: path.stem)
def test_blueprint_is_valid_for_home_assistant(path: Path) -> None:
    data = yaml_util.load_yaml_dict(path)

    blueprint = Blueprint(
        data, expected_domain="automation", path=path.name, schema=AUTOMATION_BLUEPRINT_SCHEMA
    )

    assert blueprint.metadata["source_url"].endswith(f"blueprints/automation/{FOLDER}/{path.name}")
    assert len(blueprint.metadata["description"]) > 80


@pytest.mark.parametrize("path", SHIPPED, ids=lambda path: path.stem)
def test_entity_inputs_only_offer_our_integrations(path: Path) -> None:
    """Pickers name our integrations, or only a domain (a supply switch can be anyone's)."""
    inputs = yaml_util.load_yaml_dict(path)["blueprint"]["input"]

    for name, spec in inputs.items():
        selector = spec.get("selector", {})
        for kind in ("entity", "device"):
            if kind in selector and "filter" in selector[kind]:
                integrations = {item.get("integration") for item in selector[kind]["filter"]}
                integrations.discard(None)
                assert integrations <= OURS, f"{name} offers {integrations - OURS}"
