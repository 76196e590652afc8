"""How Parking Lock tells a person about the library's refusals and failures."""

from __future__ import annotations

from buildinghub.credentials import CredentialError
from buildinghub.credentials.step_up import StepUpRefused
from buildinghub.credentials.use_ledger import UnknownMember
from buildinghub.devices.door_lock import LockRefused
from buildinghub.parking.bookings import BookingError
from buildinghub.parking.listing import OutsideFreeTimes, PolicyRefused
from buildinghub.radio.errors import DeviceUnreachable
from buildinghub_ha.errors import ErrorWords, Refusal

from .const import DOMAIN
from .hub import NotAListingKey, NotYourKey, NoUsableKey

_KEY_REFUSED = Refusal(CredentialError, "key_refused", ("reason", "detail"), validation=True)
_UNREACHABLE = Refusal(DeviceUnreachable, "lock_unreachable")

BARRIER_ERRORS = ErrorWords(
    DOMAIN,
    Refusal(NoUsableKey, "no_usable_key", validation=True),
    _KEY_REFUSED,
    Refusal(LockRefused, "unlock_refused", ("reason",)),
    _UNREACHABLE,
)
"""Opening and raising a bay's barrier from the app (placeholder: the bay)."""

KEY_ERRORS = ErrorWords(
    DOMAIN,
    _KEY_REFUSED,
    Refusal(StepUpRefused, "step_up_refused", ("detail",), validation=True),
    Refusal((NoUsableKey, UnknownMember), "unknown_member", validation=True),
    Refusal(NotYourKey, "not_your_key", validation=True),
    Refusal(NotAListingKey, "not_a_listing_key", validation=True),
    Refusal(LockRefused, "lock_refused", ("reason",)),
    _UNREACHABLE,
)
"""The e-key actions: adding, sharing, giving back and managing members' keys."""

APPOINT_ERRORS = ErrorWords(
    DOMAIN, Refusal(CredentialError, "appointment_refused", ("detail",), validation=True)
)
"""A bay owner's appointment of the hub's manager key, refused."""

BOOKING_ERRORS = ErrorWords(
    DOMAIN,
    Refusal(PolicyRefused, "policy_refused", ("detail",), validation=True),
    Refusal(OutsideFreeTimes, "outside_free_times", ("detail",), validation=True),
    Refusal(BookingError, "booking_refused", ("detail",), validation=True),
    Refusal((CredentialError, LockRefused, DeviceUnreachable), "booking_key_failed", ("detail",)),
)
"""Booking and cancelling (placeholder: the bay); a conflict is told with its times."""
