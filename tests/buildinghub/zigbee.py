"""What the library's radio tests share: waiting for zigpy to finish an interview."""

from __future__ import annotations

import asyncio

import zigpy.device

COORDINATOR_NWK = 0x0000


class Initialized:
    """zigpy listener resolving once a device other than the coordinator is initialized."""

    def __init__(self) -> None:
        self.device: asyncio.Future[zigpy.device.Device] = (
            asyncio.get_running_loop().create_future()
        )

    def device_initialized(self, device: zigpy.device.Device) -> None:
        if device.nwk != COORDINATOR_NWK and not self.device.done():
            self.device.set_result(device)
