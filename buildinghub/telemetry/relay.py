"""The hub's relay: meters -> outbox -> cloud -> receipts -> erase commands -> meters.

Each step only moves a reading forward once the previous one is durable: the hub
asks a meter for readings above the outbox's cursor and commits them before anything
else; it uploads pending readings in batches and keeps the erase commands (one signed batch
receipt, each meter's run of it with its proof) that verify with the pinned cloud key;
it sends each meter its erase commands and forgets a reading only when the meter has
erased it (or says it no longer holds it). While the cloud is unreachable, uploads back
off exponentially (with jitter, up to :data:`MAX_BACKOFF_S`) and readings keep
accumulating in the outbox.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Protocol

from buildinghub.radio.errors import RadioError

from .cloud_client import CloudRefused, CloudUnavailable, IngestAnswer
from .errors import EraseRefused
from .outbox import Outbox
from .reading import ReadingPacket
from .receipt import EraseCommand

_LOGGER = logging.getLogger(__name__)
BATCH_SIZE: Final = 500
MIN_BACKOFF_S: Final = 2.0
MAX_BACKOFF_S: Final = 300.0
ERASE_BATCH: Final = 200
GONE: Final = frozenset({"unknown_reading"})
"""Erase refusals that mean the meter no longer holds the reading (erased before)."""


class MeterLink(Protocol):
    """What the relay needs of a meter (the radio client, or a test's stand-in)."""

    async def pull(self, after: int) -> list[ReadingPacket]: ...

    async def erase(self, command: EraseCommand) -> None: ...


class Uploader(Protocol):
    """What the relay needs of the cloud."""

    async def send_readings(self, packets: Sequence[bytes]) -> IngestAnswer: ...


class Backoff:
    """Exponential backoff with full jitter, reset by a success."""

    def __init__(
        self,
        clock: Callable[[], float],
        *,
        minimum: float = MIN_BACKOFF_S,
        maximum: float = MAX_BACKOFF_S,
        rng: random.Random | None = None,
    ) -> None:
        """Delays start at ``minimum`` and double up to ``maximum``."""
        self._clock = clock
        self._minimum = minimum
        self._maximum = maximum
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not a secret
        self.failures = 0
        self.not_before = 0.0

    def ready(self) -> bool:
        """Whether the next attempt may go now."""
        return self._clock() >= self.not_before

    def failed(self) -> float:
        """Record a failure; returns the delay before the next attempt."""
        self.failures += 1
        ceiling = min(self._maximum, self._minimum * 2 ** (self.failures - 1))
        delay = self._rng.uniform(self._minimum / 2, ceiling)
        self.not_before = self._clock() + delay
        return delay

    def succeeded(self) -> None:
        """Record a success."""
        self.failures = 0
        self.not_before = 0.0


@dataclass(frozen=True, slots=True)
class UploadResult:
    """What one upload did."""

    sent: int
    receipted: int
    refused: int


class Relay:
    """Moves readings along; every method is safe to call again after a crash."""

    def __init__(
        self,
        outbox: Outbox,
        cloud: Uploader,
        *,
        clock: Callable[[], float],
        batch_size: int = BATCH_SIZE,
        backoff: Backoff | None = None,
    ) -> None:
        """Relay between the meters, ``outbox`` and ``cloud``."""
        self.outbox = outbox
        self.cloud = cloud
        self.batch_size = batch_size
        self.backoff = backoff or Backoff(clock)
        self.cloud_reachable = True

    async def collect(self, meter_id: str, link: MeterLink, *, from_start: bool = False) -> int:
        """Pull the readings a meter holds above the cursor; returns how many were new.

        ``from_start`` pulls everything the meter still holds, as when it re-offers its
        readings after a retry period (SPEC M4): a reading a lost or reordered frame made
        the hub skip is collected then.
        """
        after = 0 if from_start else await self.outbox.cursor(meter_id)
        packets = [p for p in await link.pull(after) if p.reading.meter_id == meter_id]
        if not packets:
            return 0
        return await self.outbox.add(packets)

    async def upload(self) -> UploadResult:
        """Send every pending reading, batch by batch, unless backing off.

        Raises :class:`CloudUnavailable` (and backs off) when the cloud cannot be reached.
        """
        sent = receipted = refused = 0
        if not self.backoff.ready():
            raise CloudUnavailable("backing off after the cloud failed")
        while True:
            batch = await self.outbox.due(self.batch_size)
            if not batch:
                break
            try:
                answer = await self.cloud.send_readings([p.encoded for p in batch])
            except (CloudUnavailable, CloudRefused) as err:
                delay = self.backoff.failed()
                self.cloud_reachable = False
                _LOGGER.info("Cloud upload failed (%s); next try in %.0f s", err, delay)
                raise CloudUnavailable(str(err)) from err
            self.backoff.succeeded()
            self.cloud_reachable = True
            sent += len(batch)
            receipted += await self.outbox.record_receipts(answer.erase_commands)
            rejected = [
                (batch[r.index], r.reason) for r in answer.refused if 0 <= r.index < len(batch)
            ]
            if rejected:
                await self.outbox.record_refused(rejected)
            refused += len(rejected)
            if not answer.erase_commands and not rejected:
                break  # the cloud answered nothing useful: do not spin on the same batch
        return UploadResult(sent, receipted, refused)

    async def erase(self, links: Mapping[str, MeterLink]) -> int:
        """Deliver erase commands, meters in parallel; returns how many readings were erased."""
        by_meter: dict[str, list[EraseCommand]] = {}
        for command in await self.outbox.to_erase(ERASE_BATCH):
            if command.meter_id in links:
                by_meter.setdefault(command.meter_id, []).append(command)
        erased = await asyncio.gather(
            *(self._erase_on(links[meter_id], commands) for meter_id, commands in by_meter.items())
        )
        done = [key for keys in erased for key in keys]
        if done:
            await self.outbox.erased(done)
        return len(done)

    async def _erase_on(
        self, link: MeterLink, commands: list[EraseCommand]
    ) -> list[tuple[str, int]]:
        done: list[tuple[str, int]] = []
        for command in commands:
            try:
                await link.erase(command)
            except EraseRefused as err:
                if err.code not in GONE:
                    _LOGGER.warning(
                        "Meter %s refused to erase readings %d to %d: %s",
                        command.meter_id,
                        command.entries[0].sequence,
                        command.entries[-1].sequence,
                        err.code,
                    )
                    continue
            except RadioError:
                break  # unreachable now: the rest waits for the next round
            done += command.keys
        return done
