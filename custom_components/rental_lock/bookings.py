"""Access that follows a booking calendar (SPEC R16): the hub issues each stay's grant itself.

A landlord signs one booking delegation for their lock; the property manager hands it to
the hub with the calendar to follow (an iCal URL or a Home Assistant calendar) and the
Home Assistant user who receives each guest's PIN. The decisions (the delegation's scope
and limits, reading the calendar, what to issue, move and revoke) live in the library;
this module fetches, stores, delivers, tells and raises repairs.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.storage import Store

from buildinghub.credentials import CredentialError, GrantExpired, UnauthorisedCommand
from buildinghub.credentials.booking_delegation import (
    BookingAhead,
    BookingDelegation,
    DelegationExceeded,
    issue_booking_grant,
    read_delegation,
    verify_delegation,
)
from buildinghub.credentials.signed_record import SignedRecord
from buildinghub.devices.booking_calendar import (
    CalendarUnreadable,
    Change,
    IssuedBooking,
    Step,
    plan,
)
from buildinghub.devices.door_lock import LockRefused
from buildinghub.devices.grant_book import HeldGrant
from buildinghub.devices.pin_users import Guarantee
from buildinghub.radio.errors import DeviceUnreachable

from .booking_sources import BookingSource, reach_of
from .const import BOOKING_SYNC_INTERVAL, DOMAIN
from .guest_pins import PinNotDelivered, async_tell_pin, phones_of

if TYPE_CHECKING:
    from .hub import LockContext, RentalHub

_LOGGER = logging.getLogger(__name__)
STORAGE_VERSION = 1
MAX_FOLLOWED = 64
"""Calendars one hub follows at once (one per door is the usual)."""


class NoPhone(Exception):
    """The user named to receive the guests' PINs has no phone with the Home Assistant app."""


@dataclass(slots=True, kw_only=True)
class FollowedCalendar:
    """One door's booking calendar, who hears its PINs, and the grants issued from it."""

    lock: str
    delegation: bytes
    source: BookingSource
    user: str
    issued: dict[str, IssuedBooking] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """For the store: no PIN (the hub keeps none)."""
        return {
            "lock": self.lock,
            "delegation": self.delegation.hex(),
            "source": self.source.address,
            "user": self.user,
            "issued": [[i.uid, i.grant_id.hex(), i.start, i.end] for i in self.issued.values()],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FollowedCalendar:
        """Restore what :meth:`to_json` wrote."""
        return cls(
            lock=data["lock"],
            delegation=bytes.fromhex(data["delegation"]),
            source=BookingSource(data["source"]),
            user=data["user"],
            issued={
                uid: IssuedBooking(uid, bytes.fromhex(grant_id), start, end)
                for uid, grant_id, start, end in data["issued"]
            },
        )


@dataclass(frozen=True, slots=True)
class Delegated:
    """A delegation verified now, for the lock it is for."""

    context: LockContext
    delegation: BookingDelegation
    record: SignedRecord


class HubBookings:
    """The booking calendars one hub follows."""

    def __init__(self, hass: HomeAssistant, hub: RentalHub) -> None:
        """Follow calendars for ``hub``'s doors."""
        self.hass = hass
        self.hub = hub
        self.followed: dict[str, FollowedCalendar] = {}
        self._syncing = asyncio.Lock()
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.{hub.entry.entry_id}.bookings", private=True
        )

    async def async_start(self) -> None:
        """Load the calendars followed before a restart; follow them every interval (and each
        door's as it joins: :meth:`async_lock_joined`)."""
        stored = await self._store.async_load()
        if stored is not None:
            self.followed = {
                item["lock"]: FollowedCalendar.from_json(item) for item in stored["calendars"]
            }
        self.hub.entry.async_on_unload(
            async_track_time_interval(self.hass, self._async_scheduled, BOOKING_SYNC_INTERVAL)
        )

    def async_lock_joined(self, address: str) -> None:
        """A door came (back) on the network: follow its calendar now, not at the next pass."""
        followed = self.followed.get(address)
        if followed is not None:
            self.hub.entry.async_create_background_task(
                self.hass, self.async_sync(followed), f"{DOMAIN} follow bookings of {address}"
            )

    async def _async_save(self) -> None:
        await self._store.async_save(
            {"calendars": [followed.to_json() for followed in self.followed.values()]}
        )

    async def _async_scheduled(self, _now: datetime) -> None:
        await self.async_sync_all()

    def issued_count(self) -> int:
        """Bookings holding a grant the hub issued, across the calendars it follows."""
        return sum(len(followed.issued) for followed in self.followed.values())

    def diagnostics(self) -> list[dict[str, Any]]:
        """The followed calendars, never a PIN (diagnostics redact the address and user)."""
        return [
            {
                "lock": followed.lock,
                "source": "calendar entity" if followed.source.is_entity else "iCal URL",
                "calendar": followed.source.address,
                "user": followed.user,
                "issued": [
                    {"grant_id": i.grant_id.hex(), "start": i.start, "end": i.end}
                    for i in followed.issued.values()
                ],
            }
            for followed in self.followed.values()
        ]

    # -- the manager's action -----------------------------------------------------------

    async def async_follow(self, data: bytes, source: BookingSource, user: str) -> Delegated:
        """Keep a landlord's delegation and follow ``source`` under it, once now and then
        every interval.

        Refused (nothing kept) unless the delegation is for a door on this hub, signed by
        that door's landlord with their current key, names this hub's key and has not
        ended (CredentialError); unless the hub may revoke at a door that verifies grants
        itself, so a cancelled booking can be taken back (UnauthorisedCommand); and unless
        ``user`` has a phone to receive the PINs (NoPhone).
        """
        await self.hub.async_sync_ledger()  # a landlord key revoked there delegates nothing
        delegated = self._verify(data)
        context = delegated.context
        if context.guarantee is Guarantee.VERIFIED_BY_LOCK and (
            self.hub.authority.appointment(context.installation.lock_id) is None
        ):
            raise UnauthorisedCommand(
                f"the landlord of {context.installation.flat} has not appointed the hub's key "
                "there: the hub could not revoke a cancelled booking's grant at the door"
            )
        if not phones_of(self.hass, user):
            raise NoPhone
        if context.address not in self.followed and len(self.followed) >= MAX_FOLLOWED:
            raise DelegationExceeded(f"this hub follows at most {MAX_FOLLOWED} calendars")
        previous = self.followed.get(context.address)
        followed = FollowedCalendar(
            lock=context.address,
            delegation=data,
            source=source,
            user=user,
            issued=previous.issued if previous else {},
        )
        self.followed[context.address] = followed
        await self._async_save()
        await self.async_sync(followed)
        return delegated

    def _verify(self, data: bytes) -> Delegated:
        claimed, _ = read_delegation(data)
        context = self.hub.context_for_lock_id(claimed.lock)
        trusted = None if context is None else self.hub.book.lock(context.address)
        if context is None or trusted is None:
            raise UnauthorisedCommand(f"no door on this hub is called {claimed.lock!r}")
        delegation, record = verify_delegation(
            data,
            lock=context.installation.lock_id,
            landlord=context.installation.landlord,
            trust=trusted.verifier.trust,
        )
        if delegation.hub_key != self.hub.hub_key.public_key:
            raise UnauthorisedCommand("the delegation names another hub's key, not this hub's")
        if delegation.expires <= self.hub.clock.now():
            raise GrantExpired("the delegation has ended")
        return Delegated(context, delegation, record)

    # -- following -----------------------------------------------------------------------

    async def async_sync_all(self) -> int:
        """Follow every calendar once, now; how many calendars were looked at."""
        await self.hub.async_sync_ledger()
        for followed in list(self.followed.values()):
            await self.async_sync(followed)
        return len(self.followed)

    async def async_sync(self, followed: FollowedCalendar) -> None:
        """Read the calendar and issue, move and revoke grants to match it.

        A delegation that no longer holds, or a calendar that cannot be read, raises a
        repair and changes nothing: grants already issued stay until they end.
        """
        async with self._syncing:
            if followed.lock not in self.hub.locks:
                return  # the door is off the network: the next pass, or its return
            flat = self.hub.flat_at(followed.lock)
            try:
                delegated = self._verify(followed.delegation)
            except CredentialError as err:
                self._raise("delegation", followed, "booking_delegation_invalid", detail=str(err))
                return
            self._clear("delegation", followed)
            limits = delegated.delegation
            behind, ahead = reach_of(limits.max_stay_s, limits.horizon_s)
            try:
                bookings = await followed.source.async_read(
                    self.hass, now=self.hub.clock.now(), behind_s=behind, ahead_s=ahead
                )
            except CalendarUnreadable as err:
                _LOGGER.warning("The booking calendar of %s is unreadable: %s", flat, err)
                self._raise("calendar", followed, "booking_calendar_unreadable", detail=str(err))
                return
            self._clear("calendar", followed)
            for change in plan(bookings, followed.issued, now=self.hub.clock.now()):
                await self._async_apply(delegated, followed, change)

    async def _async_apply(
        self, delegated: Delegated, followed: FollowedCalendar, change: Change
    ) -> None:
        booking = _digest(change.uid)
        if change.step is not Step.ISSUE:
            assert change.grant_id is not None
            if not await self._async_revoke(followed, change.uid, change.grant_id):
                return
            self._clear(f"refused_{booking}", followed)
            if change.step is Step.REVOKE:
                return
        await self._async_issue(delegated, followed, change)

    async def _async_revoke(self, followed: FollowedCalendar, uid: str, grant_id: bytes) -> bool:
        """Take a booking's grant back; False (and a repair) when the hub may not."""
        try:
            await self.hub.async_revoke(grant_id)
        except CredentialError as err:
            self._raise(
                f"revoke_{_digest(uid)}",
                followed,
                "booking_not_revoked",
                booking=_label(uid),
                detail=str(err),
            )
            return False
        except (LockRefused, DeviceUnreachable) as err:
            # Revoked at the hub; the door hears it when it answers again.
            _LOGGER.warning("A booking's revocation did not reach its door yet: %s", err)
        self._clear(f"revoke_{_digest(uid)}", followed)
        del followed.issued[uid]
        await self._async_save()
        return True

    async def _async_issue(
        self, delegated: Delegated, followed: FollowedCalendar, change: Change
    ) -> None:
        """Issue the stay's grant under the delegation, deliver it, tell the PIN."""
        context = delegated.context
        refused = f"refused_{_digest(change.uid)}"
        if not phones_of(self.hass, followed.user):
            self._raise(
                "phone", followed, "booking_pin_undelivered", detail="the user has no phone"
            )
            return
        try:
            issued = issue_booking_grant(
                delegated.delegation,
                delegated.record,
                booking=change.uid,
                start=change.start,
                end=change.end,
                hub_key=self.hub.hub_key,
                pin_sealing_key=context.installation.lock_sealing_key,
                now=self.hub.clock.now(),
            )
        except BookingAhead:
            self._clear(refused, followed)
            return  # within reach at a later pass
        except DelegationExceeded as err:
            self._raise(
                refused, followed, "booking_refused", booking=_label(change.uid), detail=str(err)
            )
            return
        not_installed = f"not_installed_{_digest(change.uid)}"
        try:
            await context.client.install_delegated_grant(followed.delegation, issued.signed)
        except LockRefused as err:
            self._raise(
                not_installed,
                followed,
                "booking_not_installed",
                booking=_label(change.uid),
                detail=str(err),
            )
            return  # issued again at the next pass
        except DeviceUnreachable as err:
            _LOGGER.warning("A booking's grant did not reach %s: %s", context.address, err)
            return  # issued again at the next pass
        self._clear(refused, followed)
        self._clear(not_installed, followed)
        self.hub.book.add(
            HeldGrant(
                signed=issued.signed,
                lock=context.address,
                user=None,
                delegation=followed.delegation,
            )
        )
        grant = issued.signed.grant
        followed.issued[change.uid] = IssuedBooking(
            change.uid, grant.grant_id, grant.not_before, grant.expires
        )
        await self.hub.async_save()
        await self._async_save()
        try:
            await async_tell_pin(
                self.hass,
                followed.user,
                flat=context.installation.flat,
                pin=issued.pin,
                start=grant.not_before,
                end=grant.expires,
            )
        except PinNotDelivered as err:
            # A PIN nobody heard is no use: take it back; the next pass issues a new one.
            self._raise("phone", followed, "booking_pin_undelivered", detail=str(err))
            await self._async_revoke(followed, change.uid, grant.grant_id)
            return
        self._clear("phone", followed)

    # -- repairs -------------------------------------------------------------------------

    def _raise(self, what: str, followed: FollowedCalendar, key: str, **placeholders: str) -> None:
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            f"booking_{what}_{followed.lock}",
            is_fixable=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key=key,
            translation_placeholders={"flat": self.hub.flat_at(followed.lock), **placeholders},
        )

    def _clear(self, what: str, followed: FollowedCalendar) -> None:
        ir.async_delete_issue(self.hass, DOMAIN, f"booking_{what}_{followed.lock}")


def _digest(uid: str) -> str:
    return hashlib.sha256(uid.encode()).hexdigest()[:12]


def _label(uid: str) -> str:
    """A booking as a repair names it: its calendar UID, shortened."""
    return uid if len(uid) <= 64 else uid[:61] + "..."
