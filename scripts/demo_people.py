"""The demo's people and what makes each role's page worth looking at (SPEC H9).

A login for each role: the installer (the administrator the demo onboards), the property
manager (an ordinary user named manager: sees derived data only), two residents and a
landlord (linked to the key that installed their flats' locks). A lease from a signed
contract for every let flat (with the tenants' keypad PINs on the same window), a viewing
at Flat 1C, the one flat to let (the README's walk-through lets it to Tess: a door holds one
lease at a time), the car park's plan and the Energy dashboard. Each step talks to the
running Home Assistant through its HTTP and websocket APIs only, as the manager's browser
and the landlords' apps do, and each is safe to repeat.
"""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from buildinghub.credentials import GrantKind, PublicKey, SigningKey
from buildinghub.keylog.identity import identity_lookup_hash
from buildinghub.tenancy.contract import (
    LeaseTerms,
    contract_document,
    issue_lease_grant,
    sign_contract,
    signed_contract,
    verify_contract,
)
from buildinghub_sim.building import SimulatedBuilding, SimulatedFlat
from buildinghub_sim.car_park import SimulatedCarPark
from scripts.hass_client import HassError, HomeAssistantApi

RENT_CENTS: Final = 95_000
DEPOSIT_CENTS: Final = 190_000
RENT_DUE_DAY: Final = 28
TO_LET: Final = "Flat 1C"  # the README's walk-through lets it, from a contract of its own
USERS_GROUP: Final = "system-users"  # Home Assistant's non-administrator group


@dataclass(frozen=True, slots=True)
class Login:
    """A demo person's Home Assistant login (an ordinary user)."""

    name: str
    username: str
    password: str
    user_id: str = ""


MANAGER: Final = Login("Pam", "pam", "manager-demo")
LANDLORD: Final = Login("Chen", "chen", "landlord-demo")
LANDLORD_KEY_NAME: Final = "landlord:chen"  # the key that installed Chen's flats' locks


@dataclass(frozen=True, slots=True)
class Resident:
    """A demo resident's login, and the flat and bay that are theirs."""

    name: str
    username: str
    password: str
    flat: str
    bay: str | None = None
    user_id: str = ""


RESIDENTS: Final = (
    Resident("Nora", "nora", "flat-1a-demo", "Flat 1A", bay="Bay P1"),
    Resident("Ravi", "ravi", "flat-1b-demo", "Flat 1B"),
)


async def confirm_http_settings(api: HomeAssistantApi) -> None:
    """Keep the demo's HTTP settings (loopback, its port), as the manager's "Confirm" does.

    Since 2026.10 Home Assistant takes configuration.yaml's ``http:`` as pending settings
    that revert within minutes unless an administrator confirms them; unconfirmed, the
    demo would move to port 8123 on every interface while a person is looking at it.
    """
    (config,) = await api.websocket({"type": "http/config"})
    if config.get("pending") and not config["pending"].get("error"):
        print("==> confirming the HTTP settings (loopback only, the demo's port)")
        await api.websocket({"type": "http/config/promote"})


async def ensure_login(api: HomeAssistantApi, login: Login, role: str) -> Login:
    """``login`` as a non-administrator user with a password login (made once)."""
    (users,) = await api.websocket({"type": "config/auth/list"})
    user_id = {u["username"]: u["id"] for u in users if u.get("username")}.get(login.username)
    if user_id is None:
        print(f"==> a login for {login.name}, {role}")
        (answer,) = await api.websocket(
            {"type": "config/auth/create", "name": login.name, "group_ids": [USERS_GROUP]}
        )
        user_id = answer["user"]["id"]
        await api.websocket(
            {
                "type": "config/auth_provider/homeassistant/create",
                "user_id": user_id,
                "username": login.username,
                "password": login.password,
            }
        )
    return Login(login.name, login.username, login.password, user_id)


async def ensure_residents(api: HomeAssistantApi) -> list[Resident]:
    """Each demo resident as a non-administrator user with a password login (made once)."""
    made = []
    for resident in RESIDENTS:
        login = Login(resident.name, resident.username, resident.password)
        user_id = (await ensure_login(api, login, f"resident of {resident.flat}")).user_id
        made.append(
            Resident(
                resident.name,
                resident.username,
                resident.password,
                resident.flat,
                resident.bay,
                user_id,
            )
        )
    return made


async def appoint_manager_and_landlord(
    api: HomeAssistantApi, building: SimulatedBuilding
) -> list[str]:
    """The installer names the property manager; the manager links the landlord's login to
    the key that installed their flats (both safe to repeat). The banner's login lines."""
    manager = await ensure_login(api, MANAGER, "the property manager")
    landlord = await ensure_login(api, LANDLORD, "landlord")
    await api.service("rental_lock", "set_managers", {"users": [manager.user_id]})
    key = building.landlords[LANDLORD_KEY_NAME].public_key
    answer = await api.service(
        "rental_lock",
        "link_landlord",
        {"user_id": landlord.user_id, "landlord_key": _b64(key.to_bytes())},
    )
    flats = ", ".join(str(flat) for flat in answer["flats"])
    return [
        f"   Log in  {manager.username} / {manager.password}   {manager.name}, the property"
        " manager (derived data only)",
        f"   Log in  {landlord.username} / {landlord.password}   {landlord.name},"
        f" landlord of {flats}",
    ]


def lease_terms(building: SimulatedBuilding, flat: SimulatedFlat, tenant: PublicKey) -> LeaseTerms:
    """A year from the first of this month, rent on the 28th (every due date is in it)."""
    start = datetime.now(UTC).date().replace(day=1)
    end = start.replace(year=start.year + 1) - timedelta(days=1)
    return LeaseTerms(
        building=building.path,
        flat=flat.name,
        lock=flat.lock_id,
        landlord=flat.landlord,
        landlord_key=building.landlords[flat.landlord].public_key,
        tenant=flat.tenant,
        tenant_key=tenant,
        tenant_identity=identity_lookup_hash(b"demo-identity-salt", f"ID-{flat.lock_id}"),
        rent=RENT_CENTS,
        currency="EUR",
        due_day=RENT_DUE_DAY,
        start=start,
        end=end,
        deposit=DEPOSIT_CENTS,
    )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


async def _hub_key(api: HomeAssistantApi) -> PublicKey:
    answer = await api.service("rental_lock", "hub_key", {})
    encoded = str(answer["public_key"])
    return PublicKey.from_bytes(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))


async def install_leases(
    api: HomeAssistantApi, building: SimulatedBuilding, residents: list[Resident]
) -> list[str]:
    """Every let flat's lease from a contract its landlord and tenant signed, with the tenant's
    keypad PIN on the same window; a viewing of the flat to let. A resident's PIN grant is
    bound to the hub's key, so they can also open their door from Home Assistant."""
    hub_key = await _hub_key(api)
    users = {r.flat: r.user_id for r in residents}
    lines = []
    for flat in building.flats:
        if flat.name == TO_LET:
            lines.append(await _install_viewing(api, building, flat))
            continue
        tenant_phone = SigningKey.generate()
        terms = lease_terms(building, flat, tenant_phone.public_key)
        document = contract_document(terms)
        landlord = building.landlords[flat.landlord]
        encoded = signed_contract(
            document,
            landlord=sign_contract(document, landlord),
            tenant=sign_contract(document, tenant_phone),
        )
        contract = verify_contract(encoded)
        lease = issue_lease_grant(contract, landlord, issued_at=int(time.time()))
        user = users.get(flat.name)
        data: dict[str, Any] = {"contract": _b64(encoded), "grant": _b64(lease)}
        if user:
            data["user_id"] = user
        answer = await api.service("rental_lock", "install_lease", data)
        not_before, expires = terms.window
        pin_grant = building.issue_grant(
            flat,
            kind=GrantKind.LEASE,
            subject=flat.tenant,
            not_before=not_before,
            expires=expires,
            holder_key=hub_key if user else tenant_phone.public_key,
            pin=flat.tenant_pin,
        )
        pin_data: dict[str, Any] = {"grant": _b64(pin_grant)}
        if user:
            pin_data["user_id"] = user
        await api.service("rental_lock", "install_grant", pin_data)
        lines.append(f"   {flat.name}  tenant PIN {flat.tenant_pin}, rent due {answer['next_due']}")
    return lines


async def _install_viewing(
    api: HomeAssistantApi, building: SimulatedBuilding, flat: SimulatedFlat
) -> str:
    now = int(time.time())
    viewing = building.issue_grant(
        flat,
        kind=GrantKind.VIEWING,
        subject=flat.viewer,
        not_before=now - 600,
        expires=now + 2 * 3600,
        holder_key=SigningKey.generate().public_key,
        pin=flat.viewer_pin,
    )
    await api.service("rental_lock", "install_grant", {"grant": _b64(viewing)})
    return (
        f"   {flat.name}  to let: viewer PIN {flat.viewer_pin} (2 hours); the README's"
        " walk-through lets it"
    )


def car_park_plan(car_park: SimulatedCarPark) -> dict[str, Any]:
    """A plan of the car park: the entrance on the left, the bays along one aisle."""
    width = 10 + 15 * len(car_park.bays)
    return {
        "name": "Car park, level -1",
        "width": width,
        "length": 30,
        "entrance": [0, 15],
        "aisle": [[5, 15], [width - 5, 15]],
        "bays": [
            {
                "bay": bay.lock_id,
                "label": bay.name.removeprefix("Bay "),
                "x": 15 + 15 * index,
                "y": 8 if index % 2 == 0 else 22,
                "directions": f"{_ordinal(index + 1)} on the {_side(index)}",
            }
            for index, bay in enumerate(car_park.bays)
        ],
    }


def _side(index: int) -> str:
    return "left" if index % 2 == 0 else "right"


def _ordinal(number: int) -> str:
    return {1: "First", 2: "Second", 3: "Third"}.get(number, f"Number {number}")


async def set_car_park_plan(api: HomeAssistantApi, car_park: SimulatedCarPark) -> None:
    """The manager gives the car park its plan, so the map image has something to draw."""
    await api.call(
        "POST", "/api/services/parking_lock/set_layout", payload={"layout": car_park_plan(car_park)}
    )


async def meter_sensors(api: HomeAssistantApi) -> dict[str, list[str]]:
    """The meters' total sensors by what they measure (energy, water, gas)."""
    (entities,) = await api.websocket({"type": "config/entity_registry/list"})
    found: dict[str, list[str]] = {"energy": [], "water": [], "gas": []}
    for entity in entities:
        if entity.get("platform") != "community_meter":
            continue
        for quantity, sensors in found.items():
            if str(entity.get("unique_id", "")).endswith(f"_{quantity}"):
                sensors.append(entity["entity_id"])
    return {q: sorted(s) for q, s in found.items()}


def energy_preferences(sensors: dict[str, list[str]]) -> dict[str, Any]:
    """The Energy dashboard: each flat's electricity as a grid import; water and gas."""
    grid = [
        {
            "type": "grid",
            "stat_energy_from": entity_id,
            "stat_energy_to": None,
            "stat_cost": None,
            "entity_energy_price": None,
            "number_energy_price": None,
            "stat_compensation": None,
            "entity_energy_price_export": None,
            "number_energy_price_export": None,
            "cost_adjustment_day": 0,
        }
        for entity_id in sensors["energy"]
    ]
    return {
        "energy_sources": [
            *grid,
            *({"type": "water", "stat_energy_from": e} for e in sensors["water"]),
            *({"type": "gas", "stat_energy_from": e} for e in sensors["gas"]),
        ],
        "device_consumption": [],
    }


# What Home Assistant says until the recorder's first five-minute statistics exist: the
# dashboard is right, it has nothing to draw yet.
NOT_YET_RECORDED: Final = frozenset({"statistics_not_defined"})


async def configure_energy(api: HomeAssistantApi) -> list[dict[str, Any]]:
    """Save the Energy dashboard's sources and check them with Home Assistant's validation;
    returns its issues other than "no statistics yet" (none expected)."""
    sensors = await meter_sensors(api)
    if not sensors["energy"]:
        raise HassError("no electricity meter sensors to put on the Energy dashboard")
    await api.websocket({"type": "energy/save_prefs", **energy_preferences(sensors)})
    (validation,) = await api.websocket({"type": "energy/validate"})
    groups = [*validation["energy_sources"], *validation["device_consumption"]]
    return [i for group in groups for i in group if i["type"] not in NOT_YET_RECORDED]


def resident_banner(residents: list[Resident]) -> list[str]:
    """The residents' logins, for the banner beside the manager's."""
    return [
        f"   Log in  {r.username} / {r.password}   {r.name}, resident of {r.flat}"
        + (f" (and {r.bay})" if r.bay else "")
        for r in residents
    ]
