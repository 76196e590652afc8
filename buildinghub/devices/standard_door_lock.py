"""A standard ZCL door lock as a lock provider: grants become PIN users with a schedule.

The hub verified the grant (signature, audience, window) before it comes here: a
standard lock verifies nothing. What the lock does enforce is the year-day schedule
the hub writes with the PIN, so a PIN opens only inside its grant's window even
while the hub is down. The PIN itself is sealed in the grant to the hub's sealing
key (the hub stands in for the lock's secure element) and opened only to be
written. The schedule is in the lock's local time: the hub sets the lock's zone
(lock_time) and writes each window in it. Use counts (SPEC R17) come from the lock's
event log when it keeps one (so uses made while the hub was down are counted when it
comes back; an operation event only tells the hub to read the log), else from its
operation events. A code the hub did not write, found in the table or announced by a
programming event, is reported as foreign.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, tzinfo

from zigpy.zcl.clusters.closures import OperationEventSource

from buildinghub.credentials import Clock, Grant, MalformedGrant, SignedGrant, SigningKey
from buildinghub.credentials.sealing import SealingKey
from buildinghub.radio.errors import DeviceUnreachable

from .door_lock import LockRefused, LockStatus
from .door_lock_protocol import AccessEvent
from .lock_time import LockTimeZone, to_zcl_time
from .pin_users import (
    CapacityExceeded,
    DriftKind,
    Guarantee,
    LockCapacity,
    PinSlot,
    PinTable,
)
from .standard_lock import (
    LockOperation,
    LockProgramming,
    StandardLockClient,
    StandardLockRefused,
)

_LOGGER = logging.getLogger(__name__)
CLOCK_TOLERANCE_S = 5
"""How far a lock's clock may be from the hub's before the hub sets it."""


@dataclass(frozen=True, slots=True)
class CaughtUp:
    """What reading the lock's event log found."""

    counted: tuple[PinSlot, ...]
    """The hub's slots whose count went up, as counted now."""
    lost: int
    """Log records that had already been overwritten: uses in them are not counted."""


@dataclass(frozen=True, slots=True)
class Reconciled:
    """What reading a lock's user table back found and did."""

    rewritten: tuple[int, ...]
    """User ids the hub wrote again (they had gone or changed)."""
    cleared: tuple[int, ...]
    """User ids of grants no longer held (revoked, expired, used up) that the hub cleared."""
    foreign: tuple[int, ...]
    """User ids holding a code the hub did not write: a person must look."""
    failed: tuple[int, ...]
    """User ids the hub could not put right."""
    caught_up: CaughtUp | None = None
    """What the lock's log held that the hub had not counted (None: the lock keeps no log)."""


class StandardDoorLock:
    """One standard lock, as the hub manages it."""

    guarantee = Guarantee.ENFORCED_BY_SCHEDULE

    def __init__(
        self,
        client: StandardLockClient,
        *,
        lock_id: str,
        sealing_key: SealingKey,
        clock: Clock,
        zone: tzinfo = UTC,
        table: PinTable | None = None,
        on_change: Callable[[], None] = lambda: None,
    ) -> None:
        """Manage ``client``'s lock, known to grants as ``lock_id``.

        ``sealing_key``: the hub's key that grants for this lock seal their PIN to;
        ``zone``: the time zone of the building, which the lock is set to;
        ``on_change``: called whenever the PIN table changed (so the hub saves it).
        """
        self.client = client
        self.lock_id = lock_id
        self.table = PinTable() if table is None else table
        self._sealing_key = sealing_key
        self._clock = clock
        self._on_change = on_change
        self._zone = zone
        self._lock_zone: LockTimeZone | None = None
        self._log_records: int | None = None
        self._log_read = asyncio.Lock()
        self._writing = asyncio.Lock()
        """Held while the hub changes or reads back the user table: one at a time."""
        self._log_listeners: list[Callable[[], None]] = []
        self._capacity: LockCapacity | None = None
        self._foreign: set[int] = set()
        self._foreign_listeners: list[Callable[[int], None]] = []
        self._used_up_listeners: list[Callable[[PinSlot], None]] = []

    @property
    def ieee(self) -> str:
        """The lock's address."""
        return self.client.ieee

    async def capacity(self) -> LockCapacity:
        """What the lock can hold (read once, then remembered)."""
        if self._capacity is None:
            self._capacity = await self.client.read_capacity()
        return self._capacity

    async def set_clock(self) -> LockTimeZone:
        """Set the lock's clock and zone to the building's (when they differ) and read the
        zone back.

        A lock's clock that is off by more than CLOCK_TOLERANCE_S is set: the lock checks
        schedules against it. The daylight-saving period a lock holds is one at a time:
        when it passes, the hub sets the next one, and the next reconciliation rewrites
        every schedule in it.
        """
        now = self._clock.now()
        wanted = LockTimeZone.of_zone(self._zone, now)
        clock = await self.client.read_clock()
        if clock is not None and abs(clock - to_zcl_time(now)) > CLOCK_TOLERANCE_S:
            try:
                await self.client.write_clock(to_zcl_time(now))
            except StandardLockRefused as err:
                _LOGGER.warning("Lock %s refused to have its clock set: %s", self.ieee, err)
        held = await self.client.read_time_zone()
        if held is None:
            if self._lock_zone is None:
                _LOGGER.warning(
                    "Lock %s has no Time cluster: its schedules are taken to be in UTC", self.ieee
                )
            self._lock_zone = LockTimeZone()
            return self._lock_zone
        if held != wanted:
            try:
                await self.client.write_time_zone(wanted)
            except StandardLockRefused as err:
                # Schedules written in the zone the lock holds still open at the right instants.
                _LOGGER.warning("Lock %s keeps its own time zone: %s", self.ieee, err)
            held = await self.client.read_time_zone()
        self._lock_zone = held or LockTimeZone()
        return self._lock_zone

    async def lock_zone(self) -> LockTimeZone:
        """The lock's time settings, as last set and read back."""
        if self._lock_zone is None:
            return await self.set_clock()
        return self._lock_zone

    async def keeps_log(self) -> bool:
        """Whether the lock keeps an event log (switched on by the hub when it can)."""
        if self._log_records is None:
            try:
                self._log_records = await self.client.enable_log()
            except StandardLockRefused as err:
                _LOGGER.warning("Lock %s keeps no log the hub can use: %s", self.ieee, err)
                self._log_records = 0
        return self._log_records > 0

    async def catch_up(self) -> CaughtUp | None:
        """Count the uses the lock's log holds that the hub has not counted yet.

        The first reading only marks where the log is. Uses of a slot that reach its
        limit tell the used-up listeners (which clear the PIN). None: no log.
        """
        if not await self.keeps_log():
            return None
        async with self._log_read:
            newest = await self.client.read_log_entry(0)
            if newest is None:  # an empty log (new, or reset): every record to come is new
                if self.table.log_cursor != 0:
                    self.table.log_cursor = 0
                    self._on_change()
                return CaughtUp((), 0)
            cursor = self.table.log_cursor
            if cursor is None:  # the first reading: what is logged already is not ours
                self.table.log_cursor = newest.entry_id
                self._on_change()
                return CaughtUp((), 0)
            if newest.entry_id < cursor:  # the lock's log was reset: all of it is new
                cursor = 0
            assert self._log_records is not None
            zone = self._lock_zone or LockTimeZone()
            first = max(cursor + 1, newest.entry_id - self._log_records + 1)
            counted: dict[bytes, PinSlot] = {}
            for entry_id in range(first, newest.entry_id + 1):
                entry = newest if entry_id == newest.entry_id else None
                entry = entry or await self.client.read_log_entry(entry_id)
                slot = None if entry is None else self.table.by_user(entry.user_id)
                if entry is None or slot is None or not entry.opened:
                    continue
                # The lock opens a PIN only inside its schedule: an opening outside this
                # slot's window was an earlier grant's at the same user id.
                start, end = zone.local_window(slot.start, slot.end)
                if start <= entry.local_time < end:
                    counted[slot.grant_id] = self.table.count_use(entry.user_id) or slot
            self.table.log_cursor = newest.entry_id
            self._on_change()
        for slot in counted.values():
            if slot.exhausted:
                for listener in list(self._used_up_listeners):
                    listener(slot)
        return CaughtUp(tuple(counted.values()), max(0, first - cursor - 1))

    def pin_of(self, signed: SignedGrant) -> str:
        """Open the grant's PIN (MalformedGrant when it has none or it is not for this lock)."""
        grant = signed.grant
        if grant.sealed_pin is None:
            raise MalformedGrant(
                "a grant for a standard lock must carry a PIN: the lock checks nothing else"
            )
        return self._sealing_key.open_pin(
            grant.sealed_pin, audience=self.lock_id, grant_id=grant.grant_id
        )

    async def install_grant(self, signed: SignedGrant) -> None:
        """Write the grant's PIN as a PIN user with a year-day schedule for its window.

        Raises MalformedGrant (no PIN), LockRefused with reason ``capacity`` and the lock's
        limit when it cannot hold it, or ``set_pin_code`` etc. when the lock refuses.
        """
        grant = signed.grant
        pin = self.pin_of(signed)
        capacity = await self.capacity()
        zone = await self.lock_zone()
        async with self._writing:
            await self._install(grant, pin, capacity, zone)
        self._on_change()

    async def _install(
        self, grant: Grant, pin: str, capacity: LockCapacity, zone: LockTimeZone
    ) -> None:
        try:
            capacity.check_pin(pin)
            slot = self.table.allocate(
                grant.grant_id,
                start=grant.not_before,
                end=grant.expires,
                max_uses=grant.max_uses,
                capacity=capacity,
                taken=self._foreign,
            )
        except CapacityExceeded as err:
            raise LockRefused("grant", f"capacity: {err}") from None
        try:
            await self.client.write_pin_user(
                slot.user_id, pin, *zone.local_window(slot.start, slot.end)
            )
        except StandardLockRefused as err:
            self.table.release(grant.grant_id)
            raise LockRefused("grant", str(err)) from None
        except DeviceUnreachable:
            self.table.release(grant.grant_id)
            raise

    async def install_delegated_grant(self, delegation: bytes, signed: SignedGrant) -> None:
        """A grant the hub issued under a booking delegation (the hub verified the chain):
        written like any other, as a PIN user with the stay's schedule."""
        await self.install_grant(signed)

    async def withdraw(self, grant_id: bytes) -> bool:
        """Clear a grant's PIN user at the lock; False when the hub wrote none for it."""
        async with self._writing:
            return await self._withdraw(grant_id)

    async def _withdraw(self, grant_id: bytes) -> bool:
        slot = self.table.get(grant_id)
        if slot is None:
            return False
        try:
            await self.client.clear_pin_user(slot.user_id)
        except StandardLockRefused as err:
            raise LockRefused("revocation", str(err)) from None
        self.table.release(grant_id)
        self._on_change()
        return True

    async def purge_expired(self) -> int:
        """Clear the PIN users of grants whose window ended (the schedule already refuses)."""
        now = self._clock.now()
        ended = [slot for slot in self.table if slot.end <= now]
        for slot in ended:
            await self.withdraw(slot.grant_id)
        return len(ended)

    async def reconcile(self, held: Callable[[], Mapping[bytes, SignedGrant]]) -> Reconciled:
        """Read the user table back and put right what differs from what the hub holds.

        ``held``: gives the grants for this lock the hub still holds and that have not ended.
        First the lock's clock is set and its log read (uses made while the hub was away
        count, and a PIN used up meanwhile is cleared below).
        """
        async with self._writing:
            # Asked only now: a grant written while this waited is held by then.
            return await self._reconcile(held())

    async def _reconcile(self, held: Mapping[bytes, SignedGrant]) -> Reconciled:
        zone = await self.set_clock()
        caught_up = await self.catch_up()
        now = self._clock.now()
        rewritten: list[int] = []
        cleared: list[int] = []
        failed: list[int] = []
        for slot in list(self.table):
            if slot.grant_id not in held or slot.end <= now or slot.exhausted:
                try:
                    await self._withdraw(slot.grant_id)
                    cleared.append(slot.user_id)
                except LockRefused:
                    failed.append(slot.user_id)
        pins = {grant_id: self.pin_of(signed) for grant_id, signed in held.items()}
        users = await self.client.read_users(await self.capacity())
        foreign: list[int] = []
        for drift in self.table.drift(users, pins, zone.local_window):
            if drift.kind is DriftKind.UNKNOWN:
                foreign.append(drift.user_id)
                continue
            assert drift.grant_id is not None
            if drift.grant_id not in pins:
                continue  # written while the table was read: newer than ``held``
            mine = self.table.get(drift.grant_id)
            assert mine is not None
            try:
                await self.client.write_pin_user(
                    mine.user_id, pins[drift.grant_id], *zone.local_window(mine.start, mine.end)
                )
                rewritten.append(mine.user_id)
            except StandardLockRefused:
                failed.append(mine.user_id)
        self._foreign = set(foreign)
        return Reconciled(
            tuple(rewritten), tuple(cleared), tuple(foreign), tuple(failed), caught_up
        )

    async def unlock(self, signed: SignedGrant, holder_key: SigningKey) -> None:
        """A standard lock opens for its keypad only: the hub does not open it from the app."""
        raise LockRefused("unlock", "standard_lock_keypad_only")

    async def lock(self) -> None:
        """Bolt the door."""
        await self.client.lock()

    async def read_status(self) -> LockStatus:
        """The bolt and the battery."""
        return await self.client.read_status()

    def add_bolt_listener(self, callback: Callable[[bool], None]) -> Callable[[], None]:
        """Be told whenever the bolt moves."""
        return self.client.add_bolt_listener(callback)

    def add_foreign_code_listener(self, callback: Callable[[int], None]) -> None:
        """Be told of a code programmed at the lock by anyone but the hub (its user id)."""
        self._foreign_listeners.append(callback)

    def add_used_up_listener(self, callback: Callable[[PinSlot], None]) -> None:
        """Be told when a use-limited PIN reached its limit (its PIN is being cleared)."""
        self._used_up_listeners.append(callback)

    def add_log_listener(self, callback: Callable[[], None]) -> None:
        """Be told when the lock's log has a use to count: call :meth:`catch_up` then."""
        self._log_listeners.append(callback)

    def add_access_listener(self, callback: Callable[[AccessEvent], None]) -> Callable[[], None]:
        """Be told of every attempt at the door, with the grant whose PIN was used."""

        def on_operation(operation: LockOperation) -> None:
            slot = None if operation.user_id is None else self.table.by_user(operation.user_id)
            if operation.granted and slot is not None:
                if self._log_records:
                    for listener in list(self._log_listeners):
                        listener()
                else:
                    slot = self._count_use(slot)
            callback(
                AccessEvent(
                    method=operation.method,
                    granted=operation.granted,
                    reason=operation.reason,
                    grant_id=None if slot is None else slot.grant_id,
                    at=operation.at,
                )
            )

        return self.client.add_event_listener(on_operation, self._on_programming)

    # -- internals -----------------------------------------------------------------------

    def _count_use(self, slot: PinSlot) -> PinSlot:
        counted = self.table.count_use(slot.user_id)
        assert counted is not None
        self._on_change()
        if counted.exhausted:
            for listener in list(self._used_up_listeners):
                listener(counted)
        return counted

    def _on_programming(self, event: LockProgramming) -> None:
        # Only the hub programs the lock over the building network (RF); any other source
        # is a person at the lock itself.
        if event.source == OperationEventSource.RF:
            return
        if self.table.by_user(event.user_id) is None:
            self._foreign.add(event.user_id)
        for listener in list(self._foreign_listeners):
            listener(event.user_id)
