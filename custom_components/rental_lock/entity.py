"""The base entity of Rental Lock: one device per door lock."""

from __future__ import annotations

from buildinghub_ha.entity import FleetEntity

from .coordinator import LockCoordinator
from .hub import LockContext, RentalHub


class RentalLockEntity(FleetEntity[RentalHub, LockContext]):
    """An entity of one door lock."""

    coordinator: LockCoordinator
