"""How Rental Lock tells a person about the library's refusals and failures."""

from __future__ import annotations

from buildinghub.credentials import CredentialError
from buildinghub.devices.door_lock import LockRefused
from buildinghub.keylog.client import CloudRefused, CloudUnavailable
from buildinghub.keylog.errors import KeylogError
from buildinghub.radio.errors import DeviceUnreachable
from buildinghub_ha.errors import ErrorWords, Refusal

from .const import DOMAIN
from .hub import NoUsableGrant

LOCK_ERRORS = ErrorWords(
    DOMAIN,
    Refusal(NoUsableGrant, "no_usable_grant", validation=True),
    Refusal(LockRefused, "unlock_refused", ("reason",)),
    Refusal(DeviceUnreachable, "lock_unreachable"),
)
"""Opening and locking a door from the app (placeholder: the flat)."""

GRANT_ERRORS = ErrorWords(
    DOMAIN,
    Refusal(CredentialError, "grant_{reason}", ("detail",), validation=True),
    Refusal(LockRefused, "lock_refused_grant", ("reason",)),
    Refusal(DeviceUnreachable, "lock_unreachable"),
)
"""Installing a grant: the hub's refusal, the lock's, or a lock out of reach."""

REVOKE_ERRORS = ErrorWords(
    DOMAIN,
    Refusal(CredentialError, "revoke_refused", ("detail",), validation=True),
    Refusal((LockRefused, DeviceUnreachable), "revoke_not_delivered", ("detail",)),
)
"""Revoking: refused by the hub (nothing changed), or revoked at the hub but not confirmed by
the lock."""

APPOINT_ERRORS = ErrorWords(
    DOMAIN, Refusal(CredentialError, "appointment_refused", ("detail",), validation=True)
)
"""A landlord's appointment of the hub's key, refused."""

STANDARD_LOCK_ERRORS = ErrorWords(
    DOMAIN, Refusal(CredentialError, "standard_lock_refused", ("detail",), validation=True)
)
"""A landlord's installation record for a standard lock, refused."""

BOOKING_ERRORS = ErrorWords(
    DOMAIN, Refusal(CredentialError, "delegation_refused", ("detail",), validation=True)
)
"""A landlord's booking delegation, refused."""

KEYLOG_ERRORS = ErrorWords(
    DOMAIN,
    Refusal((KeylogError, CloudUnavailable, CloudRefused), "keylog_not_resolved", ("detail",)),
)
"""Re-anchoring on the key ledger after a fork."""

# Reasons with their own message; any other is shown through the generic one with its detail.
BIOMETRIC_REASONS = frozenset(
    {
        "no_consent",
        "consent_withdrawn",
        "unknown_station",
        "wrong_lock",
        "replayed_template",
        "stale_epoch",
        "unsealable_template",
        "radio_forbidden",
        "media_refused",
        "erase_refused",
        "stale_authorisation",
        "malformed_record",
        "bad_signature",
        "malformed",
        "oversized",
        "not_installed",
        "malformed_key",
        "template_not_yours",
        "too_many_templates",
    }
)
_BIOMETRIC_REFUSAL = Refusal(
    (CredentialError, LockRefused),
    "biometric_{reason}",
    ("detail",),
    validation=True,
    reasons=BIOMETRIC_REASONS,
)
BIOMETRIC_ERRORS = ErrorWords(
    DOMAIN, _BIOMETRIC_REFUSAL, Refusal(DeviceUnreachable, "lock_unreachable")
)
"""Fingerprint actions: the library's or the lock's refusal, under its reason."""

ERASE_ERRORS = ErrorWords(
    DOMAIN, _BIOMETRIC_REFUSAL, Refusal(DeviceUnreachable, "biometric_erase_pending")
)
"""A withdrawal: an unreachable lock erases later."""


def tenancy_errors(document: str, reasons: frozenset[str]) -> ErrorWords:
    """A signed tenancy document refused: under its reason where it has its own message."""
    return ErrorWords(
        DOMAIN,
        Refusal(
            CredentialError, f"{document}_{{reason}}", ("detail",), validation=True, reasons=reasons
        ),
    )
