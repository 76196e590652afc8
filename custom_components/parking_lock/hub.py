"""The hub's side of Parking Lock: its bays, the e-keys it holds, its users' holder keys.

Decisions (chain verification, narrowing, counts, transfers, freezes, step-up codes) live
in the library; this module keeps them in Home Assistant's storage, keeps the locks in
step, and tells the bay's manager what happens at the bay.

Each Home Assistant user who parks gets a holder key made and kept on the hub (the app's
key store): an owner binds an e-key to it, and the hub answers the lock's challenge with it
only when that same user asks. A key copied to another user is bound to the wrong key.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import zigpy.device
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import (
    async_track_point_in_utc_time,
    async_track_time_interval,
)
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from buildinghub.credentials import (
    CredentialError,
    MonotonicClock,
    ShareMode,
    SigningKey,
    WrongAudience,
    decode_grant,
)
from buildinghub.credentials.delegation import ShareTerms, issue_share
from buildinghub.credentials.installation import InstallationRecord
from buildinghub.credentials.lock_command import Appointment, CommandAction, read_appointment
from buildinghub.credentials.step_up import STEP_UP_LIFETIME_S, StepUpBook
from buildinghub.devices.ble_parking_lock import BleParkingLockClient, GattClient
from buildinghub.devices.door_lock import LockRefused
from buildinghub.devices.door_lock_protocol import AccessEvent
from buildinghub.devices.ekey_book import EKeyBook, HeldKey
from buildinghub.devices.grant_book import LockIdTaken
from buildinghub.devices.kinds import DeviceKind
from buildinghub.devices.lock_authority import LockAuthority
from buildinghub.devices.parking_lock import ParkingLockClient
from buildinghub.parking.bookings import Booking, BookingBook, BookingError
from buildinghub.parking.car_park_map import CarParkLayout
from buildinghub.parking.listing import BayListing, BayPolicy
from buildinghub.parking.presence import BookingEvent, BookingWatch
from buildinghub.radio.errors import DeviceUnreachable, RadioError
from buildinghub.radio.network import BuildingNetwork
from buildinghub_ha.admin_notices import async_tell_administrators
from buildinghub_ha.fleet import DeviceCard, ManagedDevice
from buildinghub_ha.hub import DeviceHub

from .const import (
    ACTION_ADD,
    ACTION_FREEZE,
    ACTION_REMOVE,
    ACTION_UNFREEZE,
    DOMAIN,
    EVENT_LOCKED,
    EVENT_MANAGER_NOTICE,
    EVENT_REFUSED,
    EVENT_STEP_UP_CODE,
    EVENT_UNLOCKED,
    PURGE_INTERVAL,
)
from .coordinator import BayCoordinator, BayStatus, ParkingLockConfigEntry

_LOGGER = logging.getLogger(__name__)
STORAGE_VERSION = 1
# The hub's own holder key, for listing e-keys: no Home Assistant user id looks like this.
HUB_HOLDER = "hub:listings"


type BayClient = ParkingLockClient | BleParkingLockClient


class NoUsableKey(Exception):
    """The user holds no key for this bay."""


class NotYourKey(Exception):
    """The user asked to share or give back a key that is not theirs."""


class NotAListingKey(Exception):
    """A listing e-key must be bound to the hub's key and allow sharing."""


@dataclass(kw_only=True)
class BayContext(ManagedDevice[BayClient, BayCoordinator]):
    """One bay the hub manages, and the installation record its lock stated."""

    installation: InstallationRecord

    @property
    def name(self) -> str:
        """The bay's name, from its installation record."""
        return self.installation.flat

    @property
    def card(self) -> DeviceCard:
        """The bay's lock, named for the bay."""
        return DeviceCard(
            domain=DOMAIN,
            device_id=self.installation.lock_id,
            name=self.name,
            model="Parking bay lock",
            serial_number=self.address,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class BayEvent:
    """Something that happened at a bay's barrier, as the event entity shows it."""

    kind: str
    holder: str | None = None
    reason: str | None = None
    grant_id: str | None = None


class ParkingHub(DeviceHub[BayContext]):
    """Bays, e-keys and holder keys of one config entry."""

    entry: ParkingLockConfigEntry

    def __init__(
        self, hass: HomeAssistant, entry: ParkingLockConfigEntry, network: BuildingNetwork
    ) -> None:
        """Manage the parking locks on ``network`` for ``entry``."""
        super().__init__(hass, entry, network, DeviceKind.PARKING_LOCK)
        self.clock = MonotonicClock()
        self.book = EKeyBook(self.clock)
        self.step_up = StepUpBook(self.clock)
        self.authority = LockAuthority(self.clock)
        self.bookings = BookingBook(self.clock)
        self.layout: CarParkLayout | None = None
        self._watches: dict[str, BookingWatch] = {}
        self._timers: dict[str, list[Callable[[], None]]] = {}
        self._focus: str | None = None
        self._holder_keys: dict[str, SigningKey] = {}
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.{entry.entry_id}", private=True
        )
        self.policies: dict[str, BayPolicy] = {}
        self.listings: dict[str, BayListing] = {}
        self._booking_keys: dict[str, str] = {}

    @property
    def bays(self) -> dict[str, BayContext]:
        """The bays the hub manages, by their lock's address."""
        return self.fleet.members

    # -- lifecycle -------------------------------------------------------------------------

    async def async_start(self) -> None:
        """Load what the hub holds and bring every bay on the network in."""
        stored = await self._store.async_load()
        if stored is not None:
            self._holder_keys = {
                user: SigningKey.from_pem(pem.encode()) for user, pem in stored["holders"].items()
            }
            self.book.load_json(stored["book"])
            self.authority.load_json(stored.get("appointments", {}))
            self.bookings.load_json(stored.get("bookings", []))
            if stored.get("layout"):
                self.layout = CarParkLayout.from_json(stored["layout"])
            self._focus = stored.get("focus")
            self.policies = {
                bay: BayPolicy.from_json(p) for bay, p in stored.get("policies", {}).items()
            }
            self.listings = {
                bay: BayListing.from_json(li) for bay, li in stored.get("listings", {}).items()
            }
            self._booking_keys = dict(stored.get("booking_keys", {}))
        await super().async_start()
        self.entry.async_on_unload(
            async_track_time_interval(self.hass, self._async_scheduled_purge, PURGE_INTERVAL)
        )
        for booking in self.bookings.all_live():
            self._schedule(booking)
        self.entry.async_on_unload(self._cancel_timers)

    async def async_stop(self) -> None:
        """Stop listening to the bays; close BLE links."""
        await super().async_stop()
        for context in self.bays.values():
            if isinstance(context.client, BleParkingLockClient):
                await context.client.close()

    async def async_adopt(self, device: zigpy.device.Device) -> BayContext | None:
        """A bay's lock on the network, if it states an installation the hub may trust."""
        return await self._async_adopt_client(
            str(device.ieee), ParkingLockClient(device, clock=self.clock)
        )

    async def async_add_ble_bay(
        self, address: str, connect: Callable[[], Awaitable[GattClient]]
    ) -> None:
        """Take over a BLE parking lock heard advertising at ``address``."""
        await self.fleet.async_adopt(
            address,
            lambda: self._async_adopt_client(
                address, BleParkingLockClient(address, connect, clock=self.clock)
            ),
            announce=True,
        )

    def ble_advertised(self, address: str, manufacturer_data: bytes) -> bool:
        """A BLE lock's advertisement; False if the hub does not manage it yet."""
        context = self.bays.get(address)
        if context is None:
            return self.fleet.is_known(address)
        if isinstance(context.client, BleParkingLockClient):
            context.client.advertised(manufacturer_data)
        return True

    async def _async_adopt_client(self, address: str, client: BayClient) -> BayContext | None:
        try:
            installation = await client.read_installation()
            self.book.trust_bay(address, installation)
        except (LockRefused, CredentialError, RadioError, LockIdTaken) as err:
            _LOGGER.warning("Parking lock %s is not ready to manage: %s", address, err)
            if isinstance(client, BleParkingLockClient):
                await client.close()
            return None
        coordinator = BayCoordinator(self.hass, self.entry, client, installation.flat)
        stops = (
            client.add_access_listener(self._access_handler(address)),
            client.add_bolt_listener(self._bolt_handler(address, coordinator)),
            client.add_occupancy_listener(self._occupancy_handler(address, coordinator)),
        )

        def unsubscribe() -> None:
            for stop in stops:
                stop()

        return BayContext(address, client, coordinator, unsubscribe, installation=installation)

    async def async_joined(self, member: BayContext) -> None:
        """Deliver every chain the hub holds for this bay (the lock ignores repeats)."""
        for held in self.book.for_bay(member.address):
            try:
                await member.client.install_chain(held.chain)
            except (LockRefused, DeviceUnreachable) as err:
                _LOGGER.warning("Could not bring a key to %s: %s", member.name, err)

    # -- holder keys -----------------------------------------------------------------------

    async def async_holder_key(self, user: str) -> SigningKey:
        """This user's holder key, made on first use."""
        key = self._holder_keys.get(user)
        if key is None:
            key = self._holder_keys[user] = SigningKey.generate()
            await self._async_save()
        return key

    # -- keys ------------------------------------------------------------------------------

    async def async_add_key(self, links: Sequence[bytes], user: str) -> HeldKey:
        """Verify an e-key (and shares below it) bound to ``user``'s key; deliver and keep it.

        Raises CredentialError when the hub refuses it, LockRefused when the lock does,
        DeviceUnreachable when the lock cannot be reached; nothing is kept then.
        """
        trusted, chain = self.book.verify(links)
        holder = (await self.async_holder_key(user)).public_key
        self.book.check_holder(chain, holder)
        await self.bays[trusted.ieee].client.install_chain(chain)
        held = self.book.add(chain, trusted.ieee, user, holder)
        self._focus = self.bays[trusted.ieee].installation.lock_id
        await self._async_save()
        return held

    async def async_share(
        self, user: str, grant_id: bytes, recipient: str, terms: dict[str, Any]
    ) -> HeldKey:
        """``user`` shares their key ``grant_id`` with ``recipient`` on narrower terms."""
        held = self.book.get(grant_id)
        if held is None or held.user != user:
            raise NotYourKey
        return await self._async_share_from(held, user, recipient, terms)

    async def _async_share_from(
        self, held: HeldKey, sharer: str, recipient: str, terms: dict[str, Any]
    ) -> HeldKey:
        """Sign a share of ``held`` with the sharer's holder key; verify, deliver and keep it."""
        sharer_key = await self.async_holder_key(sharer)
        recipient_key = await self.async_holder_key(recipient)
        encoded = issue_share(
            held.chain.leaf,
            sharer_key,
            ShareTerms(
                recipient=f"ha-user:{recipient}",
                recipient_key=recipient_key.public_key,
                **terms,
            ),
            grant_id=secrets.token_bytes(16),
            now=self.clock.now(),
        )
        links = [link.encoded for link in held.chain.links] + [encoded]
        return await self.async_add_key(links, recipient)

    async def async_give_back(self, user: str, grant_id: bytes) -> None:
        """The recipient of a share gives it back."""
        held = self.book.get(grant_id)
        if held is None or held.user != user or len(held.chain.links) < 2:
            raise NotYourKey
        await self._async_remove(held.bay, grant_id, await self.async_holder_key(user))

    def request_step_up(self, user: str, action: str, grant_id: bytes) -> None:
        """Send the manager who asked a code that confirms exactly this action on this member:
        to administrators' sessions only, never to a notification every user reads (S7)."""
        code = self.step_up.issue(user, action, grant_id.hex())
        async_tell_administrators(
            self.hass,
            EVENT_STEP_UP_CODE,
            {
                "user_id": user,
                "action": action,
                "member": grant_id.hex(),
                "code": code,
                "valid_for_s": STEP_UP_LIFETIME_S,
            },
        )

    async def async_manager_add(
        self, user: str, links: Sequence[bytes], member: str, code: str
    ) -> HeldKey:
        """Confirmed by a step-up code: add a member's key (a chain made outside the hub)."""
        self.step_up.confirm(user, ACTION_ADD, decode_grant(links[-1]).grant.grant_id.hex(), code)
        return await self.async_add_key(links, member)

    async def async_manager_action(self, user: str, action: str, target: bytes, code: str) -> None:
        """Confirmed by a step-up code: freeze, unfreeze or remove a member, by a command the
        hub signs with its manager key under the bay owner's appointment."""
        bay = self._bay_of_link(target)
        if bay is None:
            raise NoUsableKey
        self.step_up.confirm(user, action, target.hex(), code)
        manager = await self.async_holder_key(HUB_HOLDER)
        if action in (ACTION_FREEZE, ACTION_UNFREEZE):
            frozen = action == ACTION_FREEZE
            context = self.bays[bay]
            await self.authority.async_send(
                context.client,
                context.installation,
                CommandAction.FREEZE if frozen else CommandAction.UNFREEZE,
                target,
                key=manager,
            )
            self.book.ledger.set_frozen(target, frozen)
            await self._async_save()
        elif action == ACTION_REMOVE:
            await self._async_remove(bay, target, manager)

    async def async_appoint(self, data: bytes) -> tuple[BayContext, Appointment]:
        """Keep a bay owner's appointment of the hub's manager key (its listing key): the
        manager may then freeze, unfreeze and remove members at that bay (lock_authority).
        Returns the bay and the appointment as verified."""
        lock_id = read_appointment(data).lock
        ieee = self._ieee_of(lock_id)
        if ieee is None:
            raise WrongAudience(f"no bay on this hub is called {lock_id!r}")
        manager = await self.async_holder_key(HUB_HOLDER)
        appointment = self.authority.appoint(data, self.bays[ieee].installation, manager.public_key)
        await self._async_save()
        return self.bays[ieee], appointment

    async def _async_remove(self, bay: str, grant_id: bytes, key: SigningKey) -> None:
        """Revoke a link with ``key``'s authority: checked (as the lock will) before anything
        changes, then at the hub, then at the lock."""
        context = self.bays[bay]
        until = self.book.revocation_end(grant_id)
        holders = self.book.command_holders(grant_id)
        end = self.clock.now() if until is None else until
        self.authority.command(
            context.installation, CommandAction.REVOKE, grant_id, end, key, bytes(16), holders
        )
        self.book.revoke(grant_id)
        await self._async_save()
        await self.authority.async_send(
            context.client,
            context.installation,
            CommandAction.REVOKE,
            grant_id,
            key=key,
            until=until,
            holders=holders,
        )

    def _bay_of_link(self, grant_id: bytes) -> str | None:
        for context in self.bays.values():
            for held in self.book.for_bay(context.address):
                if grant_id in held.chain.grant_ids():
                    return context.address
        return None

    async def async_unlock(self, ieee: str, user: str | None) -> HeldKey:
        """Open a bay for a Home Assistant user with a key bound to their holder key."""
        if user is None or user not in self._holder_keys:
            raise NoUsableKey
        holder = self._holder_keys[user]
        held = self.book.usable(ieee, user, holder.public_key)
        if held is None:
            raise NoUsableKey
        client = self.bays[ieee].client
        state = self.book.ledger.state(held.grant_id)
        client.resume_counter(held.grant_id, state.last_counter if state else 0)
        request = await client.prepare_unlock(held.chain.leaf, holder)
        await client.send_unlock(request)
        self.book.record_use(held, request.counter)
        await self._async_save()
        return held

    async def async_purge_expired(self) -> int:
        """Purge expired keys and ended bookings at the hub and ask every bay to purge too."""
        expired = self.book.purge_expired()
        self.bookings.purge_ended()
        await self._async_save()
        for context in self.bays.values():
            try:
                await context.client.purge_expired()
            except DeviceUnreachable as err:
                _LOGGER.info("Bay %s did not answer the purge: %s", context.name, err)
        return len(expired)

    async def _async_scheduled_purge(self, _now: datetime) -> None:
        await self.async_purge_expired()

    # -- events ----------------------------------------------------------------------------

    def devices_of(self, user_id: str) -> list[str]:
        """The bays (lock ids) on which ``user_id`` holds an unexpired e-key."""
        now = self.clock.now()
        return sorted(
            context.installation.lock_id
            for ieee, context in self.bays.items()
            if any(
                held.user == user_id and held.chain.leaf.grant.expires > now
                for held in self.book.for_bay(ieee)
            )
        )

    def area_entities(self, areas: set[str]) -> list[str]:
        """No entity of Parking Lock belongs to a flat."""
        return []

    def let_devices_of(self, user_id: str) -> list[str]:
        """Parking Lock has no landlord's page."""
        return []

    def raw_readings(self) -> list[str]:
        """Parking Lock measures nothing of a dwelling."""
        return []

    def holder_of(self, grant_id: bytes | None) -> str | None:
        """Who holds a key, if the hub holds it."""
        held = self.book.get(grant_id) if grant_id else None
        return held.chain.leaf.grant.subject if held else None

    def _access_handler(self, ieee: str) -> Callable[[AccessEvent], None]:
        @callback
        def handle(event: AccessEvent) -> None:
            holder = self.holder_of(event.grant_id)
            self._send(
                ieee,
                BayEvent(
                    kind=EVENT_UNLOCKED if event.granted else EVENT_REFUSED,
                    holder=holder,
                    reason=event.reason,
                    grant_id=event.grant_id.hex() if event.grant_id else None,
                ),
            )
            if event.granted:
                self._notify_manager(ieee, f"unlocked by {holder}")

        return handle

    def _bolt_handler(self, ieee: str, coordinator: BayCoordinator) -> Callable[[bool], None]:
        @callback
        def handle(locked: bool) -> None:
            if coordinator.data is not None and coordinator.data.locked != locked:
                coordinator.async_set_updated_data(replace(coordinator.data, locked=locked))
            if locked:
                self._send(ieee, BayEvent(kind=EVENT_LOCKED))
                self._notify_manager(ieee, "locked")

        return handle

    def _occupancy_handler(self, ieee: str, coordinator: BayCoordinator) -> Callable[[bool], None]:
        @callback
        def handle(occupied: bool) -> None:
            data = coordinator.data or BayStatus(locked=True, occupied=None, battery_percent=None)
            coordinator.async_set_updated_data(replace(data, occupied=occupied))
            self._watch(ieee, occupied)

        return handle

    # -- bookings --------------------------------------------------------------------------

    async def async_list_bay(self, ieee: str, links: Sequence[bytes]) -> HeldKey:
        """Keep a bay owner's listing e-key: bound to the hub's key, allowed to share.

        The hub shares it, narrowed to the booking's window, with each driver who books.
        """
        hub_key = (await self.async_holder_key(HUB_HOLDER)).public_key
        trusted, chain = self.book.verify(links)
        leaf = chain.leaf.grant
        if trusted.ieee != ieee or leaf.holder_key != hub_key or not leaf.may_share:
            raise NotAListingKey
        return await self.async_add_key(links, HUB_HOLDER)

    def listing_key(self, ieee: str) -> HeldKey | None:
        """The bay's listing e-key that lasts longest, if the hub holds one."""
        hub_key = self._holder_keys.get(HUB_HOLDER)
        if hub_key is None:
            return None
        keys = self.book.for_user(ieee, HUB_HOLDER, hub_key.public_key)
        now = self.clock.now()
        live = [k for k in keys if k.chain.leaf.grant.expires > now]
        return max(live, key=lambda k: k.chain.leaf.grant.expires, default=None)

    def check_policy(self, ieee: str, user: str) -> None:
        """PolicyRefused unless the bay's policy admits ``user`` (SPEC P10)."""
        policy = self.policies.get(self.bays[ieee].installation.lock_id)
        if policy is not None:
            policy.check(user)

    async def async_set_policy(self, ieee: str, policy: BayPolicy) -> None:
        """The manager sets who may book a bay."""
        self.policies[self.bays[ieee].installation.lock_id] = policy
        await self._async_save()
        # Who may see the bay to book it follows its policy (and the state shows it).
        async_dispatcher_send(self.hass, self.signal("bookings"))

    async def async_set_listing(self, ieee: str, listing: BayListing) -> None:
        """The manager sets what a bay's listing shows and when it is free."""
        self.listings[self.bays[ieee].installation.lock_id] = listing
        await self._async_save()

    async def async_book(self, ieee: str, user: str, start: int, end: int) -> Booking:
        """Book a slot of a bay; the first booking of a slot wins (BookingConflict).

        The bay's policy and free times are checked first. When the bay is listed with an
        e-key, the booker gets a share of it for exactly the booking's window.
        """
        lock_id = self.bays[ieee].installation.lock_id
        self.check_policy(ieee, user)
        listing = self.listings.get(lock_id)
        if listing is not None:
            listing.check_free(start, end, dt_util.get_default_time_zone())
        listed = self.listing_key(ieee)
        if listed is not None:
            grant = listed.chain.leaf.grant
            if start < grant.not_before or end > grant.expires:
                raise BookingError(
                    f"the bay is listed from {_when(grant.not_before)} to "
                    f"{_when(grant.expires)} only"
                )
        booking = self.bookings.book(lock_id, user, start, end)
        if listed is not None:
            try:
                held = await self._async_share_listing(listed, user, start, end)
            except BaseException:
                self.bookings.cancel(booking.booking_id, None)
                raise
            self._booking_keys[booking.booking_id] = held.grant_id.hex()
        self._focus = booking.bay
        self._schedule(booking)
        await self._async_save()
        return booking

    async def _async_share_listing(
        self, listed: HeldKey, user: str, start: int, end: int
    ) -> HeldKey:
        """The hub (holder of the listing key) shares it with the booker for their slot."""
        terms = {
            "not_before": start,
            "expires": end,
            "max_uses": listed.chain.leaf.grant.max_uses,
            "mode": ShareMode.CO_USE,
        }
        return await self._async_share_from(listed, HUB_HOLDER, user, terms)

    def booking_key(self, booking_id: str) -> str | None:
        """The id of the e-key a booking came with, if it came with one."""
        return self._booking_keys.get(booking_id)

    async def async_cancel_booking(self, booking_id: str, user: str | None) -> bool:
        """Cancel a booking; its own user or an administrator may. True if it was free."""
        account = await self.hass.auth.async_get_user(user) if user else None
        if user is not None and account is None:
            raise BookingError("unknown user")
        cancellation = self.bookings.cancel(
            booking_id, None if account is None or account.is_admin else user
        )
        for stop in self._timers.pop(booking_id, []):
            stop()
        key = self._booking_keys.pop(booking_id, None)
        if key is not None and self.book.get(bytes.fromhex(key)) is not None:
            ieee = self._ieee_of(cancellation.booking.bay)
            if ieee is not None:
                listing = await self.async_holder_key(HUB_HOLDER)
                await self._async_remove(ieee, bytes.fromhex(key), listing)
        await self._async_save()
        return cancellation.free

    async def async_set_layout(self, layout: CarParkLayout) -> None:
        """The manager gives the car park's plan."""
        self.layout = layout
        await self._async_save()

    def marked_bays(self) -> set[str]:
        """Bays booked or held now, and the one the latest key or booking is for."""
        marked = {
            context.installation.lock_id
            for context in self.bays.values()
            if self.bookings.current(context.installation.lock_id) is not None
        }
        if self._focus is not None:
            marked.add(self._focus)
        return marked

    def focus_bay(self) -> str | None:
        """The bay the latest e-key or booking is for: the map's route leads there."""
        return self._focus

    def bay_name_at(self, address: str) -> str:
        """The bay whose lock is at ``address`` (the address, for a lock not managed here)."""
        context = self.bays.get(address)
        return address if context is None else context.name

    def ieee_for(self, lock_id: str) -> str | None:
        """The address of the bay whose lock has this id."""
        return self._ieee_of(lock_id)

    def _ieee_of(self, lock_id: str) -> str | None:
        return next(
            (c.address for c in self.bays.values() if c.installation.lock_id == lock_id), None
        )

    def _schedule(self, booking: Booking) -> None:
        """Look at the bay when the slot starts and when an overstay would be due."""
        ieee = self._ieee_of(booking.bay)
        if ieee is None:
            return
        watch = self._watches.setdefault(ieee, BookingWatch())
        stops = self._timers.setdefault(booking.booking_id, [])
        for when in (booking.start, watch.overstay_due(booking)):
            if when <= self.clock.now():
                continue

            @callback
            def tick(_now: datetime, ieee: str = ieee) -> None:
                self._watch(ieee, None)

            stops.append(
                async_track_point_in_utc_time(self.hass, tick, dt_util.utc_from_timestamp(when))
            )

    def _cancel_timers(self) -> None:
        for stops in self._timers.values():
            for stop in stops:
                stop()
        self._timers.clear()

    def _watch(self, ieee: str, occupied: bool | None) -> None:
        """Tell the bay's watch what the sensor says now (None: only the clock moved)."""
        context = self.bays[ieee]
        watch = self._watches.setdefault(ieee, BookingWatch())
        bookings = self.bookings.for_bay(context.installation.lock_id)
        now = self.clock.now()
        events: list[BookingEvent] = (
            watch.tick(now, bookings)
            if occupied is None
            else watch.observe(occupied, now, bookings)
        )
        for event in events:
            async_dispatcher_send(self.hass, self.signal("booking", ieee), event)
        async_dispatcher_send(self.hass, self.signal("bookings"))

    def _send(self, ieee: str, event: BayEvent) -> None:
        async_dispatcher_send(self.hass, self.signal("access", ieee), event)

    def _notify_manager(self, ieee: str, what: str) -> None:
        """Tell the bay's manager (SPEC P8), and only administrators (S7)."""
        context = self.bays[ieee]
        async_tell_administrators(
            self.hass,
            EVENT_MANAGER_NOTICE,
            {
                "bay": context.name,
                "lock": context.installation.lock_id,
                "message": f"{context.name} was {what}.",
            },
        )

    async def _async_save(self) -> None:
        await self._store.async_save(
            {
                "holders": {user: key.to_pem().decode() for user, key in self._holder_keys.items()},
                "book": self.book.to_json(),
                "appointments": self.authority.to_json(),
                "bookings": self.bookings.to_json(),
                "layout": self.layout.to_json() if self.layout else None,
                "focus": self._focus,
                "policies": {bay: p.to_json() for bay, p in self.policies.items()},
                "listings": {bay: li.to_json() for bay, li in self.listings.items()},
                "booking_keys": self._booking_keys,
            }
        )
        async_dispatcher_send(self.hass, self.signal("bookings"))


def _when(timestamp: int) -> str:
    return dt_util.as_local(dt_util.utc_from_timestamp(timestamp)).strftime("%Y-%m-%d %H:%M")
