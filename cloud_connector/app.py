"""The HTTP API of the cloud connector (aiohttp).

Every input is validated before anything is written: a malformed body gets 400 with a
message naming the field, an unknown or badly signed hub 401, a person outside their
scope 403. No request ever writes part of what it carries.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Awaitable, Callable
from typing import Any, Final

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from buildinghub.telemetry.errors import TelemetryError
from buildinghub.telemetry.reading import Quantity
from buildinghub.telemetry.request_signing import read_headers, verify_request

from . import accounts
from .app_context import ENGINE, SETTINGS, Settings, signed_by_hub
from .biometrics_api import install_biometrics
from .credit_api import install_credit
from .errors import Malformed, RequestRefused, Unauthorized
from .hubs import parse_key, register_hub, register_meter
from .ingest import MAX_BATCH, ingest
from .json_body import MAX_BODY, TooLarge, b64, json_object, path_text, text
from .ledger_api import LEDGER_ROUTES, install_ledger
from .people import authenticate
from .schema import readings
from .tenancy_api import install_tenancy

__all__ = ["MAX_BODY", "PAYMENT_SIGNATURE_HEADER", "Settings", "make_app"]

PAYMENT_SIGNATURE_HEADER: Final = "X-Payment-Signature"
type Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def _refusals(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except RequestRefused as err:
        return web.json_response({"error": err.reason, "message": str(err)}, status=err.status)
    except web.HTTPRequestEntityTooLarge:
        large = TooLarge(f"a request body is at most {MAX_BODY} bytes")
        return web.json_response({"error": large.reason, "message": str(large)}, status=413)


def _quantity(value: object) -> Quantity:
    try:
        return Quantity[str(value).upper()]
    except KeyError:
        raise Malformed("quantity is one of electricity, water, gas") from None


async def cloud_key(request: web.Request) -> web.Response:
    """The public key that signs storage receipts (meters are provisioned with it)."""
    key = request.app[SETTINGS].cloud_key.public_key
    return web.json_response({"public_key": base64.b64encode(key.to_bytes()).decode()})


async def enrol_hub(request: web.Request) -> web.Response:
    """A hub registers its key with a one-time enrolment token, signing with that key."""
    body = await request.read()
    data = json_object(body)
    token = text(data, "token")
    key = parse_key(b64(data.get("public_key"), "public_key"), "public_key")
    settings = request.app[SETTINGS]
    try:
        verify_request(
            read_headers(request.headers),
            key,
            method=request.method,
            path=request.path,
            body=body,
            now=settings.now(),
        )
    except TelemetryError as err:
        raise Unauthorized(f"prove the key: {err}") from None
    hub = await register_hub(request.app[ENGINE], token, key, settings.now())
    return web.json_response({"hub_id": hub.hub_id, "building": hub.building})


async def add_meter(request: web.Request) -> web.Response:
    """A hub registers one of its meters."""
    hub, body = await signed_by_hub(request)
    data = json_object(body)
    meter = await register_meter(
        request.app[ENGINE],
        hub,
        meter_id=text(data, "meter_id", 32),
        dwelling=text(data, "dwelling", 32),
        quantity=_quantity(data.get("quantity")),
        key=parse_key(b64(data.get("public_key"), "public_key"), "public_key"),
    )
    return web.json_response({"meter_id": meter.meter_id, "dwelling": meter.dwelling})


async def post_readings(request: web.Request) -> web.Response:
    """Ingest a batch; answer only after the commit, with one signed receipt for the batch."""
    hub, body = await signed_by_hub(request)
    data = json_object(body)
    packets = data.get("packets")
    if not isinstance(packets, list) or not packets:
        raise Malformed(f"packets is a list of 1 to {MAX_BATCH} base64 reading packets")
    if len(packets) > MAX_BATCH:
        raise RequestRefused(
            f"a batch holds at most {MAX_BATCH} readings, not {len(packets)}: send it in parts",
            reason="batch_too_large",
            status=413,
        )
    raw = [b64(item, f"packets[{index}]") for index, item in enumerate(packets)]
    settings = request.app[SETTINGS]
    result = await ingest(request.app[ENGINE], hub, raw, settings.cloud_key, settings.now())
    receipted = result.receipted
    return web.json_response(
        {
            "receipt": None if receipted is None else _b64(receipted.receipt.encoded),
            "erase_commands": []
            if receipted is None
            else [_b64(command.encoded) for command in receipted.commands],
            "refused": [
                {"index": r.index, "reason": r.reason, "message": r.message} for r in result.refused
            ],
        }
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


async def hub_accounts(request: web.Request) -> web.Response:
    """Derived data for the hub's building: balances and whether each is low."""
    hub, _ = await signed_by_hub(request)
    found = await accounts.accounts_of(request.app[ENGINE], hub.building)
    return web.json_response({"accounts": [_account_json(a) for a in found]})


def _account_json(account: accounts.Account) -> dict[str, Any]:
    return {
        "dwelling": account.dwelling,
        "balance_cents": account.balance_cents,
        "threshold_cents": account.threshold_cents,
        "low": account.low,
    }


async def dwelling_readings(request: web.Request) -> web.Response:
    """A resident reads their own dwelling's raw readings."""
    engine = request.app[ENGINE]
    person = await authenticate(engine, request.headers.get("Authorization"))
    dwelling = path_text(request, "dwelling", 32)
    person.may_read_readings(person.building, dwelling)
    async with engine.connect() as connection:
        rows = (
            await connection.execute(
                select(readings)
                .where(readings.c.building == person.building, readings.c.dwelling == dwelling)
                .order_by(readings.c.meter_id, readings.c.sequence)
            )
        ).all()
    return web.json_response(
        {
            "readings": [
                {
                    "meter_id": row.meter_id,
                    "sequence": row.sequence,
                    "quantity": Quantity(row.quantity).name.lower(),
                    "value": row.value,
                    "created_at": row.created_at,
                }
                for row in rows
            ]
        }
    )


async def dwelling_balance(request: web.Request) -> web.Response:
    """A dwelling's balance: its resident or the building's property manager."""
    engine = request.app[ENGINE]
    person = await authenticate(engine, request.headers.get("Authorization"))
    dwelling = path_text(request, "dwelling", 32)
    person.may_read_balance(person.building, dwelling)
    found = await accounts.account(engine, person.building, dwelling)
    if found is None:
        raise web.HTTPNotFound(text=f"no account for {dwelling}")
    return web.json_response(_account_json(found))


async def alerts(request: web.Request) -> web.Response:
    """Derived alerts a person may see: low balances (their own, or the building's)."""
    engine = request.app[ENGINE]
    person = await authenticate(engine, request.headers.get("Authorization"))
    found = [
        a
        for a in await accounts.accounts_of(engine, person.building)
        if a.low and (person.dwelling is None or a.dwelling == person.dwelling)
    ]
    return web.json_response(
        {"alerts": [{"kind": "low_balance", **_account_json(a)} for a in found]}
    )


async def payment_webhook(request: web.Request) -> web.Response:
    """A payment provider reports a payment: HMAC-SHA256 of the body with the shared secret."""
    settings = request.app[SETTINGS]
    body = await request.read()
    if settings.payment_secret is None:
        raise Unauthorized("payments are not configured on this connector")
    expected = hmac.new(settings.payment_secret, body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, request.headers.get(PAYMENT_SIGNATURE_HEADER, "")):
        raise Unauthorized(f"{PAYMENT_SIGNATURE_HEADER} does not match the body")
    data = json_object(body)
    amount = data.get("amount_cents")
    if type(amount) is not int:
        raise Malformed("amount_cents is a positive integer")
    credited = await accounts.record_payment(
        request.app[ENGINE],
        building=text(data, "building"),
        dwelling=text(data, "dwelling", 32),
        payment_id=text(data, "payment_id"),
        amount_cents=amount,
        now=settings.now(),
    )
    return web.json_response({"credited": credited})


def make_app(engine: AsyncEngine, settings: Settings) -> web.Application:
    """The service around an opened, migrated database."""
    app = web.Application(middlewares=[_refusals], client_max_size=MAX_BODY)
    app[ENGINE] = engine
    app[SETTINGS] = settings
    app.router.add_get("/v1/cloud-key", cloud_key)
    app.router.add_post("/v1/hubs", enrol_hub)
    app.router.add_post("/v1/meters", add_meter)
    app.router.add_post("/v1/readings", post_readings)
    app.router.add_get("/v1/hub/accounts", hub_accounts)
    app.router.add_get("/v1/dwellings/{dwelling}/readings", dwelling_readings)
    app.router.add_get("/v1/dwellings/{dwelling}/balance", dwelling_balance)
    app.router.add_get("/v1/alerts", alerts)
    app.router.add_post("/v1/payments/webhook", payment_webhook)
    if settings.ledger is not None:
        # People's keys come from the ledger: their records need it.
        without_ledger = set(app.router.resources())
        install_ledger(app, settings.ledger)
        install_tenancy(app)
        install_credit(app)
        install_biometrics(app)
        app[LEDGER_ROUTES] = frozenset(
            resource for resource in app.router.resources() if resource not in without_ledger
        )
    return app
