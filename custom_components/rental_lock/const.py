"""Constants of the Rental Lock integration."""

from __future__ import annotations

from datetime import timedelta
from typing import Final

DOMAIN: Final = "rental_lock"

# The key ledger (options): where it is, its key, the witnesses and how many must cosign.
CONF_LEDGER_URL: Final = "ledger_url"
CONF_LOG_ORIGIN: Final = "log_origin"
CONF_LOG_KEY: Final = "log_public_key"
CONF_WITNESSES: Final = "witnesses"
CONF_QUORUM: Final = "quorum"
# The building this hub serves, as the ledger names it: landlords are trusted only in it (S2).
CONF_BUILDING: Final = "building"
LEDGER_SYNC_INTERVAL: Final = timedelta(minutes=5)

PURGE_INTERVAL: Final = timedelta(minutes=5)
RECONCILE_INTERVAL: Final = timedelta(minutes=15)
# How often followed booking calendars are read (R16).
BOOKING_SYNC_INTERVAL: Final = timedelta(minutes=15)
"""How often the hub reads a standard lock's user table back (drift, SPEC R15)."""
# A lock clock further off than this makes grant windows unreliable.
CLOCK_DRIFT_LIMIT_S: Final = 120

ATTR_GRANT: Final = "grant"
ATTR_GRANT_ID: Final = "grant_id"
ATTR_USER_ID: Final = "user_id"

EVENT_GRANTED: Final = "access_granted"
EVENT_DENIED: Final = "access_denied"

# Fingerprints (options: the site's policy for moving sealed templates).
CONF_BIOMETRICS_OVER_RADIO: Final = "biometrics_over_radio"
CONF_MEDIA_PATH: Final = "media_path"
EVENT_TEMPLATE_ERASED: Final = "rental_lock_template_erased"
DOCUMENT_KINDS: Final = ("passport", "national_id", "residence_permit", "driving_licence")

# Tenancy (SPEC R5, R10, R11): the signed documents the tenancy actions take.
ATTR_CONTRACT: Final = "contract"
ATTR_PAYMENT: Final = "payment"
ATTR_INSPECTION: Final = "inspection"
ATTR_APPOINTMENT: Final = "appointment"
ATTR_DEVICE: Final = "device"
ATTR_RECORD: Final = "record"
ATTR_DELEGATION: Final = "delegation"
ATTR_ICAL_URL: Final = "ical_url"
ATTR_CALENDAR: Final = "calendar"
