"""HTTP calls to the cloud connector as a person holding a ledger key (landlord or tenant).

Writes carry records signed inside, so they go unsigned; reads are requests signed with the
key (key_request). Errors are the telemetry client's: CloudUnavailable (unreachable, 5xx) and
CloudRefused (4xx, with the cloud's reason).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import aiohttp

from buildinghub.credentials.keys import SigningKey
from buildinghub.telemetry.cloud_client import json_answer, send

from .key_request import sign_key_request


class KeyClient:
    """One person's connection to one cloud connector."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        key: SigningKey,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """key: the person's ledger key, which signs their reads."""
        self.session = session
        self.base_url = base_url.rstrip("/")
        self.key = key
        self._clock = clock

    async def call(
        self, method: str, path: str, payload: object | None = None, *, signed: bool = False
    ) -> Any:
        """One JSON call; signed: as the key's holder."""
        body = b"" if payload is None else json.dumps(payload).encode()
        headers: dict[str, str] = {}
        if signed:
            headers = sign_key_request(self.key, method, path, body, int(self._clock()))
        return json_answer(*await send(self.session, method, self.base_url + path, body, headers))
