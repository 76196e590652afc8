"""Constants of the Community Meter integration."""

from __future__ import annotations

from datetime import timedelta
from typing import Final

DOMAIN: Final = "community_meter"
CONF_CLOUD_URL: Final = "cloud_url"
CONF_TOKEN: Final = "enrolment_token"  # noqa: S105 - the form field's name, not a token
CONF_HUB_KEY: Final = "hub_key"
CONF_CLOUD_KEY: Final = "cloud_key"
CONF_BUILDING: Final = "building"

POLL_INTERVAL: Final = timedelta(minutes=5)
RELAY_INTERVAL: Final = timedelta(seconds=30)
OUTBOX_FILE: Final = "community_meter_outbox_{entry_id}.db"

EVENT_READINGS_LOST: Final = "readings_lost"
EVENT_LOW_BALANCE: Final = "low_balance"
BUS_EVENT_LOW_BALANCE: Final = f"{DOMAIN}_low_balance"
BUS_EVENT_READINGS_LOST: Final = f"{DOMAIN}_readings_lost"
