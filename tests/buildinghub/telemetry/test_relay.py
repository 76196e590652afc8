"""Meter to cloud and back, over the simulated radio and the real connector on both databases."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from buildinghub.credentials import MonotonicClock, SigningKey
from buildinghub.devices.meter import MeterClient
from buildinghub.radio.cluster import CLUSTER_ID
from buildinghub.radio.network import BuildingNetwork
from buildinghub.telemetry.cloud_client import CloudClient, CloudUnavailable
from buildinghub.telemetry.errors import EraseRefused
from buildinghub.telemetry.outbox import Outbox, OutboxCounts
from buildinghub.telemetry.reading import ReadingPacket
from buildinghub.telemetry.receipt import EraseCommand, ReceiptEntry, issue_receipt
from buildinghub.telemetry.relay import Backoff, Relay
from buildinghub_sim.medium import drop_medium, get_medium
from buildinghub_sim.meter import SimulatedMeter
from buildinghub_sim.meter_firmware import MeterFirmware
from cloud_connector.schema import readings
from tests.buildinghub.zigbee import Initialized
from tests.cloud_site import CloudSite, cloud_site


def _erase_command(packet: ReadingPacket, cloud_key: SigningKey) -> EraseCommand:
    (command,) = issue_receipt([ReceiptEntry.of(packet, 0)], cloud_key).commands
    return command


@dataclass
class Chain:
    site: CloudSite
    meter: SimulatedMeter
    client: MeterClient
    outbox: Outbox
    relay: Relay

    @property
    def meter_id(self) -> str:
        return self.meter.firmware.meter_id

    async def cycle(self) -> None:
        await self.relay.collect(self.meter_id, self.client)
        await self.relay.upload()
        await self.relay.erase({self.meter_id: self.client})

    async def stored(self) -> int:
        async with self.site.cloud.engine.connect() as connection:
            count = await connection.execute(select(func.count()).select_from(readings))
            return int(count.scalar_one())


@pytest.fixture
async def chain(
    database_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[Chain]:
    path = f"sim://relay-{request.node.name}"
    async with cloud_site(database_url) as site:
        spec = site.meters[0]
        firmware = MeterFirmware(
            spec.meter_id,
            dwelling=spec.dwelling,
            quantity=spec.quantity,
            key=spec.key,
            cloud_key=site.cloud_key.public_key,
            clock=MonotonicClock(),
            retry_limit=2,
        )
        meter = SimulatedMeter(firmware, ieee="00:0d:6f:00:00:00:10:01", nwk=0x1001)
        network = BuildingNetwork(path)
        outbox = await Outbox.open(tmp_path / "outbox.db")
        chain: Chain | None = None
        try:
            await network.start()
            initialized = Initialized()
            network.add_listener(initialized)
            get_medium(path).join(meter)
            async with asyncio.timeout(5):
                device = await initialized.device
            relay = Relay(outbox, site.client, clock=time.monotonic)
            chain = Chain(site, meter, MeterClient(device), outbox, relay)
            yield chain
        finally:
            await (chain.outbox if chain else outbox).close()
            await network.stop()
            await drop_medium(path)


async def test_readings_reach_the_cloud_and_only_then_leave_the_meter(chain: Chain) -> None:
    for _ in range(5):
        chain.meter.measure(250)

    await chain.cycle()

    assert await chain.stored() == 5
    assert chain.meter.firmware.memory == {}
    assert await chain.outbox.counts() == OutboxCounts(0, 0, 0)
    assert chain.meter.firmware.forced_erasures == 0


async def test_relaying_a_backlog_puts_at_most_one_and_a_half_times_its_payload_on_the_air(
    chain: Chain,
) -> None:
    medium = chain.meter.medium
    packets = [chain.meter.measure(250) for _ in range(40)]
    before = medium.stats.of_cluster(CLUSTER_ID)

    await chain.relay.collect(chain.meter_id, chain.client)
    await chain.relay.upload()
    commands = await chain.outbox.to_erase(100)
    await chain.relay.erase({chain.meter_id: chain.client})

    assert chain.meter.firmware.memory == {}
    payload = sum(len(p.encoded) for p in packets) + sum(len(c.encoded) for c in commands)
    air = medium.stats.of_cluster(CLUSTER_ID).bytes - before.bytes
    assert len(commands) == 2  # 40 readings of one meter: erase commands of 32 and 8
    assert payload < air <= 1.5 * payload


async def test_one_reading_per_round_puts_at_most_one_and_a_half_times_its_payload_on_the_air(
    chain: Chain,
) -> None:
    medium = chain.meter.medium
    before = medium.stats.of_cluster(CLUSTER_ID)
    payload = 0
    for _ in range(5):
        packet = chain.meter.measure(250)
        await chain.relay.collect(chain.meter_id, chain.client)
        await chain.relay.upload()
        (command,) = await chain.outbox.to_erase(100)
        await chain.relay.erase({chain.meter_id: chain.client})
        payload += len(packet.encoded) + len(command.encoded)

    assert chain.meter.firmware.memory == {}
    air = medium.stats.of_cluster(CLUSTER_ID).bytes - before.bytes
    assert payload < air <= 1.5 * payload


async def test_a_readings_chunk_garbled_in_the_air_is_asked_for_again_from_where_it_broke(
    chain: Chain,
) -> None:
    medium = chain.meter.medium
    # Taken by the firmware alone, so no attribute report shares the air with the pull.
    packets = [chain.meter.firmware.measure(250) for _ in range(5)]  # a bundle of 7 chunks
    requests: list[bytes] = []
    stop = medium.add_tap(lambda way, data: requests.append(data) if way == "to_device" else None)
    # The third chunk the meter streams arrives with its offset bytes changed.
    medium.tamper_next(lambda data: data, direction="to_hub")
    medium.tamper_next(lambda data: data, direction="to_hub")
    medium.tamper_next(lambda data: data[:7] + b"\xff\xff" + data[9:], direction="to_hub")

    pulled = await chain.client.pull(0)
    stop()

    assert pulled == packets
    # The first request, and one more from the offset of the garbled chunk (2 x 72 bytes).
    offsets = [int.from_bytes(frame[-2:], "little") for frame in requests]
    assert offsets == [0, 144]


async def test_while_the_cloud_is_down_readings_stay_on_the_meter_and_in_the_outbox(
    chain: Chain, tmp_path: Path
) -> None:
    offline = Relay(
        chain.outbox,
        CloudClient(chain.site.session, "http://127.0.0.1:9", chain.site.hub_key),
        clock=time.monotonic,
        backoff=Backoff(time.monotonic, minimum=0.0, maximum=0.0),
    )
    offline_client = offline.cloud
    assert isinstance(offline_client, CloudClient)
    offline_client.cloud_key = chain.site.client.cloud_key
    for _ in range(3):
        chain.meter.measure(10)

    await offline.collect(chain.meter_id, chain.client)
    with pytest.raises(CloudUnavailable):
        await offline.upload()

    assert len(chain.meter.firmware.memory) == 3
    assert (await chain.outbox.counts()).pending == 3
    assert await chain.stored() == 0

    # The hub restarts, then the cloud is back: the backlog drains and the meter erases.
    await chain.outbox.close()
    chain.outbox = await Outbox.open(tmp_path / "outbox.db")
    chain.relay = Relay(chain.outbox, chain.site.client, clock=time.monotonic)
    await chain.cycle()

    assert await chain.stored() == 3
    assert chain.meter.firmware.memory == {}


async def test_a_forged_erase_command_over_the_radio_changes_nothing(chain: Chain) -> None:
    packet = chain.meter.measure(10)

    with pytest.raises(EraseRefused) as refused:
        await chain.client.erase(_erase_command(packet, SigningKey.generate()))

    assert refused.value.code == "bad_signature"
    assert list(chain.meter.firmware.memory) == [1]


async def test_a_replayed_erase_command_over_the_radio_changes_nothing(chain: Chain) -> None:
    first = chain.meter.measure(10)
    chain.meter.measure(10)
    command = _erase_command(first, chain.site.cloud_key)
    await chain.client.erase(command)

    with pytest.raises(EraseRefused) as refused:
        await chain.client.erase(command)

    assert refused.value.code == "unknown_reading"
    assert list(chain.meter.firmware.memory) == [2]


async def test_forced_erasures_are_read_by_the_hub_and_counted_once(chain: Chain) -> None:
    chain.meter.measure(10)
    for _ in range(3):
        chain.meter.firmware.retry_tick()

    status = await chain.client.read_status()

    assert (status.held, status.forced_erasures) == (0, 1)
    assert await chain.outbox.record_forced_erasures(chain.meter_id, status.forced_erasures) == 1
    assert await chain.outbox.record_forced_erasures(chain.meter_id, status.forced_erasures) == 0


async def test_days_offline_the_hub_keeps_what_the_meter_had_to_drop(chain: Chain) -> None:
    offline = Relay(
        chain.outbox,
        CloudClient(chain.site.session, "http://127.0.0.1:9", chain.site.hub_key),
        clock=time.monotonic,
        backoff=Backoff(time.monotonic, minimum=0.0, maximum=0.0),
    )
    for _ in range(3):
        chain.meter.measure(40)
    await offline.collect(chain.meter_id, chain.client)
    # Days without the cloud: the meter's retry budget runs out and it erases anyway.
    for _ in range(chain.meter.firmware.retry_limit + 1):
        chain.meter.firmware.retry_tick()
    assert chain.meter.firmware.memory == {}
    assert chain.meter.firmware.forced_erasures == 3

    await chain.cycle()

    assert await chain.stored() == 3
    assert await chain.outbox.counts() == OutboxCounts(0, 0, 0)
