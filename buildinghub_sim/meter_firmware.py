"""Reference firmware of a community meter (SPEC M1-M4).

The meter keeps every signed reading in its memory until an erase command arrives
whose one batch receipt the cloud signed and whose proof shows, for this meter, the
storage units (sequences) *and* the digests of the packets stored there; then it
erases exactly those units. Anything else (a forged, replayed or mismatched command)
changes nothing. Each retry period without an erase counts one failure per held
reading and the reading is offered again; above the retry limit the meter erases it
anyway (privacy over completeness) and counts the loss in ``forced_erasures``, which
the hub reads and reports. When memory is full the oldest reading goes the same, counted, way.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from buildinghub.credentials import Clock, PublicKey, SigningKey
from buildinghub.telemetry.errors import ReadingMismatch, UnknownReading
from buildinghub.telemetry.identity import MeterIdentity
from buildinghub.telemetry.reading import Quantity, Reading, ReadingPacket, sign_reading
from buildinghub.telemetry.receipt import EraseCommand, verify_erase_command

_LOGGER = logging.getLogger(__name__)
DEFAULT_CAPACITY: Final = 512
DEFAULT_RETRY_LIMIT: Final = 96
"""With a 15-minute retry period: a day without the cloud before anything is dropped."""


@dataclass(slots=True)
class StorageUnit:
    """One reading in the meter's memory and how often it went unacknowledged."""

    packet: ReadingPacket
    failures: int = 0


type EraseListener = Callable[[ReadingPacket, bool], None]
"""Called with each erased packet and whether it was forced (no receipt)."""


class MeterFirmware:
    """The meter's behaviour, independent of any radio."""

    def __init__(
        self,
        meter_id: str,
        *,
        dwelling: str,
        quantity: Quantity,
        key: SigningKey,
        cloud_key: PublicKey,
        clock: Clock,
        capacity: int = DEFAULT_CAPACITY,
        retry_limit: int = DEFAULT_RETRY_LIMIT,
        total: int = 0,
    ) -> None:
        """``cloud_key`` is provisioned at installation: the only key whose receipts erase."""
        self.meter_id = meter_id
        self.dwelling = dwelling
        self.quantity = quantity
        self.public_key = key.public_key
        self._key = key
        self._cloud_key = cloud_key
        self.clock = clock
        self.capacity = capacity
        self.retry_limit = retry_limit
        self.total = total
        self.next_sequence = 1
        self.memory: OrderedDict[int, StorageUnit] = OrderedDict()
        self.forced_erasures = 0
        self._listeners: list[EraseListener] = []

    @property
    def identity(self) -> MeterIdentity:
        """Who the meter is, as it states it to the hub."""
        return MeterIdentity(self.meter_id, self.dwelling, self.quantity, self.public_key)

    def add_erase_listener(self, listener: EraseListener) -> Callable[[], None]:
        """Hear every erasure (tests and the fault harness check them)."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    # -- measuring ---------------------------------------------------------------------------

    def measure(self, consumed: int) -> ReadingPacket:
        """Add ``consumed`` base units to the running total and keep a signed reading of it."""
        if consumed < 0:
            raise ValueError("a meter only counts up")
        self.total += consumed
        reading = Reading(
            self.meter_id,
            self.next_sequence,
            self.quantity,
            self.total,
            self.clock.now(),
            self.dwelling,
        )
        self.next_sequence += 1
        packet = sign_reading(reading, self._key)
        while len(self.memory) >= self.capacity:
            _, oldest = self.memory.popitem(last=False)
            self._forget(oldest.packet, forced=True)
        self.memory[reading.sequence] = StorageUnit(packet)
        return packet

    def held_after(self, after: int) -> ReadingPacket | None:
        """The first held reading with a sequence above ``after`` (what the hub pulls next)."""
        for sequence, unit in self.memory.items():
            if sequence > after:
                return unit.packet
        return None

    def held_above(self, after: int, limit: int) -> list[ReadingPacket]:
        """Up to ``limit`` held readings with a sequence above ``after``, oldest first."""
        found: list[ReadingPacket] = []
        for sequence, unit in self.memory.items():
            if sequence > after:
                found.append(unit.packet)
                if len(found) == limit:
                    break
        return found

    # -- erasing -----------------------------------------------------------------------------

    def erase(self, command: bytes) -> EraseCommand:
        """Apply an erase command; raises a TelemetryError (nothing changes) unless it is valid.

        The command's one receipt signature and its proof are checked first; then every
        named reading the meter still holds must be exactly the stored one, or nothing is
        erased. Readings it names that are already gone are skipped (an erase repeated after
        a lost answer); when it names none the meter holds, it is refused as unknown.
        """
        verified = verify_erase_command(command, self._cloud_key, self.meter_id)
        held = [
            (entry, unit)
            for entry in verified.entries
            if (unit := self.memory.get(entry.sequence)) is not None
        ]
        if not held:
            raise UnknownReading(
                f"{self.meter_id} holds none of readings {verified.entries[0].sequence} to "
                f"{verified.entries[-1].sequence}"
            )
        for entry, unit in held:
            if not entry.covers(unit.packet):
                raise ReadingMismatch(
                    f"the receipt for reading {entry.sequence} names other content than the "
                    "meter holds"
                )
        for entry, unit in held:
            del self.memory[entry.sequence]
            self._forget(unit.packet, forced=False)
        return verified

    def retry_tick(self) -> list[int]:
        """One retry period passed: count a failure per held reading, drop those over the limit."""
        dropped: list[int] = []
        for sequence, unit in list(self.memory.items()):
            unit.failures += 1
            if unit.failures > self.retry_limit:
                del self.memory[sequence]
                self._forget(unit.packet, forced=True)
                dropped.append(sequence)
        return dropped

    def _forget(self, packet: ReadingPacket, *, forced: bool) -> None:
        if forced:
            self.forced_erasures += 1
            _LOGGER.warning(
                "%s erased reading %d without a receipt (%d so far)",
                self.meter_id,
                packet.reading.sequence,
                self.forced_erasures,
            )
        for listener in list(self._listeners):
            listener(packet, forced)
