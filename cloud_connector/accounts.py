"""Prepaid balances (SPEC M7): consumption is charged as readings arrive, payments credit it.

Consumption is charged on the rise of a meter's running total above the highest total
already charged, so readings that arrive late or out of order never charge twice. A
reminder is recorded once each time a balance falls below its dwelling's threshold.
Amounts are kept in thousandths of a cent so per-reading charges do not round away.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from sqlalchemy import bindparam, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from buildinghub.telemetry.reading import Quantity, ReadingPacket

from .errors import Conflict, Malformed
from .hubs import Meter
from .schema import accounts, meter_totals, payments, reminders, tariffs
from .stored_records import insert_once

MILLI = 1000


@dataclass(frozen=True, slots=True)
class Account:
    """A dwelling's prepaid balance, as the resident and the manager see it."""

    building: str
    dwelling: str
    balance_cents: int
    threshold_cents: int

    @property
    def low(self) -> bool:
        """Whether the balance is below the reminder threshold."""
        return self.balance_cents < self.threshold_cents


async def open_account(
    engine: AsyncEngine, building: str, dwelling: str, threshold_cents: int, balance_cents: int = 0
) -> None:
    """Open (or re-threshold) a dwelling's account."""
    async with engine.begin() as connection:
        row = (
            await connection.execute(
                select(accounts).where(
                    accounts.c.building == building, accounts.c.dwelling == dwelling
                )
            )
        ).one_or_none()
        if row is None:
            await connection.execute(
                insert(accounts).values(
                    building=building,
                    dwelling=dwelling,
                    balance_millicents=balance_cents * MILLI,
                    threshold_cents=threshold_cents,
                    below_threshold=balance_cents < threshold_cents,
                )
            )
        else:
            await connection.execute(
                update(accounts)
                .where(accounts.c.building == building, accounts.c.dwelling == dwelling)
                .values(threshold_cents=threshold_cents)
            )


async def set_tariff(
    engine: AsyncEngine, building: str, quantity: Quantity, millicents_per_unit: int
) -> None:
    """The price of one base unit (Wh, litre) in thousandths of a cent."""
    async with engine.begin() as connection:
        await connection.execute(
            tariffs.delete().where(
                tariffs.c.building == building, tariffs.c.quantity == int(quantity)
            )
        )
        await connection.execute(
            insert(tariffs).values(
                building=building,
                quantity=int(quantity),
                millicents_per_unit=millicents_per_unit,
            )
        )


async def _adjust(
    connection: AsyncConnection, building: str, dwelling: str, millicents: int, now: int
) -> None:
    row = (
        await connection.execute(
            select(accounts)
            .where(accounts.c.building == building, accounts.c.dwelling == dwelling)
            .with_for_update()
        )
    ).one_or_none()
    if row is None:
        return
    balance = row.balance_millicents + millicents
    below = balance < row.threshold_cents * MILLI
    await connection.execute(
        update(accounts)
        .where(accounts.c.building == building, accounts.c.dwelling == dwelling)
        .values(balance_millicents=balance, below_threshold=below)
    )
    if below and not row.below_threshold:
        await connection.execute(
            insert(reminders).values(
                building=building,
                dwelling=dwelling,
                balance_cents=balance // MILLI,
                sent_at=now,
            )
        )


async def charge_readings(
    connection: AsyncConnection,
    packets: Sequence[ReadingPacket],
    now: int,
    registered: Mapping[str, Meter],
) -> None:
    """Charge newly stored readings, inside the transaction that stores them.

    ``registered`` holds every packet's meter as the caller read it in this transaction.
    One pass per meter, not per reading: a meter's charge is the rise of its highest
    total; the first reading a meter ever sends is its baseline. The meters' totals and
    prices are read and written in one statement each, whatever the number of meters.
    """
    by_meter: dict[str, list[ReadingPacket]] = {}
    for packet in packets:
        by_meter.setdefault(packet.reading.meter_id, []).append(packet)
    if not by_meter:
        return
    ids = sorted(by_meter)
    totals = {
        row.meter_id: int(row.highest_value)
        for row in await connection.execute(
            select(meter_totals).where(meter_totals.c.meter_id.in_(ids)).with_for_update()
        )
    }
    first: list[dict[str, int | str]] = []
    raised: list[dict[str, int | str]] = []
    rises: dict[str, int] = {}
    for meter_id in ids:
        batch = by_meter[meter_id]
        highest = max(p.reading.value for p in batch)
        before = totals.get(meter_id)
        if before is None:
            baseline = min(batch, key=lambda p: p.reading.sequence).reading.value
            first.append({"meter_id": meter_id, "highest_value": highest})
            rises[meter_id] = highest - baseline
        elif highest > before:
            raised.append({"meter": meter_id, "highest": highest})
            rises[meter_id] = highest - before
    for meter_id, theirs in (await _first_totals(connection, first)).items():
        # Another replica stored this meter's first readings at the same moment: theirs
        # are its baseline, ours charge only what rises above them.
        highest = max(p.reading.value for p in by_meter[meter_id])
        rises[meter_id] = max(0, highest - theirs)
        if rises[meter_id]:
            raised.append({"meter": meter_id, "highest": highest})
    if raised:
        await _raise_totals(connection, raised)
    charged = [meter_id for meter_id in ids if rises.get(meter_id, 0) > 0]
    if not charged:
        return
    prices = {
        (row.building, row.quantity): row.millicents_per_unit
        for row in await connection.execute(
            select(tariffs).where(tariffs.c.building.in_({registered[m].building for m in charged}))
        )
    }
    for meter_id in charged:
        meter = registered[meter_id]
        price = prices.get((meter.building, meter.quantity))
        if price:
            await _adjust(connection, meter.building, meter.dwelling, -rises[meter_id] * price, now)


_RAISE_TOTALS_POSTGRES: Final = text(
    "UPDATE meter_totals SET highest_value = raised.highest"
    " FROM unnest(CAST(:meters AS varchar[]), CAST(:highest AS bigint[]))"
    " AS raised(meter, highest) WHERE meter_totals.meter_id = raised.meter"
)


async def _raise_totals(connection: AsyncConnection, raised: list[dict[str, int | str]]) -> None:
    """Write the meters' new highest totals: one statement on PostgreSQL (two arrays), one
    executemany on SQLite."""
    if connection.dialect.name == "postgresql":
        await connection.execute(
            _RAISE_TOTALS_POSTGRES,
            {
                "meters": [row["meter"] for row in raised],
                "highest": [row["highest"] for row in raised],
            },
        )
        return
    await connection.execute(
        update(meter_totals)
        .where(meter_totals.c.meter_id == bindparam("meter"))
        .values(highest_value=bindparam("highest")),
        raised,
    )


async def _first_totals(
    connection: AsyncConnection, first: list[dict[str, int | str]]
) -> dict[str, int]:
    """Store the first totals of meters; returns the totals another transaction stored first.

    A meter's first readings are rare (once per meter), so one insert-once each costs little.
    """
    lost = [
        str(row["meter_id"])
        for row in first
        if not await insert_once(connection, meter_totals, key="meter_id", **row)
    ]
    if not lost:
        return {}
    return {
        row.meter_id: int(row.highest_value)
        for row in await connection.execute(
            select(meter_totals).where(meter_totals.c.meter_id.in_(lost)).with_for_update()
        )
    }


async def record_payment(
    engine: AsyncEngine,
    *,
    building: str,
    dwelling: str,
    payment_id: str,
    amount_cents: int,
    now: int,
) -> bool:
    """Credit a payment once; returns False when that payment id was already credited."""
    if amount_cents <= 0:
        raise Malformed("a payment's amount_cents is a positive integer")
    async with engine.begin() as connection:
        if (
            await connection.execute(
                select(accounts.c.dwelling).where(
                    accounts.c.building == building, accounts.c.dwelling == dwelling
                )
            )
        ).one_or_none() is None:
            raise Malformed(f"no prepaid account for dwelling {dwelling} in {building}")
        # Insert first: of two deliveries at once (two replicas) one inserts, the other waits
        # for it and finds the payment there.
        fresh = await insert_once(
            connection,
            payments,
            key="payment_id",
            payment_id=payment_id,
            building=building,
            dwelling=dwelling,
            amount_cents=amount_cents,
            received_at=now,
        )
        if not fresh:
            earlier = (
                await connection.execute(
                    select(payments).where(payments.c.payment_id == payment_id)
                )
            ).one()
            if (earlier.building, earlier.dwelling, earlier.amount_cents) != (
                building,
                dwelling,
                amount_cents,
            ):
                raise Conflict(f"payment {payment_id} was already reported with other details")
            return False
        await _adjust(connection, building, dwelling, amount_cents * MILLI, now)
    return True


async def account(engine: AsyncEngine, building: str, dwelling: str) -> Account | None:
    """A dwelling's account."""
    async with engine.connect() as connection:
        row = (
            await connection.execute(
                select(accounts).where(
                    accounts.c.building == building, accounts.c.dwelling == dwelling
                )
            )
        ).one_or_none()
    if row is None:
        return None
    return Account(building, dwelling, row.balance_millicents // MILLI, row.threshold_cents)


async def accounts_of(engine: AsyncEngine, building: str) -> list[Account]:
    """Every account of a building."""
    async with engine.connect() as connection:
        rows = (
            await connection.execute(
                select(accounts)
                .where(accounts.c.building == building)
                .order_by(accounts.c.dwelling)
            )
        ).all()
    return [
        Account(building, row.dwelling, row.balance_millicents // MILLI, row.threshold_cents)
        for row in rows
    ]


async def reminders_of(engine: AsyncEngine, building: str) -> list[tuple[str, int, int]]:
    """(dwelling, balance_cents, sent_at) of every reminder sent in a building."""
    async with engine.connect() as connection:
        rows = (
            await connection.execute(
                select(reminders).where(reminders.c.building == building).order_by(reminders.c.id)
            )
        ).all()
    return [(row.dwelling, row.balance_cents, row.sent_at) for row in rows]
