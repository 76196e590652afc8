"""The base entity of Parking Lock: one device per bay."""

from __future__ import annotations

from buildinghub_ha.entity import FleetEntity

from .coordinator import BayCoordinator
from .hub import BayContext, ParkingHub


class ParkingBayEntity(FleetEntity[ParkingHub, BayContext]):
    """An entity of one parking bay."""

    coordinator: BayCoordinator
