"""What every handler of the connector reads from the application: its database engine, its
settings, and the enrolled hub that signed a request."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from buildinghub.credentials import SigningKey
from buildinghub.telemetry.errors import TelemetryError
from buildinghub.telemetry.request_signing import read_headers, verify_request

from .errors import Unauthorized
from .hubs import Hub, find_hub
from .ledger import LedgerSettings

ENGINE: Final = web.AppKey("engine", AsyncEngine)


@dataclass(frozen=True, slots=True)
class Settings:
    """What the running service holds besides its database."""

    cloud_key: SigningKey
    payment_secret: bytes | None = None
    clock: Callable[[], float] = time.time
    ledger: LedgerSettings | None = None

    def now(self) -> int:
        """Unix seconds."""
        return int(self.clock())


SETTINGS: Final = web.AppKey("settings", Settings)


async def signed_by_hub(request: web.Request) -> tuple[Hub, bytes]:
    """The enrolled hub that signed this request, and the body it signed (401 otherwise)."""
    body = await request.read()
    try:
        signed = read_headers(request.headers)
    except TelemetryError as err:
        raise Unauthorized(str(err)) from None
    hub = None
    if re.fullmatch(r"[0-9a-f]{32}", signed.hub_id):  # a key id; nothing else is looked up
        hub = await find_hub(request.app[ENGINE], signed.hub_id)
    if hub is None:
        raise Unauthorized("unknown hub: enrol it first")
    try:
        verify_request(
            signed,
            hub.public_key,
            method=request.method,
            path=request.path,
            body=body,
            now=request.app[SETTINGS].now(),
        )
    except TelemetryError as err:
        raise Unauthorized(str(err)) from None
    return hub, body
