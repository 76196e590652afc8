"""The install a property manager does: the release on a stock Home Assistant, then a building.

``scripts/release`` builds the artifacts with their wheels where this test serves them (as a
GitHub release serves its assets). A new venv gets Home Assistant and nothing else, as Home
Assistant Core's installation makes it. The three release zips are unpacked into an empty
config directory as HACS unpacks them. Adding each integration, Home Assistant installs its
requirements itself, from the served wheels, with its own constraints. The manager then
installs the simulator (as the README says, to try the product without hardware) and
restarts with the release host gone; all three integrations are added through their config
flows over the HTTP API, choosing the simulated building, and show their devices.
"""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import time
import zipfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bench.cloud_process import free_port
from buildinghub.credentials import SigningKey
from cloud_connector.app import Settings
from cloud_connector.hubs import create_enrolment
from cloud_connector.local import LocalCloud, serve_locally
from scripts.building_entities import wait_for_bays, wait_for_locks, wait_for_meters
from scripts.hass_client import ApiError, HomeAssistantApi, wait_until
from scripts.release_artifacts import INTEGRATIONS, ReleaseTree, read_tree
from tests.install.stock_hub import ROOT, StockHub, WheelHost, hub_environment, run

pytestmark = pytest.mark.timeout(2400)  # cold caches on a busy 2-core machine; warm: minutes

TREE: ReleaseTree = read_tree(ROOT)
FLATS = 2
BAYS = 1
SIMULATED_PATH = "sim://building"
OWNER = ("Property Manager", "manager", "install-test-password")
BUILDING = "Install test building"
STOCK_VENV = 'source scripts/_env.sh && stock_homeassistant_venv "$1" "$2"'

# All a stock Home Assistant needs here besides its defaults: where it listens (loopback, a
# free port) and logs that show what it installs and how our integrations start.
CONFIGURATION = """\
http:
  server_host: 127.0.0.1
  server_port: {port}
logger:
  default: warning
  logs:
    homeassistant.util.package: info
    homeassistant.requirements: info
    custom_components: info
    buildinghub: info
"""


def wheel_url(base: str, name: str) -> str:
    """Where the release serves one of our distributions' wheels."""
    return f"{base}/{TREE.distributions[name].wheel}"


def install_as_hacs_does(dist: Path, config: Path) -> None:
    """Each release zip unpacked into config/custom_components/<domain>/, as HACS does."""
    for domain in INTEGRATIONS:
        with zipfile.ZipFile(dist / f"{domain}.zip") as archive:
            archive.extractall(config / "custom_components" / domain)


@asynccontextmanager
async def running_cloud(tmp_path: Path) -> AsyncIterator[LocalCloud]:
    """The building's cloud connector, which Community Meter enrols with (never in the hub)."""
    settings = Settings(SigningKey.generate())
    async with serve_locally(f"sqlite:///{tmp_path / 'cloud.db'}", settings) as cloud:
        yield cloud


async def cloud_key(session: aiohttp.ClientSession, cloud: LocalCloud) -> str:
    """The cloud's receipt key, as the meters are provisioned with it."""
    async with session.get(f"{cloud.url}/v1/cloud-key") as response:
        return str((await response.json())["public_key"])


def simulated_building(form: dict[str, Any]) -> dict[str, Any]:
    """What a person answers to the radio form to try the simulated building.

    The form either offers a choice of radio (then: the simulated building) or asks for
    the radio's path (then: the simulated building's path).
    """
    fields = {field["name"] for field in form.get("data_schema", [])}
    if "radio_type" in fields:
        return {"radio_type": "simulated"}
    if "radio_path" in fields:
        return {"radio_path": SIMULATED_PATH}
    raise AssertionError(f"no way to choose the simulated building in {form}")


async def choose_the_simulated_building(
    api: HomeAssistantApi, hub: StockHub, domain: str
) -> dict[str, Any]:
    """Start adding the integration (its requirements are installed first), then answer.

    Returns what the user sees after answering; a flow still open is closed again.
    """
    try:
        first = await api.call(
            "POST", "/api/config/config_entries/flow", payload={"handler": domain}
        )
    except ApiError as err:
        # 404 'Invalid handler': the flow did not load; the log says why.
        why = [line for line in hub.log().splitlines() if f"integration {domain}:" in line]
        raise AssertionError(f"{domain}'s config flow did not load: {why or err}") from err
    assert first.get("type") == "form", (domain, first)
    path = f"/api/config/config_entries/flow/{first['flow_id']}"
    try:
        result: dict[str, Any] = await api.call("POST", path, payload=simulated_building(first))
    except ApiError as err:  # a choice the form does not offer is refused with 400
        if err.status != 400:
            raise
        result = {"type": "form", "errors": {"base": str(err)}, "flow_id": first["flow_id"]}
    if result.get("type") == "form":
        await api.call("DELETE", path)
    return result


async def test_a_property_manager_installs_the_release_on_a_stock_home_assistant(
    tmp_path: Path, socket_enabled: None, caplog: pytest.LogCaptureFixture
) -> None:
    for chatty in ("sqlalchemy.engine", "aiosqlite"):  # the cloud's every statement
        caplog.set_level(logging.WARNING, logger=chatty)
    timings: dict[str, float] = {}
    clock = time.monotonic()

    def lap(name: str) -> None:
        nonlocal clock
        timings[name] = round(time.monotonic() - clock, 1)
        clock = time.monotonic()

    dist = tmp_path / "dist"
    host = WheelHost(dist / "wheels")
    config = tmp_path / "config"
    hub = StockHub(tmp_path / "hub-venv", config, free_port())
    host.start()
    try:
        await asyncio.to_thread(
            run,
            [str(ROOT / "scripts" / "release"), "--out", str(dist), "--wheel-base-url", host.url],
            timeout=900,
        )
        lap("scripts/release")
        await asyncio.to_thread(
            run,
            ["bash", "-c", STOCK_VENV, "-", str(hub.venv), TREE.tested_homeassistant],
            env=hub_environment(hub.venv),
            timeout=1800,
        )
        lap("stock Home Assistant venv")
        (config / "custom_components").mkdir(parents=True)
        install_as_hacs_does(dist, config)
        (config / "configuration.yaml").write_text(CONFIGURATION.format(port=hub.port))

        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=300)) as session,
            running_cloud(tmp_path) as cloud,
        ):
            api = HomeAssistantApi(session, hub.url, log_hint="the hub's log printed below")

            # 1. First start: onboarding, then adding each integration makes Home Assistant
            #    install its requirements from the release's wheels.
            hub.start()
            await wait_until("Home Assistant to answer", api.front_page, hub.pid, limit_s=900)
            await api.create_owner(*OWNER)
            await wait_until("Home Assistant to finish starting", api.running, hub.pid, 900)
            _, api.token = await api.long_lived_token("install test")
            lap("first start and onboarding")
            refused = {
                domain: await choose_the_simulated_building(api, hub, domain)
                for domain in INTEGRATIONS
            }
            lap("requirements installed by Home Assistant")
            for domain, answer in refused.items():  # the simulator is not installed yet
                assert answer.get("type") == "form", (domain, answer)
                assert answer.get("errors"), (domain, answer)
            for name in ("buildinghub", "buildinghub-ha"):
                assert hub.installed_from(name) == wheel_url(host.url, name), name
                assert f"/{TREE.distributions[name].wheel}" in host.fetched, name
            for pinned in ("bleak", "bleak-retry-connector", "cryptography"):  # our library's
                assert hub.version(pinned) == hub.pinned(pinned), pinned

            # 2. The manager tries it without hardware: the simulator into Home Assistant's venv
            #    (README), a simulated building with a car park and meters, then a restart with
            #    the release host gone.
            await asyncio.to_thread(hub.stop)
            await asyncio.to_thread(
                hub.pip,
                *("install", "--quiet", "--constraint", str(hub.constraints())),
                wheel_url(host.url, "buildinghub"),
                wheel_url(host.url, "buildinghub-sim"),
            )
            host.stop()
            building = str(config / "buildinghub_sim")
            sim = ("-m", "buildinghub_sim.building")
            hub.python(*sim, "create", building, "--flats", str(FLATS))
            hub.python(*sim, "add-car-park", building, "--bays", str(BAYS))
            meters = json.loads(
                hub.python(
                    *sim, "add-meters", building, "--cloud-key", await cloud_key(session, cloud)
                )
            )["meters"]
            lap("simulator installed, building made")
            hub.start()
            await wait_until("Home Assistant to restart", api.running, hub.pid, 900)
            lap("restart")

            # 3. Adding the three integrations as the UI does, on the simulated building.
            cloud_step = {
                "cloud_url": cloud.url,
                "enrolment_token": await create_enrolment(cloud.engine, BUILDING),
            }
            added = {
                "rental_lock": await api.config_flow("rental_lock", simulated_building),
                "parking_lock": await api.config_flow("parking_lock", simulated_building),
                "community_meter": await api.config_flow(
                    "community_meter", simulated_building, cloud_step
                ),
            }
            for domain, answer in added.items():
                assert answer.get("type") == "create_entry", (domain, answer)
            await wait_for_locks(api, FLATS, hub.pid)
            await wait_for_bays(api, BAYS, hub.pid)
            await wait_for_meters(api, len(meters), hub.pid)
            for domain in INTEGRATIONS:
                assert [e["state"] for e in await api.entries(domain)] == ["loaded"], domain
            assert f"Attempting install of {host.url}" not in hub.log(), "installed again"
            lap("three integrations set up")
    except BaseException:
        print(hub.log_tail())
        raise
    finally:
        await asyncio.to_thread(hub.stop)
        host.stop()
        # The hub's venv is most of a gigabyte; the log above is what a failure needs.
        await asyncio.to_thread(shutil.rmtree, hub.venv, ignore_errors=True)
        print(f"install test timings (s): {timings}")
