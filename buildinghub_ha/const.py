"""Names the three integrations share: their config entries and actions use the same keys."""

from __future__ import annotations

from typing import Final

CONF_RADIO_PATH: Final = "radio_path"
CONF_RADIO_TYPE: Final = "radio_type"
RADIO_EZSP: Final = "ezsp"
RADIO_SIMULATED: Final = "simulated"
SIMULATED_PATH: Final = "sim://building"
SIMULATOR_SCHEME: Final = "sim"

ATTR_CONFIG_ENTRY_ID: Final = "config_entry_id"
MANUFACTURER: Final = "Building Hub"
# Devices still being interviewed get a bounded moment, so a fresh start shows them all.
DISCOVERY_WAIT_S: Final = 10.0
