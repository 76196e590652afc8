"""Landlord keys from the key ledger: revocation in the cloud, forks, the admin's resolution."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry

from bench.cloud_process import free_port
from buildinghub.credentials import GrantKind, SigningKey, decode_grant
from buildinghub.keylog.client import LedgerClient
from buildinghub.keylog.entries import KeyRegistration, KeyRevocation, Role
from buildinghub.keylog.signers import LogNoteSigner
from buildinghub.telemetry.cloud_client import CloudClient
from buildinghub_ha.const import CONF_RADIO_PATH
from buildinghub_sim.building import SimulatedBuilding, SimulatedFlat
from cloud_connector.app import Settings
from cloud_connector.hubs import create_enrolment
from cloud_connector.ledger import LedgerSettings
from cloud_connector.local import LocalCloud, serve_locally
from custom_components.rental_lock.const import (
    CONF_BUILDING,
    CONF_LEDGER_URL,
    CONF_LOG_KEY,
    CONF_LOG_ORIGIN,
    CONF_QUORUM,
    CONF_WITNESSES,
    DOMAIN,
)
from custom_components.rental_lock.diagnostics import async_get_config_entry_diagnostics
from tests.components.settling import settle
from tests.ledger_site import ORIGIN, RunningWitness, start_witness

from .conftest import HOUR, IssueGrant
from .test_grants import install

OWNER = bytes(32)


@dataclass
class LedgerCloud:
    """A cloud connector with its ledger and three witnesses, restartable on one port."""

    directory: Path
    signer: LogNoteSigner = field(
        default_factory=lambda: LogNoteSigner(ORIGIN, SigningKey.generate())
    )
    witness_keys: list[SigningKey] = field(
        default_factory=lambda: [SigningKey.generate() for _ in range(3)]
    )
    port: int = field(default_factory=free_port)
    witnesses: list[RunningWitness] = field(default_factory=list)
    client: LedgerClient | None = None
    _stack: AsyncExitStack | None = None
    _cloud: LocalCloud | None = None
    _session: aiohttp.ClientSession | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self, history: str) -> LedgerClient:
        """Serve a ledger whose database and witness views live under history."""
        place = self.directory / history
        place.mkdir()
        self._stack = AsyncExitStack()
        self.witnesses = [
            await start_witness(place, n, self.signer, key)
            for n, key in enumerate(self.witness_keys)
        ]
        settings = Settings(
            SigningKey.generate(),
            ledger=LedgerSettings(self.signer, tuple(w.url for w in self.witnesses)),
        )
        self._cloud = await self._stack.enter_async_context(
            serve_locally(f"sqlite:///{place / 'cloud.db'}", settings, self.port)
        )
        self._session = await self._stack.enter_async_context(aiohttp.ClientSession())
        self.client = await self.enrolled_hub("Elm Court")
        return self.client

    async def enrolled_hub(self, building: str) -> LedgerClient:
        """A ledger client speaking for a hub enrolled (by its property manager) for building."""
        assert self._cloud is not None
        assert self._session is not None
        hub_key = SigningKey.generate()
        await CloudClient(self._session, self.url, hub_key).enrol(
            await create_enrolment(self._cloud.engine, building)
        )
        return LedgerClient(self._session, self.url, hub_key=hub_key)

    async def stop(self) -> None:
        if self._stack is not None:
            await self._stack.aclose()
        for witness in self.witnesses:
            if witness.runner is not None:
                await witness.runner.cleanup()
        self._stack = self.client = self._cloud = self._session = None

    def options(self, quorum: int = 2) -> dict[str, object]:
        lines = [
            f"{w.key.name} {base64.b64encode(w.key.key.to_bytes()).decode()}"
            for w in self.witnesses
        ]
        return {
            CONF_LEDGER_URL: self.url,
            CONF_BUILDING: "Elm Court",
            CONF_LOG_ORIGIN: ORIGIN,
            CONF_LOG_KEY: base64.b64encode(self.signer.verifier.key.to_bytes()).decode(),
            CONF_WITNESSES: "\n".join(lines),
            CONF_QUORUM: quorum,
        }


@pytest.fixture
async def ledger(
    hass: HomeAssistant, socket_enabled: None, tmp_path: Path
) -> AsyncIterator[LedgerCloud]:
    # The hub's trusted-checkpoint file goes under the config directory: a fresh one per test.
    hass.config.config_dir = str(tmp_path / "config")
    made = LedgerCloud(tmp_path)
    await made.start("honest")
    yield made
    await made.stop()


async def register_landlord(
    client: LedgerClient, name: str, key: SigningKey, at: int, building: str = "Elm Court"
) -> None:
    await client.register(
        KeyRegistration(Role.LANDLORD, key.public_key, OWNER, name, at, building=building), key
    )


@pytest.fixture
async def ledger_entry(
    hass: HomeAssistant,
    building: SimulatedBuilding,
    ledger: LedgerCloud,
    start_time: int,
) -> MockConfigEntry:
    """The hub configured with the ledger, every landlord of the building registered in it."""
    assert ledger.client is not None
    for name, key in building.landlords.items():
        await register_landlord(ledger.client, name, key, start_time)
    return await set_up_with_ledger(hass, building, ledger)


async def set_up_with_ledger(
    hass: HomeAssistant, building: SimulatedBuilding, ledger: LedgerCloud
) -> MockConfigEntry:
    """Set the hub up with the ledger in its options, as the options flow leaves it."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Simulated building",
        data={CONF_RADIO_PATH: building.path},
        options=ledger.options(),
        unique_id=building.path,
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def test_a_landlord_key_revoked_in_the_ledger_stops_new_grants(
    hass: HomeAssistant,
    building: SimulatedBuilding,
    flat: SimulatedFlat,
    ledger: LedgerCloud,
    ledger_entry: MockConfigEntry,
    issue: IssueGrant,
    start_time: int,
) -> None:
    first = await install(hass, issue(flat))
    assert ledger.client is not None
    landlord = building.landlords[flat.landlord]
    await ledger.client.revoke(
        KeyRevocation(
            landlord.public_key.kid, start_time, "landlord's phone stolen", building="Elm Court"
        )
    )

    with pytest.raises(ServiceValidationError) as refused:
        await install(hass, issue(flat, start=HOUR, end=2 * HOUR))

    assert refused.value.translation_key == "grant_unknown_issuer"
    detail = refused.value.translation_placeholders["detail"]
    assert "revoked in the key ledger" in detail
    assert flat.landlord in detail
    # The grant installed before the revocation is still held and on the lock.
    hub = ledger_entry.runtime_data.hub
    assert hub.book.get(bytes.fromhex(str(first["grant_id"]))) is not None


async def test_a_landlord_key_missing_from_the_ledger_is_refused(
    hass: HomeAssistant,
    building: SimulatedBuilding,
    ledger: LedgerCloud,
    issue: IssueGrant,
    start_time: int,
) -> None:
    # Only the first flat's landlord is in the ledger; the second flat's is not.
    assert ledger.client is not None
    first, second = building.flats[0], building.flats[1]
    assert first.landlord != second.landlord
    await register_landlord(
        ledger.client, first.landlord, building.landlords[first.landlord], start_time
    )
    await set_up_with_ledger(hass, building, ledger)

    await install(hass, issue(first))
    with pytest.raises(ServiceValidationError) as refused:
        await install(hass, issue(second))

    assert "is not in the key ledger" in refused.value.translation_placeholders["detail"]


async def test_a_namesake_landlord_key_of_another_building_installs_nothing(
    hass: HomeAssistant,
    building: SimulatedBuilding,
    flat: SimulatedFlat,
    ledger: LedgerCloud,
    ledger_entry: MockConfigEntry,
    start_time: int,
) -> None:
    """Another building's enrolled hub registers a key under this flat's landlord's name (its
    ledger scope allows it: names are per building) and signs a grant for this flat's door."""
    oak_house = await ledger.enrolled_hub("Oak House")
    impostor = SigningKey.generate()
    await register_landlord(oak_house, flat.landlord, impostor, start_time, "Oak House")
    building.landlords[flat.landlord] = impostor  # the grant below is signed with it
    grant = building.issue_grant(
        flat,
        kind=GrantKind.LEASE,
        subject="Mallory",
        not_before=start_time,
        expires=start_time + 2 * HOUR,
        holder_key=SigningKey.generate().public_key,
        pin="135790",
    )
    hub = ledger_entry.runtime_data.hub
    held_before, stored_before = len(hub.book), dict(flat.lock.firmware.grants)

    with pytest.raises(ServiceValidationError) as refused:
        await install(hass, grant)

    assert refused.value.translation_key == "grant_unknown_issuer"
    detail = refused.value.translation_placeholders["detail"]
    assert "'Oak House'" in detail
    assert "'Elm Court'" in detail
    assert len(hub.book) == held_before
    assert hub.book.get(decode_grant(grant).grant.grant_id) is None
    assert dict(flat.lock.firmware.grants) == stored_before
    flat.lock.keypad("135790")
    await settle(hass)
    assert flat.lock.firmware.locked


async def test_a_ledger_without_the_hubs_building_is_refused_by_the_options(
    hass: HomeAssistant, init_integration: MockConfigEntry, ledger: LedgerCloud
) -> None:
    flow = await hass.config_entries.options.async_init(init_integration.entry_id)

    result = await hass.config_entries.options.async_configure(
        flow["flow_id"], {**ledger.options(), CONF_BUILDING: " "}
    )

    assert result["errors"] == {CONF_BUILDING: "invalid_building"}
    assert CONF_LEDGER_URL not in init_integration.options


async def test_a_forked_ledger_raises_a_repair_and_no_new_key_is_trusted_until_resolved(
    hass: HomeAssistant,
    building: SimulatedBuilding,
    flat: SimulatedFlat,
    ledger: LedgerCloud,
    ledger_entry: MockConfigEntry,
    issue: IssueGrant,
    start_time: int,
) -> None:
    await install(hass, issue(flat))
    # The operator rewrites history: same log key, the witnesses' keys with fresh views
    # (colluding), another landlord key for the same flat in a log of the same size.
    await ledger.stop()
    forged = await ledger.start("forged")
    usurper = SigningKey.generate()
    await register_landlord(forged, flat.landlord, usurper, start_time)
    for name, key in building.landlords.items():
        if name != flat.landlord:
            await register_landlord(forged, name, key, start_time)
    building.landlords[flat.landlord] = usurper

    with pytest.raises(ServiceValidationError) as refused:
        await install(hass, issue(flat, start=HOUR, end=2 * HOUR))

    assert refused.value.translation_key == "grant_unknown_issuer"
    repair = ir.async_get(hass).async_get_issue(DOMAIN, "keylog_fork")
    assert repair is not None
    assert repair.severity is ir.IssueSeverity.CRITICAL
    diagnostics = await async_get_config_entry_diagnostics(hass, ledger_entry)
    ledger_diagnostics = diagnostics["key_ledger"]
    assert ledger_diagnostics["frozen"] is True
    [evidence] = ledger_diagnostics["fork_evidence"]
    assert evidence["origin"] == ORIGIN
    assert evidence["trusted"] != evidence["conflicting"]

    # The administrator investigated and accepts the ledger as it is now.
    response = await hass.services.async_call(
        DOMAIN, "resolve_keylog_fork", {}, blocking=True, return_response=True
    )

    assert response == {"trusted_size": 3}
    assert ir.async_get(hass).async_get_issue(DOMAIN, "keylog_fork") is None
    hub = ledger_entry.runtime_data.hub
    _, signed = hub.book.verify(issue(flat, start=HOUR, end=2 * HOUR))
    assert signed.kid == usurper.public_key.kid


async def test_resolving_without_a_ledger_is_a_clear_error(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    with pytest.raises(ServiceValidationError) as refused:
        await hass.services.async_call(DOMAIN, "resolve_keylog_fork", {}, blocking=True)

    assert refused.value.translation_key == "no_ledger"


async def test_the_options_flow_checks_the_ledger_settings(
    hass: HomeAssistant, init_integration: MockConfigEntry, ledger: LedgerCloud
) -> None:
    flow = await hass.config_entries.options.async_init(init_integration.entry_id)
    bad = {**ledger.options(), CONF_QUORUM: 4}

    result = await hass.config_entries.options.async_configure(flow["flow_id"], bad)
    assert result["errors"] == {CONF_QUORUM: "invalid_quorum"}

    result = await hass.config_entries.options.async_configure(
        flow["flow_id"], {**ledger.options(), CONF_WITNESSES: "witness-0 not-a-key"}
    )
    assert result["errors"] == {CONF_WITNESSES: "invalid_witnesses"}

    result = await hass.config_entries.options.async_configure(flow["flow_id"], ledger.options())
    await hass.async_block_till_done()
    assert result["type"] == "create_entry"
    assert init_integration.options[CONF_LEDGER_URL] == ledger.url
    hub = init_integration.runtime_data.hub
    assert hub.ledger is not None
    assert hub.ledger.mirror is not None
    assert hub.ledger.mirror.view.checkpoint is not None
