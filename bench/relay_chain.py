"""The hub's relay end to end over the simulated radio, timed and its air counted.

Used by bench telemetry. The air is every frame of our cluster both ways as the simulated
medium counts it (APS payload bytes: the whole ZCL frame, header included; the MAC, NWK
and APS headers below it are not counted). The payload is what the relay must move at
least: each reading packet once and each erase command the meters accepted once.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import zigpy.device

from buildinghub.credentials import MonotonicClock, SigningKey
from buildinghub.devices.meter import MeterClient
from buildinghub.radio.cluster import CLUSTER_ID
from buildinghub.radio.network import BuildingNetwork
from buildinghub.telemetry.cloud_client import CloudClient
from buildinghub.telemetry.outbox import Outbox
from buildinghub.telemetry.reading import Quantity, ReadingPacket
from buildinghub.telemetry.receipt import EraseCommand
from buildinghub.telemetry.relay import Relay
from buildinghub_sim.medium import drop_medium, get_medium
from buildinghub_sim.meter import SimulatedMeter
from buildinghub_sim.meter_firmware import MeterFirmware
from cloud_connector.app import Settings
from cloud_connector.hubs import create_enrolment
from cloud_connector.local import serve_locally

PATH = "sim://bench-relay"
METERS = 3


class _Joined:
    def __init__(self, count: int) -> None:
        self.devices: list[zigpy.device.Device] = []
        self.count = count
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def device_initialized(self, device: zigpy.device.Device) -> None:
        if device.nwk != 0:
            self.devices.append(device)
            if len(self.devices) == self.count and not self.done.done():
                self.done.set_result(None)


@dataclass(frozen=True, slots=True)
class RelayFigures:
    """What relaying ``readings`` cost: time, air and payload."""

    readings: int
    seconds: float
    air_frames: int
    air_bytes: int
    payload_bytes: int


class _CountingLink:
    """A meter's link that adds up the erase commands the meter took."""

    def __init__(self, link: MeterClient) -> None:
        self._link = link
        self.erase_bytes = 0

    async def pull(self, after: int) -> list[ReadingPacket]:
        return await self._link.pull(after)

    async def erase(self, command: EraseCommand) -> None:
        await self._link.erase(command)
        self.erase_bytes += len(command.encoded)


async def relay_chain(folder: Path, count: int, *, per_round: int | None = None) -> RelayFigures:
    """Relay ``count`` readings over three meters from measure to erased.

    By default every reading is taken first and the relay drains the backlog; with
    ``per_round`` each meter takes that many readings before each relay round (1: meters
    that read less often than the hub relays).
    """
    settings = Settings(SigningKey.generate())
    firmwares = [
        MeterFirmware(
            f"relay-{n}",
            dwelling=f"R{n}",
            quantity=Quantity.WATER,
            key=SigningKey.generate(),
            cloud_key=settings.cloud_key.public_key,
            clock=MonotonicClock(),
            capacity=count + 1,
        )
        for n in range(METERS)
    ]
    meters = [
        SimulatedMeter(f, ieee=f"00:0d:6f:00:00:00:20:{n:02x}", nwk=0x2000 + n)
        for n, f in enumerate(firmwares)
    ]
    network = BuildingNetwork(PATH)
    async with (
        serve_locally(f"sqlite:///{folder / 'relay-cloud.db'}", settings) as cloud,
        aiohttp.ClientSession() as session,
    ):
        hub_key = SigningKey.generate()
        client = CloudClient(session, cloud.url, hub_key, cloud_key=settings.cloud_key.public_key)
        await client.enrol(await create_enrolment(cloud.engine, "Relay Court"))
        for f in firmwares:
            await client.register_meter(f.meter_id, f.dwelling, f.quantity, f.public_key)
        outbox = await Outbox.open(folder / "relay-outbox.db")
        try:
            await network.start()
            joined = _Joined(METERS)
            network.add_listener(joined)
            for meter in meters:
                get_medium(PATH).join(meter)
            await asyncio.wait_for(joined.done, 30)
            links = {str(d.ieee): _CountingLink(MeterClient(d)) for d in joined.devices}
            by_meter = {m.firmware.meter_id: links[str(m.ieee)] for m in meters}
            relay = Relay(outbox, client, clock=time.monotonic)
            air_before = get_medium(PATH).stats.of_cluster(CLUSTER_ID)
            started = time.perf_counter()
            packets: list[ReadingPacket] = []
            batch = count if per_round is None else per_round * METERS
            while len(packets) < count or any(f.memory for f in firmwares):
                packets += [
                    meters[n % METERS].firmware.measure(3)
                    for n in range(min(batch, count - len(packets)))
                ]
                await asyncio.gather(
                    *(relay.collect(meter_id, link) for meter_id, link in by_meter.items())
                )
                await relay.upload()
                await relay.erase(by_meter)
            seconds = time.perf_counter() - started
            air = get_medium(PATH).stats.of_cluster(CLUSTER_ID)
            return RelayFigures(
                readings=count,
                seconds=seconds,
                air_frames=air.frames - air_before.frames,
                air_bytes=air.bytes - air_before.bytes,
                payload_bytes=sum(len(p.encoded) for p in packets)
                + sum(link.erase_bytes for link in links.values()),
            )
        finally:
            await outbox.close()
            await network.stop()
            await drop_medium(PATH)
