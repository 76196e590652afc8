"""Home Assistant fixtures shared by the integrations' tests."""

import pytest


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Load our integrations from custom_components/."""
