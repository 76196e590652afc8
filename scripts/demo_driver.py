"""What ``scripts/demo`` does besides starting ``hass``: a property manager's first ten minutes.

``prepare CONFIG``  makes Home Assistant's config directory (our ``custom_components`` linked
                    in, a small ``configuration.yaml``) and refuses to go on if a package that
                    Home Assistant would pip-install at startup is missing (``hass`` runs with
                    ``--skip-pip``: everything is installed up front, with HA's constraints).
``setup CONFIG``    talks to the running Home Assistant only through its HTTP API, as the
                    browser and the landlords' apps do: onboarding (first run), the Rental Lock
                    config entry (config flow, *Simulated building*), one viewing and one lease
                    grant per flat signed with the landlords' keys from the simulated building,
                    then prints where to look.

Only the bash in ``scripts/demo`` starts and stops processes.
"""

# ruff: noqa: E402 - Ctrl-C is handled before the slow imports, so it never prints a traceback

from __future__ import annotations

import signal
import sys


def _interrupted(_signal: int, _frame: object) -> None:
    raise SystemExit(130)  # Ctrl-C: stop quietly; scripts/demo stops Home Assistant


signal.signal(signal.SIGINT, _interrupted)

import argparse
import asyncio
import base64
import contextlib
import importlib.util
import json
import locale
import os
import socket
import subprocess
import time
from dataclasses import dataclass
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import aiohttp
from packaging.requirements import Requirement

from buildinghub.credentials import Grant, GrantKind, PublicKey, SigningKey, issue_grant
from buildinghub.credentials.installation import InstallationRecord, sign_installation
from buildinghub.credentials.sealing import seal_pin
from buildinghub_sim.building import STATE_FILE, SimulatedBuilding
from buildinghub_sim.car_park import CAR_PARK_FILE, SimulatedCarPark
from buildinghub_sim.meter_bank import METERS_FILE, MeterBank
from buildinghub_sim.standard_doors import STANDARD_LOCKS_FILE, StandardDoors
from scripts.building_entities import wait_for_bays, wait_for_locks, wait_for_meters
from scripts.demo_people import (
    Resident,
    appoint_manager_and_landlord,
    configure_energy,
    confirm_http_settings,
    ensure_residents,
    install_leases,
    resident_banner,
    set_car_park_plan,
)
from scripts.hass_client import HassError, HomeAssistantApi, wait_until

ROOT = Path(__file__).resolve().parent.parent
# The ports can be moved (DEMO_PORT, DEMO_CLOUD_PORT, DEMO_WITNESS_PORT), so that the browser
# test runs a demo of its own beside one a person is running.
PORT = int(os.environ.get("DEMO_PORT", "8123"))
API = f"http://127.0.0.1:{PORT}"
URL = f"http://localhost:{PORT}"
USERNAME = "demo"
PASSWORD = "demo-building"  # noqa: S105 - the demo's published login, printed for the user
DEMO_USER_FLAT = "Flat 1A"
DEMO_USER_BAY = "Bay P1"
CLOUD_PORT = int(os.environ.get("DEMO_CLOUD_PORT", "8470"))
WITNESS_PORT = int(os.environ.get("DEMO_WITNESS_PORT", "8481"))
CLOUD = f"http://127.0.0.1:{CLOUD_PORT}"
CLOUD_BUILDING = "Building Hub demo"
# Opening balances (cents) and the reminder threshold: 1B is low from the start.
BALANCES = {"1A": 5000, "1B": 700}
THRESHOLD_CENTS = 1000
TARIFFS = {"electricity": 30, "water": 400, "gas": 90}  # millicents per Wh or litre
EKEY_DAYS = 30
STATE_NAME = "demo.json"  # beside the config dir: the demo user's id and long-lived token
MARKER = "# Written by scripts/demo"
DEMO_CLIENT_NAME = "scripts/demo"  # the long-lived token's name in the demo user's profile

CONFIGURATION_YAML = f"""{MARKER} (it rewrites this file while this line is here).
# Only what the UI needs, so Home Assistant has nothing to pip-install at startup
# (requirements_demo.txt installs the rest; default_config would pull in much more).
frontend:
config:
history:
logbook:
energy:

http:
  # The login is published in the README: listen on this machine only.
  server_host: 127.0.0.1
  server_port: {PORT}

logger:
  default: warning
  logs:
    custom_components.rental_lock: info
    buildinghub: info
"""

# Integrations Home Assistant sets up besides the configured ones, and whose requirements
# must therefore be installed too: onboarding's core_config step creates entries for the
# first four, which forward to the entity platforms listed after them; Rental Lock's own
# platforms come last.
ONBOARDING_INTEGRATIONS = ("google_translate", "met", "radio_browser", "shopping_list")
ENTITY_PLATFORMS = ("tts", "weather", "media_source", "todo", "calendar", "event", "lock", "sensor")
DISCOVERY_KEYS = {
    "dhcp": ("dhcp",),
    "mqtt": ("mqtt",),
    "ssdp": ("ssdp",),
    "zeroconf": ("zeroconf", "homekit"),
}


class DemoError(Exception):
    """Something the person running the demo must read; the demo stops."""


# -- prepare ---------------------------------------------------------------------------------


def prepare(config: Path) -> None:
    """Make the config directory and check that nothing will be pip-installed at startup."""
    _refuse_busy_port()
    config.mkdir(parents=True, exist_ok=True)
    link = config / "custom_components"
    if not link.is_symlink() and not link.exists():
        link.symlink_to(os.path.relpath(ROOT / "custom_components", config))
    yaml = config / "configuration.yaml"
    if not yaml.exists() or (
        yaml.read_text().startswith(MARKER) and yaml.read_text() != CONFIGURATION_YAML
    ):
        yaml.write_text(CONFIGURATION_YAML)
    missing = missing_requirements(config)
    if missing:
        raise DemoError(
            "Home Assistant would pip-install these at startup; add them to "
            "requirements_demo.txt:\n  " + "\n  ".join(missing)
        )


def _refuse_busy_port() -> None:
    for port in (PORT, CLOUD_PORT, WITNESS_PORT):
        with socket.socket() as probe:
            probe.settimeout(1)
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                raise DemoError(
                    f"Something already answers on port {port} (another scripts/demo?). "
                    "Stop it first."
                )


def _homeassistant_dir() -> Path:
    spec = importlib.util.find_spec("homeassistant")  # found, not imported: that takes seconds
    if spec is None or spec.origin is None:
        raise DemoError("Home Assistant is not installed in .venv.")
    return Path(spec.origin).parent


def _bootstrap_set(name: str) -> set[str]:
    """A set of domains that homeassistant/bootstrap.py always sets up.

    Read by importing it in a Python of its own (since 2026.10 the sets are built from other
    constants, and Home Assistant wants to be imported before anything imports voluptuous).
    """
    code = f"import json, homeassistant.bootstrap as b; print(json.dumps(sorted(b.{name})))"
    done = subprocess.run(  # noqa: S603 - this Python, our own code
        [sys.executable, "-c", code], check=False, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise DemoError(f"homeassistant/bootstrap.py has no {name} any more: update scripts/demo.")
    return set(json.loads(done.stdout))


def _manifest(domain: str, config: Path) -> dict[str, Any] | None:
    for folder in (config / "custom_components", _homeassistant_dir() / "components"):
        path = folder / domain / "manifest.json"
        if path.exists():
            manifest: dict[str, Any] = json.loads(path.read_text())
            return manifest
    return None


def missing_requirements(config: Path) -> list[str]:
    """Requirements Home Assistant would install for what it will set up, not installed here.

    Mirrors homeassistant.requirements: an integration's requirements, then those of its
    dependencies, after-dependencies and the discovery integrations its manifest names.
    """
    configured = {
        line.split(":")[0]
        for line in CONFIGURATION_YAML.splitlines()
        if line and line[0].isalpha() and line.endswith(":")
    }
    custom = {p.parent.name for p in (config / "custom_components").glob("*/manifest.json")}
    pending = [
        *_bootstrap_set("CORE_INTEGRATIONS"),
        *_bootstrap_set("DEFAULT_INTEGRATIONS"),
        *configured,
        *custom,
        *ONBOARDING_INTEGRATIONS,
        *ENTITY_PLATFORMS,
    ]
    seen: set[str] = set()
    missing: list[str] = []
    while pending:
        domain = pending.pop()
        if domain in seen:
            continue
        seen.add(domain)
        manifest = _manifest(domain, config)
        if manifest is None:
            continue
        pending += manifest.get("dependencies", []) + manifest.get("after_dependencies", [])
        pending += [d for d, keys in DISCOVERY_KEYS.items() if any(k in manifest for k in keys)]
        for line in manifest.get("requirements", []):
            requirement = Requirement(line)
            try:
                installed = version(requirement.name)
            except PackageNotFoundError:
                installed = None
            if installed is None or installed not in requirement.specifier:
                missing.append(f"{line}  ({domain}; installed: {installed})")
    return sorted(set(missing))


@dataclass
class DemoState:
    """What a later run needs: who the demo user is and a token to act as them."""

    user_id: str
    token: str
    lent_bay: bool = False

    @classmethod
    def load(cls, path: Path) -> DemoState | None:
        """The state a previous run saved, if any."""
        try:
            data = json.loads(path.read_text())
            lent = data.get("lent_bay") is True
            return cls(user_id=data["user_id"], token=data["token"], lent_bay=lent)
        except OSError, ValueError, KeyError:
            return None

    def save(self, path: Path) -> None:
        """Write it readable by this user only."""
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as file:
            json.dump(
                {"user_id": self.user_id, "token": self.token, "lent_bay": self.lent_bay}, file
            )
        path.chmod(0o600)


# -- setup -----------------------------------------------------------------------------------


async def onboard(api: HomeAssistantApi, state_path: Path, *, onboarded: bool) -> DemoState:
    """Log in as the demo user, onboarding Home Assistant first if it is new."""
    steps: dict[str, bool] = {}
    if not onboarded:  # once onboarded, Home Assistant no longer serves /api/onboarding
        steps = await api.onboarding_steps()
    saved = DemoState.load(state_path)
    if not steps.get("user", True):
        print("==> onboarding: creating the user 'demo'")
        await api.create_owner("Demo Property Manager", USERNAME, PASSWORD)
        saved = None
    else:
        if saved is not None and not await api.token_works(saved.token):
            saved = None
        if saved is not None and all(steps.values()):
            api.token = saved.token
        else:
            # Finishing onboarding needs a login's token, not a long-lived one.
            await api.log_in(USERNAME, PASSWORD)
    if not steps.get("core_config", True):
        print("==> onboarding: location, country, time zone")
        await api.websocket({"type": "config/core/update", **_core_config()})
        await api.call("POST", "/api/onboarding/core_config")
    if not steps.get("analytics", True):
        await api.call("POST", "/api/onboarding/analytics")  # sends nothing: all left off
    if not steps.get("integration", True):
        await api.call(
            "POST",
            "/api/onboarding/integration",
            payload={"client_id": api.client_id, "redirect_uri": api.redirect_uri},
        )
    if saved is None:
        user_id, token = await api.long_lived_token(DEMO_CLIENT_NAME)
        saved = DemoState(user_id=user_id, token=token)
        saved.save(state_path)
    api.token = saved.token
    return saved


def _core_config() -> dict[str, Any]:
    """What the onboarding page fills in: this machine's time zone and a country for it."""
    zone = os.environ.get("TZ", "").lstrip(":")
    localtime = Path("/etc/localtime")
    if not zone and localtime.is_symlink():
        zone = str(localtime.readlink()).partition("zoneinfo/")[2]
    zone = zone or "UTC"
    country = None
    with contextlib.suppress(OSError):
        for line in Path("/usr/share/zoneinfo/zone.tab").read_text().splitlines():
            fields = line.split("\t")
            if len(fields) >= 3 and fields[2] == zone:
                country = fields[0]
    if country is None:
        language = locale.getlocale()[0] or ""
        country = language.partition("_")[2][:2].upper() or None
    country = country if country and country.isalpha() else "NL"
    config: dict[str, Any] = {
        "location_name": "Building Hub demo",
        "country": country,
        "unit_system": "us_customary" if country in {"US", "LR", "MM"} else "metric",
    }
    with contextlib.suppress(ZoneInfoNotFoundError, ValueError):
        ZoneInfo(zone)
        config["time_zone"] = zone
    return config


async def ensure_entry(
    api: HomeAssistantApi, domain: str, title: str, step: dict[str, Any]
) -> None:
    """The integration's entry, made through its config flow as the UI does if there is none."""
    if not await api.entries(domain):
        print(f"==> adding the {title} integration")
        result = await api.config_flow(domain, step)
        if result.get("type") != "create_entry":
            raise DemoError(f"The {title} config flow did not create an entry: {result}")


async def lend_bay(api: HomeAssistantApi, car_park: SimulatedCarPark, resident: Resident) -> str:
    """What the bay owner's app sends: an e-key for a resident, bound to their holder key."""
    # The resident's app asks for their own holder key, logged in as them.
    app = HomeAssistantApi(api.session, api.base_url, log_hint=api.log_hint)
    await app.log_in(resident.username, resident.password)
    holder = await app.service("parking_lock", "holder_key", {})
    encoded = holder["public_key"]
    holder_key = PublicKey.from_bytes(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    now = int(time.time())
    bay = car_park.bay(DEMO_USER_BAY)
    ekey = car_park.issue_ekey(
        bay,
        subject=f"driver:{resident.username}",
        holder_key=holder_key,
        not_before=now - 600,
        expires=now + EKEY_DAYS * 86400,
    )
    link = base64.urlsafe_b64encode(ekey).decode().rstrip("=")
    await api.service("parking_lock", "add_key", {"links": [link], "user_id": resident.user_id})
    return f"   {bay.name}: {resident.name}'s e-key from {bay.owner} ({EKEY_DAYS} days)"


async def cloud_key(cloud_pid: int | None) -> str:
    """The cloud's receipt-signing public key (base64), once the connector answers."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:

        async def answer() -> str | None:
            async with session.get(f"{CLOUD}/v1/cloud-key") as response:
                if response.status != 200:
                    return None
                return str((await response.json())["public_key"])

        key: str = await wait_until(
            "the cloud connector to answer", answer, cloud_pid, 120, "The cloud connector"
        )
        return key


def cloud_admin(db: str, command: str, *options: str) -> str:
    """Run one of the cloud connector's administration commands; its printed answer."""
    done = subprocess.run(  # noqa: S603 - our own module, arguments from this script
        [sys.executable, "-m", "cloud_connector", command, "--db", db, *options],
        check=False,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise DemoError(f"cloud_connector {command} failed: {done.stderr.strip()}")
    return done.stdout.strip()


async def set_up_meters(
    api: HomeAssistantApi, config: Path, path: str, cloud_db: str, hass_pid: int | None
) -> list[str]:
    """Community Meter on the same radio, enrolled with the demo's cloud connector."""
    directory = config / "buildinghub_sim"
    if not (directory / METERS_FILE).exists():
        return []
    bank = MeterBank.load(path, directory)
    if not await api.entries("community_meter"):
        print("==> the manager opens prepaid accounts and enrols the hub with the cloud")
        for dwelling, cents in BALANCES.items():
            cloud_admin(
                cloud_db,
                "open-account",
                *("--building", CLOUD_BUILDING, "--dwelling", dwelling),
                *("--threshold-cents", str(THRESHOLD_CENTS), "--balance-cents", str(cents)),
            )
        for quantity, price in TARIFFS.items():
            cloud_admin(
                cloud_db,
                "set-tariff",
                *("--building", CLOUD_BUILDING, "--quantity", quantity),
                *("--millicents-per-unit", str(price)),
            )
        token = cloud_admin(cloud_db, "enrol", "--building", CLOUD_BUILDING)
        print("==> adding the Community Meter integration: Simulated building, the demo cloud")
        result = await api.config_flow(
            "community_meter",
            {"radio_type": "simulated"},
            {"cloud_url": CLOUD, "enrolment_token": token},
        )
        if result.get("type") != "create_entry":
            raise DemoError(f"The Community Meter config flow did not create an entry: {result}")
    await wait_for_meters(api, len(bank.meters), hass_pid)
    return [
        f"   {meter.firmware.dwelling}: {meter.firmware.quantity.name.lower()} meter"
        f" {meter.firmware.meter_id}"
        for meter in bank.meters
    ]


def _clock(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp).strftime("%H:%M")


async def setup(config: Path, hass_pid: int | None, cloud_db: str) -> None:
    """Everything after ``hass`` started, through its HTTP API only."""
    started = time.monotonic()
    building = SimulatedBuilding.load(config / "buildinghub_sim")
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        api = HomeAssistantApi(session, API, log_hint=".demo/config/home-assistant.log")
        # As the browser finds out: the front page, or a redirect to onboarding.
        front_page = await wait_until(
            f"Home Assistant to answer on {URL}", api.front_page, hass_pid
        )
        demo = await onboard(api, config.parent / STATE_NAME, onboarded=front_page == 200)

        await wait_until("Home Assistant to finish starting", api.running, hass_pid)
        await confirm_http_settings(api)
        residents = await ensure_residents(api)
        await ensure_entry(api, "rental_lock", "Rental Lock", {"radio_type": "simulated"})
        counters = await wait_for_locks(api, len(building.flats), hass_pid)
        held = sum(int(float(s["state"])) for s in counters.values())
        if held == 0:
            print("==> landlords and tenants sign a lease for every flat; the hub installs them")
            flats = await install_leases(api, building, residents)
        else:
            print(f"==> the hub already holds {held} active grants: not issuing new ones")
            flats = [f"   {f.name}  tenant PIN {f.tenant_pin}" for f in building.flats]
        logins = await appoint_manager_and_landlord(api, building)
        flats += await set_up_standard_lock(api, config, building, hass_pid)
        bays = await set_up_car_park(
            api,
            config=config,
            path=building.path,
            demo=demo,
            residents=residents,
            hass_pid=hass_pid,
        )
        meters = await set_up_meters(api, config, building.path, cloud_db, hass_pid)
        if meters:
            issues = await configure_energy(api)
            if issues:
                raise DemoError(f"Home Assistant finds the Energy dashboard wrong: {issues}")
    print(
        _banner(
            flats=len(building.flats),
            lines=flats,
            bays=bays,
            meters=meters,
            logins=[*logins, *resident_banner(residents)],
            seconds=time.monotonic() - started,
        )
    )


async def set_up_standard_lock(
    api: HomeAssistantApi, config: Path, building: SimulatedBuilding, hass_pid: int | None
) -> list[str]:
    """The off-the-shelf Zigbee lock of Flat 3A: its landlord installs it through the hub,
    then sends a week's guest grant whose PIN the hub writes with the week's schedule."""
    directory = config / "buildinghub_sim"
    if not (directory / STANDARD_LOCKS_FILE).exists():
        return []
    door = StandardDoors.load(building.path, directory).doors[0]
    entity = "lock." + door.flat.lower().replace(" ", "_") + "_door"
    if any(state["entity_id"] == entity for state in await api.states()):
        return [f"   {door.flat}  standard Zigbee lock (the hub holds its guest's grant)"]
    print(f"==> the landlord of {door.flat} installs its standard Zigbee lock through the hub")
    keys = await api.service("rental_lock", "hub_key", {})
    hub_public, pin_public = (
        PublicKey.from_bytes(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        for text in (keys["public_key"], keys["pin_sealing_key"])
    )
    landlord = building.landlords[door.landlord]
    now = int(time.time())
    record = sign_installation(
        InstallationRecord(
            lock_id=door.lock_id,
            flat=door.flat,
            landlord=door.landlord,
            landlord_key=landlord.public_key,
            lock_key=hub_public,
            lock_sealing_key=pin_public,
            installed_at=now,
        ),
        landlord,
    )
    data = {"device": str(door.lock.ieee), "record": _b64(record)}
    await wait_until(
        f"the hub to find {door.flat}'s standard lock",
        lambda: api.service("rental_lock", "install_standard_lock", data),
        hass_pid,
        limit_s=120,
    )
    pin = f"{int.from_bytes(os.urandom(4)) % 10**6:06d}"
    grant_id = os.urandom(16)
    grant = Grant(
        issuer=door.landlord,
        subject="guest:flat-3a",
        audience=door.lock_id,
        not_before=now - 600,
        expires=now + 7 * 86400,
        issued_at=now - 600,
        grant_id=grant_id,
        holder_key=SigningKey.generate().public_key,
        kind=GrantKind.VIEWING,
        sealed_pin=seal_pin(pin, pin_public, audience=door.lock_id, grant_id=grant_id),
    )
    await api.service("rental_lock", "install_grant", {"grant": _b64(issue_grant(grant, landlord))})
    return [
        f"   {door.flat}  standard Zigbee lock: guest PIN {pin} (7 days; enforced by the lock's"
        " schedule, verified by the hub)"
    ]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


async def set_up_car_park(
    api: HomeAssistantApi,
    *,
    config: Path,
    path: str,
    demo: DemoState,
    residents: list[Resident],
    hass_pid: int | None,
) -> list[str]:
    """Parking Lock on the same radio with the car park's plan, and a resident's e-key to
    one bay (lent once)."""
    directory = config / "buildinghub_sim"
    if not (directory / CAR_PARK_FILE).exists():
        return []
    car_park = SimulatedCarPark.load(path, directory)
    # The car park is on the simulated building's radio, as the doors are.
    await ensure_entry(api, "parking_lock", "Parking Lock", {"radio_type": "simulated"})
    await wait_for_bays(api, len(car_park.bays), hass_pid)
    await set_car_park_plan(api, car_park)
    driver = next(r for r in residents if r.bay == DEMO_USER_BAY)
    if demo.lent_bay:
        return [f"   {DEMO_USER_BAY}: {driver.name} holds an e-key lent by its owner"]
    print(f"==> the owner of {DEMO_USER_BAY} lends it to {driver.name}: an e-key")
    line = await lend_bay(api, car_park, driver)
    demo.lent_bay = True
    demo.save(config.parent / STATE_NAME)
    return [line]


def _banner(
    *,
    flats: int,
    lines: list[str],
    bays: list[str],
    meters: list[str],
    logins: list[str],
    seconds: float,
) -> str:
    rule = "=" * 78
    return "\n".join(
        [
            "",
            rule,
            f" Building Hub demo: Home Assistant on a simulated building of {flats} flats"
            f" (ready in {seconds:.0f} s)",
            "",
            f"   Open    {URL}",
            f"   Log in  {USERNAME} / {PASSWORD}   the installer (administrator: Home Assistant"
            " shows administrators everything)",
            *logins,
            "",
            " What to look at",
            f"   Settings > Devices & services > Rental Lock: {flats} devices, one per flat door",
            "     (lock, access events, grant calendar, active grants, battery).",
            "   Calendar (sidebar): every door's grants: a year's lease from a signed contract",
            "     at every let flat (with its next rent due), a 2-hour viewing at 1C, to let.",
            "   My home (sidebar, as nora or ravi): the resident's own flat, bay, meters, rent.",
            "   Building (sidebar, as pam): every flat by floor, locks, presence, low balances,",
            "     bay occupancy, repairs; pam cannot open any meter reading or balance.",
            "   My flats (sidebar, as chen): the landlord's flats' access events, grants, rent.",
            "   The Logbook: simulated tenants type PINs at a random door every 20 s or so,",
            "     sometimes a wrong one ('Nora opened Flat 1A with a PIN').",
            f"   {DEMO_USER_FLAT} door: its resident (nora) presses Unlock: it opens and relocks",
            "     after 5 s.",
            "",
            *(
                [
                    "   Parking Lock: the car park's bays (lock, occupancy, bookings, map).",
                    *bays,
                    "     Unlock it from its lock entity; share it with parking_lock.share.",
                    "",
                ]
                if bays
                else []
            ),
            *(
                [
                    "   Community Meter: the flats' meters, read over the radio and relayed to the",
                    f"     cloud connector ({CLOUD}); a meter erases a reading only against the",
                    "     cloud's signed storage receipt. Energy dashboard, balances (1B is low).",
                    *meters,
                    "",
                ]
                if meters
                else []
            ),
            " What the simulated people know (the hub never sees these PINs: they are",
            " sealed to each lock inside the landlord-signed grant)",
            *lines,
            "",
            " Log: .demo/config/home-assistant.log   Start afresh: rm -rf .demo",
            " Stop: Ctrl-C (the building and Home Assistant's data stay in .demo/)",
            rule,
            "",
        ]
    )


def main() -> None:
    """``prepare CONFIG``, ``cloud-key CONFIG [--cloud-pid PID]`` or
    ``setup CONFIG [--hass-pid PID] [--cloud-db URL]``."""
    parser = argparse.ArgumentParser(prog="python -m scripts.demo_driver")
    parser.add_argument("command", choices=["prepare", "setup", "cloud-key"])
    parser.add_argument("config", type=Path, help="Home Assistant's config directory")
    parser.add_argument("--hass-pid", type=int, help="stop waiting if this process exits")
    parser.add_argument("--cloud-pid", type=int, help="stop waiting if the cloud exits")
    parser.add_argument("--cloud-db", default="", help="the demo cloud's database URL")
    args = parser.parse_args()
    config: Path = args.config.resolve()
    try:
        if args.command == "prepare":
            prepare(config)
        elif args.command == "cloud-key":
            print(asyncio.run(cloud_key(args.cloud_pid)))
        else:
            if not (config / "buildinghub_sim" / STATE_FILE).exists():
                raise DemoError(f"No simulated building in {config / 'buildinghub_sim'}.")
            asyncio.run(setup(config, args.hass_pid, args.cloud_db))
    except (DemoError, HassError) as err:
        print(f"scripts/demo: {err}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
