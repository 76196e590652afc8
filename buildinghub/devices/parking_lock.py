"""The hub's client for one Building Hub parking lock on the building network.

A parking lock speaks what a door lock speaks (buildinghub.devices.door_lock): grants,
revocations and unlock proofs over our cluster, the barrier as the DoorLock bolt. On top:
share chains are delivered link by link (the lock checks each against the one above),
the vehicle sensor on OccupancySensing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import zigpy.device
from zigpy.exceptions import DeliveryError
from zigpy.zcl import Cluster
from zigpy.zcl.clusters.measurement import OccupancySensing

from buildinghub.credentials.delegation import Chain
from buildinghub.radio.errors import DeviceUnreachable
from buildinghub.radio.reports import on_report
from buildinghub.radio.request_policy import RETRIES

from .door_lock import ENDPOINT_ID, DoorLockClient


class ParkingLockClient(DoorLockClient):
    """Talks to one parking lock; safe to share within the hub's event loop."""

    def __init__(self, device: zigpy.device.Device, **kwargs: Any) -> None:
        super().__init__(device, **kwargs)
        self._occupancy: Cluster | None = device.endpoints[ENDPOINT_ID].in_clusters.get(
            OccupancySensing.cluster_id
        )

    async def install_chain(self, chain: Chain) -> None:
        """Deliver every link, e-key first; the lock ignores links it already holds."""
        for link in chain.links:
            await self.install_grant(link)

    def resume_counter(self, grant_id: bytes, last: int) -> None:
        """Continue a key's unlock counter above ``last`` (the hub's ledger, after a restart)."""
        self._counters[grant_id] = max(self._counters.get(grant_id, 0), last)

    async def read_occupied(self) -> bool | None:
        """Whether a vehicle stands in the bay (None: the lock has no vehicle sensor)."""
        if self._occupancy is None:
            return None
        try:
            values, _ = await self._occupancy.read_attributes(["occupancy"], retries=RETRIES)
        except (DeliveryError, TimeoutError) as err:
            raise DeviceUnreachable(self.ieee) from err
        return bool(int(values.get("occupancy", 0)) & 1)

    def add_occupancy_listener(self, callback: Callable[[bool], None]) -> Callable[[], None]:
        """Be told when the lock reports a vehicle arriving (True) or leaving (False)."""
        cluster = self._occupancy
        if cluster is None:
            return lambda: None
        return on_report(
            cluster,
            OccupancySensing.AttributeDefs.occupancy,
            lambda value: callback(bool(int(value) & 1)),
        )
