"""Home Assistant fixtures shared by the integrations' tests."""

import pytest


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Load our integrations from custom_components/."""


@pytest.fixture
def hass_config_dir(hass_tmp_config_dir: str) -> str:
    """Each test's Home Assistant keeps its files (outboxes, the Zigbee database, a
    simulated building it had to make) in a config directory of its own."""
    return hass_tmp_config_dir
