"""Ingest: store a batch of readings once, then sign one receipt for every reading held.

A batch's writes (its readings, conflict flags and charges) are one database transaction on
SQLite and PostgreSQL alike: a failure stores nothing of the batch and touches nothing stored
before. Only after that commit does the connector sign ONE storage receipt for the batch, a
Merkle root over an entry per reading held (SPEC C1), and cut it into each meter's erase
commands. Idempotent on (meter, sequence): a reading already stored with the same digest is
acknowledged again (its entry keeps its first ``stored_at``); a different packet under a
stored key is refused and flagged in ``conflicts``, and the stored reading stays as it was. A
reading has one conflict row however often it is sent again (the first other packet, a count
and when last), so the table grows at most as the readings do (SPEC S6).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, text, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from buildinghub.credentials import SigningKey
from buildinghub.telemetry.errors import TelemetryError
from buildinghub.telemetry.reading import ReadingPacket, check_signature, decode_packet
from buildinghub.telemetry.receipt import MAX_BATCH, ReceiptedBatch, ReceiptEntry, issue_receipt

from .accounts import charge_readings
from .hubs import Hub, Meter, meters_of
from .schema import conflicts, readings

__all__ = ["MAX_BATCH", "IngestResult", "Refusal", "ingest"]


@dataclass(frozen=True, slots=True)
class Refusal:
    """A reading the connector did not store, and why."""

    index: int
    reason: str
    message: str


@dataclass(slots=True)
class IngestResult:
    """What one batch did: one receipt for every reading held, refusals for the rest."""

    receipted: ReceiptedBatch | None = None
    refused: list[Refusal] = field(default_factory=list)
    newly_stored: int = 0


_UNNEST_INSERT = text(
    "WITH inserted AS (INSERT INTO readings (meter_id, sequence, digest, packet, building,"
    " dwelling, quantity, value, created_at, stored_at)"
    " SELECT m, s, d, p, :building, w, q, v, c, :now FROM unnest("
    "CAST(:meter_id AS varchar[]), CAST(:sequence AS bigint[]), CAST(:digest AS bytea[]),"
    " CAST(:packet AS bytea[]), CAST(:dwelling AS varchar[]), CAST(:quantity AS integer[]),"
    " CAST(:value AS bigint[]), CAST(:created_at AS bigint[])) AS t(m, s, d, p, w, q, v, c)"
    " ON CONFLICT DO NOTHING RETURNING meter_id, sequence)"
    " SELECT array_agg(meter_id) AS meter_ids, array_agg(sequence) AS sequences FROM inserted"
)


async def _insert_new(
    connection: AsyncConnection, hub: Hub, packets: list[ReadingPacket], now: int
) -> set[tuple[str, int]]:
    """Insert the readings not stored yet, in one statement; returns the keys it inserted."""
    columns: dict[str, list[Any]] = {
        "meter_id": [p.reading.meter_id for p in packets],
        "sequence": [p.reading.sequence for p in packets],
        "digest": [p.digest for p in packets],
        "packet": [p.encoded for p in packets],
        "dwelling": [p.reading.dwelling for p in packets],
        "quantity": [int(p.reading.quantity) for p in packets],
        "value": [p.reading.value for p in packets],
        "created_at": [p.reading.created_at for p in packets],
    }
    if connection.dialect.name == "postgresql":
        # The batch as eight arrays in, the inserted keys as two arrays out: asyncpg encodes
        # and decodes them natively, a row costs no bind parameters or result row of its own.
        inserted = (
            await connection.execute(
                _UNNEST_INSERT, {**columns, "building": hub.building, "now": now}
            )
        ).one()
        return set(zip(inserted.meter_ids or (), inserted.sequences or (), strict=True))
    rows = [
        dict(zip(columns, values, strict=True), building=hub.building, stored_at=now)
        for values in zip(*columns.values(), strict=True)
    ]
    statement = sqlite.insert(readings).on_conflict_do_nothing()
    result = await connection.execute(
        statement.returning(readings.c.meter_id, readings.c.sequence), rows
    )
    return {(row.meter_id, row.sequence) for row in result}


async def ingest(
    engine: AsyncEngine,
    hub: Hub,
    packets: Sequence[bytes],
    cloud_key: SigningKey,
    now: int,
) -> IngestResult:
    """Verify, store and receipt one batch of packets sent by ``hub``."""
    result = IngestResult()
    parsed: list[tuple[int, ReadingPacket]] = []
    for index, data in enumerate(packets):
        try:
            parsed.append((index, decode_packet(data)))
        except TelemetryError as err:
            result.refused.append(Refusal(index, err.reason, str(err)))
    async with engine.begin() as connection:
        registered = await meters_of(
            connection, hub, {packet.reading.meter_id for _, packet in parsed}
        )
        accepted = _verified(parsed, registered, result)
        held = (
            await _store(connection, hub, accepted, now, result, registered=registered)
            if accepted
            else []
        )
    # The transaction has committed: only now does the connector vouch for the readings.
    if held:
        result.receipted = issue_receipt(held, cloud_key)
    return result


def _verified(
    parsed: list[tuple[int, ReadingPacket]], registered: dict[str, Meter], result: IngestResult
) -> list[tuple[int, ReadingPacket]]:
    """The packets signed by their registered meter, once each; the rest are refused."""
    accepted: dict[tuple[str, int], tuple[int, ReadingPacket]] = {}
    for index, packet in parsed:
        meter = registered.get(packet.reading.meter_id)
        if meter is None:
            result.refused.append(
                Refusal(
                    index,
                    "unknown_meter",
                    f"meter {packet.reading.meter_id} is not registered to this hub",
                )
            )
            continue
        try:
            check_signature(packet, meter.public_key)
        except TelemetryError as err:
            result.refused.append(Refusal(index, err.reason, str(err)))
            continue
        if packet.reading.dwelling != meter.dwelling or packet.reading.quantity != meter.quantity:
            result.refused.append(
                Refusal(
                    index, "wrong_dwelling", f"meter {meter.meter_id} measures {meter.dwelling}"
                )
            )
            continue
        earlier = accepted.get(packet.key)
        if earlier is not None and earlier[1].digest != packet.digest:
            result.refused.append(
                Refusal(index, "conflict", f"two different readings {packet.key} in one batch")
            )
            continue
        accepted[packet.key] = (index, packet)
    return list(accepted.values())


async def _store(
    connection: AsyncConnection,
    hub: Hub,
    indexed: list[tuple[int, ReadingPacket]],
    now: int,
    result: IngestResult,
    *,
    registered: dict[str, Meter],
) -> list[ReceiptEntry]:
    packets = [packet for _, packet in indexed]
    held: list[ReceiptEntry] = []
    refused: list[tuple[int, ReadingPacket]] = []
    # One statement inserts what is new and names it; only a resent or conflicting
    # reading costs a look at what is stored.
    inserted = await _insert_new(connection, hub, packets, now)
    stored = await _stored_digests(connection, [p.key for p in packets if p.key not in inserted])
    new: list[ReadingPacket] = []
    for index, packet in indexed:
        if packet.key in inserted:
            new.append(packet)
            held.append(ReceiptEntry.of(packet, now))
            continue
        digest, stored_at = stored[packet.key]
        if digest == packet.digest:
            held.append(ReceiptEntry.of(packet, stored_at))
            continue
        await connection.execute(_flag_conflict(connection, hub, packet, now))
        refused.append((index, packet))
    await charge_readings(connection, new, now, registered)
    for index, packet in refused:
        result.refused.append(
            Refusal(
                index,
                "conflict",
                f"reading {packet.reading.sequence} of {packet.reading.meter_id} is stored "
                "with different content; this one was flagged",
            )
        )
    result.newly_stored = len(new)
    return held


def _flag_conflict(connection: AsyncConnection, hub: Hub, packet: ReadingPacket, now: int) -> Any:
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(conflicts).values(
        meter_id=packet.reading.meter_id,
        sequence=packet.reading.sequence,
        digest=packet.digest,
        packet=packet.encoded,
        hub_id=hub.hub_id,
        flagged_at=now,
        occurrences=1,
        last_flagged_at=now,
    )
    return statement.on_conflict_do_update(
        index_elements=["meter_id", "sequence"],
        set_={"occurrences": conflicts.c.occurrences + 1, "last_flagged_at": now},
    )


async def _stored_digests(
    connection: AsyncConnection, keys: list[tuple[str, int]]
) -> dict[tuple[str, int], tuple[bytes, int]]:
    found: dict[tuple[str, int], tuple[bytes, int]] = {}
    # Bounded IN lists: both databases plan them well and SQLite's variable limit holds.
    for start in range(0, len(keys), 200):
        chunk = keys[start : start + 200]
        rows = await connection.execute(
            select(
                readings.c.meter_id, readings.c.sequence, readings.c.digest, readings.c.stored_at
            ).where(tuple_(readings.c.meter_id, readings.c.sequence).in_(chunk))
        )
        for row in rows:
            found[(row.meter_id, row.sequence)] = (bytes(row.digest), row.stored_at)
    return found
