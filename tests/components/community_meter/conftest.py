"""A cloud connector, a simulated building with meters, and a Community Meter hub on them."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from pytest_homeassistant_custom_component.common import MockConfigEntry
from sqlalchemy import func, select

from bench.cloud_process import free_port
from buildinghub.credentials import MonotonicClock, SigningKey
from buildinghub.telemetry.cloud_client import CloudClient
from buildinghub.telemetry.reading import Quantity
from buildinghub_ha.const import CONF_RADIO_PATH
from buildinghub_sim.building import SimulatedBuilding, forget_building, register_building
from buildinghub_sim.medium import drop_medium, get_medium
from buildinghub_sim.meter import SimulatedMeter
from buildinghub_sim.meter_firmware import MeterFirmware
from buildinghub_sim.meter_register import MeterRegister
from cloud_connector import accounts
from cloud_connector.app import Settings
from cloud_connector.hubs import create_enrolment
from cloud_connector.local import LocalCloud, serve_locally
from cloud_connector.schema import readings
from custom_components.community_meter.const import (
    CONF_BUILDING,
    CONF_CLOUD_KEY,
    CONF_CLOUD_URL,
    CONF_HUB_KEY,
    DOMAIN,
)
from tests.components.settling import settle as settle_radio

BUILDING = "Elm Court"
_paths = itertools.count()


@dataclass
class Cloud:
    """A cloud connector that a test can stop and start again on the same port and data."""

    database_url: str
    settings: Settings = field(default_factory=lambda: Settings(SigningKey.generate()))
    port: int = field(default_factory=free_port)
    running: LocalCloud | None = None
    _stack: AsyncExitStack | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> LocalCloud:
        self._stack = AsyncExitStack()
        self.running = await self._stack.enter_async_context(
            serve_locally(self.database_url, self.settings, self.port)
        )
        return self.running

    async def stop(self) -> None:
        if self._stack is not None:
            await self._stack.aclose()
        self._stack = self.running = None

    async def token(self) -> str:
        assert self.running is not None
        return await create_enrolment(self.running.engine, BUILDING)

    async def stored(self) -> int:
        assert self.running is not None
        async with self.running.engine.connect() as connection:
            count = await connection.execute(select(func.count()).select_from(readings))
            return int(count.scalar_one())


@pytest.fixture
async def cloud(socket_enabled: None, tmp_path: Path) -> AsyncIterator[Cloud]:
    """The cloud connector on SQLite, on a fixed loopback port."""
    made = Cloud(f"sqlite:///{tmp_path / 'cloud.db'}")
    await made.start()
    yield made
    await made.stop()


@dataclass
class Site:
    """The simulated building's radio and its three meters."""

    building: SimulatedBuilding
    meters: list[SimulatedMeter]

    @property
    def path(self) -> str:
        return self.building.path

    def rejoin(self) -> None:
        """The meters (re)announce themselves to the coordinator."""
        for meter in self.meters:
            get_medium(self.path).join(meter)

    def meter(self, quantity: Quantity) -> SimulatedMeter:
        return next(m for m in self.meters if m.firmware.quantity is quantity)


@pytest.fixture
def registers() -> dict[Quantity, MeterRegister]:
    """Meters whose register is not the simulator's default (parametrize to give some)."""
    return {}


@pytest.fixture
async def site(
    hass: HomeAssistant, cloud: Cloud, registers: dict[Quantity, MeterRegister]
) -> AsyncIterator[Site]:
    """One flat's building network with an electricity, a water and a gas meter."""
    path = f"sim://meter-building-{next(_paths)}"
    building = SimulatedBuilding.create(path, flats=1, clock=MonotonicClock())
    register_building(building)
    building.power_on()
    meters = [
        SimulatedMeter(
            MeterFirmware(
                meter_id,
                dwelling=dwelling,
                quantity=quantity,
                key=SigningKey.generate(),
                cloud_key=cloud.settings.cloud_key.public_key,
                clock=MonotonicClock(),
            ),
            ieee=f"00:0d:6f:00:00:00:30:{n:02x}",
            nwk=0x3000 + n,
            register=registers.get(quantity),
        )
        for n, (meter_id, dwelling, quantity) in enumerate(
            [
                ("meter-1a-e", "1A", Quantity.ELECTRICITY),
                ("meter-1a-w", "1A", Quantity.WATER),
                ("meter-2b-g", "2B", Quantity.GAS),
            ]
        )
    ]
    yield Site(building, meters)
    for entry in hass.config_entries.async_entries(DOMAIN):
        if entry.state is ConfigEntryState.LOADED:
            await hass.config_entries.async_unload(entry.entry_id)
    forget_building(path)
    await drop_medium(path)


@pytest.fixture
async def config_entry(hass: HomeAssistant, cloud: Cloud, site: Site) -> MockConfigEntry:
    """An entry enrolled with the cloud, as the config flow makes it."""
    hub_key = SigningKey.generate()
    client = CloudClient(async_get_clientsession(hass), cloud.url, hub_key)
    await client.enrol(await cloud.token())
    return MockConfigEntry(
        domain=DOMAIN,
        title=BUILDING,
        unique_id=site.path,
        data={
            CONF_RADIO_PATH: site.path,
            CONF_CLOUD_URL: cloud.url,
            CONF_HUB_KEY: hub_key.to_pem().decode(),
            CONF_CLOUD_KEY: cloud.settings.cloud_key.public_key.to_bytes().hex(),
            CONF_BUILDING: BUILDING,
        },
    )


async def settle(hass: HomeAssistant) -> None:
    """Let frames cross the simulated radio, requests reach the cloud, and HA act on them."""
    await settle_radio(hass, rounds=60, pause=0.005)


async def start_hub(hass: HomeAssistant, entry: MockConfigEntry, site: Site) -> None:
    """Set the entry up and let the meters join."""
    if entry.entry_id not in {e.entry_id for e in hass.config_entries.async_entries(DOMAIN)}:
        entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    site.rejoin()
    await settle(hass)
    assert len(entry.runtime_data.hub.meters) == 3


async def start_with_low_balance(
    hass: HomeAssistant, cloud: Cloud, site: Site, entry: MockConfigEntry
) -> str:
    """Dwelling 1A's account is below its reminder (4.50 of 10.00); the hub has run and
    read it. The balance sensor's entity id."""
    assert cloud.running is not None
    await accounts.open_account(
        cloud.running.engine, BUILDING, "1A", threshold_cents=1000, balance_cents=450
    )
    await start_hub(hass, entry, site)
    await entry.runtime_data.hub.async_relay()
    await entry.runtime_data.hub.async_relay()
    await settle(hass)
    balance = er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, f"{entry.entry_id}_balance_1A"
    )
    assert balance is not None
    return balance
