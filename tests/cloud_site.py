"""A running cloud connector with an enrolled hub and registered meters, for tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import aiohttp

from buildinghub.credentials import SigningKey
from buildinghub.telemetry.cloud_client import CloudClient
from buildinghub.telemetry.reading import Quantity, Reading, ReadingPacket, sign_reading
from cloud_connector.app import Settings
from cloud_connector.hubs import create_enrolment
from cloud_connector.ledger import LedgerSettings
from cloud_connector.local import LocalCloud, serve_locally

BUILDING = "Elm Court"
NOW = 1_767_225_600


@dataclass
class TestMeter:
    """A meter's identity and key, to sign readings the way its firmware does."""

    meter_id: str
    dwelling: str
    quantity: Quantity
    key: SigningKey = field(default_factory=SigningKey.generate)

    def packet(self, sequence: int, value: int, created_at: int = NOW) -> ReadingPacket:
        reading = Reading(self.meter_id, sequence, self.quantity, value, created_at, self.dwelling)
        return sign_reading(reading, self.key)


@dataclass
class CloudSite:
    """The connector, one enrolled hub's client and its meters."""

    cloud: LocalCloud
    session: aiohttp.ClientSession
    hub_key: SigningKey
    client: CloudClient
    meters: list[TestMeter]

    @property
    def cloud_key(self) -> SigningKey:
        return self.cloud.settings.cloud_key


@asynccontextmanager
async def cloud_site(
    database_url: str,
    *,
    payment_secret: bytes | None = None,
    ledger: LedgerSettings | None = None,
) -> AsyncIterator[CloudSite]:
    """Serve the connector on ``database_url``, enrol a hub and register three meters."""
    settings = Settings(SigningKey.generate(), payment_secret=payment_secret, ledger=ledger)
    async with (
        serve_locally(database_url, settings) as cloud,
        aiohttp.ClientSession() as session,
    ):
        hub_key = SigningKey.generate()
        client = CloudClient(session, cloud.url, hub_key)
        client.cloud_key = await client.fetch_cloud_key()
        await client.enrol(await create_enrolment(cloud.engine, BUILDING))
        meters = [
            TestMeter("meter-1a-e", "1A", Quantity.ELECTRICITY),
            TestMeter("meter-1a-w", "1A", Quantity.WATER),
            TestMeter("meter-2b-g", "2B", Quantity.GAS),
        ]
        for meter in meters:
            await client.register_meter(
                meter.meter_id, meter.dwelling, meter.quantity, meter.key.public_key
            )
        yield CloudSite(cloud, session, hub_key, client, meters)
