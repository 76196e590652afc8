"""Residents and property managers, and what each may read (SPEC M5).

A resident reads only their own dwelling's readings and balance. A property manager
reads derived data of their building (balances, low-balance alerts) and never raw
readings. People authenticate with a bearer token, stored only as its SHA-256.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from .errors import Forbidden, Malformed, Unauthorized
from .hubs import token_hash
from .schema import principals


class Role(StrEnum):
    """What a person is to the building."""

    RESIDENT = "resident"
    MANAGER = "manager"


@dataclass(frozen=True, slots=True)
class Person:
    """An authenticated person."""

    name: str
    role: Role
    building: str
    dwelling: str | None

    def may_read_readings(self, building: str, dwelling: str) -> None:
        """Raw readings: the resident of that dwelling only."""
        if self.role is not Role.RESIDENT or (self.building, self.dwelling) != (
            building,
            dwelling,
        ):
            raise Forbidden(
                f"{self.name} may not read the raw readings of {dwelling}: residents see "
                "their own dwelling only, property managers see balances and alerts"
            )

    def may_read_balance(self, building: str, dwelling: str) -> None:
        """A balance: its resident, or the building's property manager."""
        if self.building != building or (self.role is Role.RESIDENT and self.dwelling != dwelling):
            raise Forbidden(f"{self.name} may not read the balance of {dwelling}")


async def add_person(
    engine: AsyncEngine, name: str, role: Role, building: str, dwelling: str | None
) -> str:
    """Create a person and return their bearer token (shown once)."""
    if role is Role.RESIDENT and not dwelling:
        raise Malformed("a resident belongs to a dwelling")
    token = secrets.token_urlsafe(24)
    async with engine.begin() as connection:
        await connection.execute(
            insert(principals).values(
                token_hash=token_hash(token),
                name=name,
                role=role.value,
                building=building,
                dwelling=dwelling if role is Role.RESIDENT else None,
            )
        )
    return token


async def authenticate(engine: AsyncEngine, authorization: str | None) -> Person:
    """The person a ``Bearer`` token belongs to."""
    if not authorization or not authorization.startswith("Bearer "):
        raise Unauthorized("send Authorization: Bearer <token>")
    async with engine.connect() as connection:
        row = (
            await connection.execute(
                select(principals).where(
                    principals.c.token_hash == token_hash(authorization.removeprefix("Bearer "))
                )
            )
        ).one_or_none()
    if row is None:
        raise Unauthorized("unknown token")
    return Person(row.name, Role(row.role), row.building, row.dwelling)
