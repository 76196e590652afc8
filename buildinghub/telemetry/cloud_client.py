"""The hub's client for the cloud connector: enrolment, meters, readings, balances.

Every request is signed with the hub's key. Receipts are verified with the cloud's
key the hub pinned at enrolment before anything is trusted.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import aiohttp

from buildinghub.credentials import PublicKey, SigningKey

from .errors import MalformedMessage, TelemetryError
from .reading import Quantity
from .receipt import EraseCommand, StorageReceipt, check_proof, decode_erase_command, verify_receipt
from .request_signing import sign_request

REQUEST_TIMEOUT_S: Final = 30.0


class CloudUnavailable(Exception):
    """The cloud could not be reached or failed (connection error, timeout, 5xx): try later."""


class CloudRefused(Exception):
    """The cloud refused the request (4xx); ``reason`` is its code."""

    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(f"the cloud refused the request ({status} {reason}): {message}")
        self.status = status
        self.reason = reason


@dataclass(frozen=True, slots=True)
class RefusedReading:
    """A packet of a batch the cloud did not store."""

    index: int
    reason: str
    message: str


@dataclass(frozen=True, slots=True)
class IngestAnswer:
    """The cloud's answer to one batch: its one receipt, the meters' erase commands, refusals."""

    receipt: StorageReceipt | None
    erase_commands: list[EraseCommand]
    refused: list[RefusedReading]


@dataclass(frozen=True, slots=True)
class AccountView:
    """A dwelling's balance as the hub sees it (derived data only)."""

    dwelling: str
    balance_cents: int
    threshold_cents: int
    low: bool

    def low_balance_text(self) -> str:
        """What the manager reads when it runs low: ``balance is low: 4.50 left (reminder
        below 10.00)``; the dwelling is said by whoever shows it (a logbook's name)."""
        return (
            f"balance is low: {_units(self.balance_cents)} left"
            f" (reminder below {_units(self.threshold_cents)})"
        )


def _units(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}{whole}.{part:02d}"


async def send(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    body: bytes,
    headers: Mapping[str, str],
) -> tuple[int, str]:
    """One JSON request; its status and text. CloudUnavailable if unreachable or 5xx."""
    try:
        async with session.request(
            method,
            url,
            data=body or None,
            headers={**headers, "Content-Type": "application/json"},
            timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S),
        ) as response:
            text = await response.text()
            status = response.status
    except (aiohttp.ClientError, TimeoutError) as err:
        raise CloudUnavailable(f"cannot reach the cloud at {url}: {err}") from err
    if status >= 500:
        raise CloudUnavailable(f"the cloud failed with {status}")
    return status, text


def json_answer(status: int, text: str) -> Any:
    """The JSON of an answer; CloudRefused with the cloud's reason for a 4xx."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        raise CloudUnavailable(f"the cloud answered {status} without JSON") from None
    if status >= 400:
        raise CloudRefused(status, str(data.get("error")), str(data.get("message")))
    return data


class CloudClient:
    """Talks to one cloud connector for one hub."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        hub_key: SigningKey,
        *,
        cloud_key: PublicKey | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """``cloud_key`` is the receipt key pinned at enrolment (None only before it)."""
        self._session = session
        self._base = base_url.rstrip("/")
        self._key = hub_key
        self.cloud_key = cloud_key
        self._clock = clock

    async def _call(self, method: str, path: str, payload: object | None = None) -> Any:
        body = b"" if payload is None else json.dumps(payload).encode()
        headers = sign_request(self._key, method, path, body, int(self._clock()))
        status, text = await send(self._session, method, self._base + path, body, headers)
        return json_answer(status, text)

    async def fetch_cloud_key(self) -> PublicKey:
        """The cloud's receipt key (to be pinned at enrolment)."""
        data = await self._call("GET", "/v1/cloud-key")
        return PublicKey.from_bytes(base64.b64decode(data["public_key"]))

    async def enrol(self, token: str) -> str:
        """Register this hub's key with a one-time token; returns the building name."""
        data = await self._call(
            "POST",
            "/v1/hubs",
            {
                "token": token,
                "public_key": base64.b64encode(self._key.public_key.to_bytes()).decode(),
            },
        )
        return str(data["building"])

    async def register_meter(
        self, meter_id: str, dwelling: str, quantity: Quantity, key: PublicKey
    ) -> None:
        """Register one of this hub's meters and its reading key."""
        await self._call(
            "POST",
            "/v1/meters",
            {
                "meter_id": meter_id,
                "dwelling": dwelling,
                "quantity": quantity.name.lower(),
                "public_key": base64.b64encode(key.to_bytes()).decode(),
            },
        )

    async def send_readings(self, packets: Sequence[bytes]) -> IngestAnswer:
        """Send one batch; its receipt is checked against the pinned key, each proof against it."""
        if self.cloud_key is None:
            raise CloudRefused(0, "not_enrolled", "the hub has not pinned the cloud's key")
        data = await self._call(
            "POST",
            "/v1/readings",
            {"packets": [base64.b64encode(packet).decode() for packet in packets]},
        )
        receipt: StorageReceipt | None = None
        commands: list[EraseCommand] = []
        try:
            if data.get("receipt") is not None:
                receipt = verify_receipt(base64.b64decode(data["receipt"]), self.cloud_key)
            for item in data.get("erase_commands", []):
                command = decode_erase_command(base64.b64decode(item))
                # One signature per batch: each command must carry the receipt just verified.
                if receipt is None or command.receipt.encoded != receipt.encoded:
                    raise MalformedMessage("an erase command carries another receipt")
                check_proof(command)
                commands.append(command)
        except (TelemetryError, ValueError) as err:
            raise CloudUnavailable(f"the cloud sent an invalid receipt: {err}") from None
        refused = [
            RefusedReading(int(r["index"]), str(r["reason"]), str(r["message"]))
            for r in data.get("refused", [])
        ]
        return IngestAnswer(receipt, commands, refused)

    async def accounts(self) -> list[AccountView]:
        """Balances of the hub's building."""
        data = await self._call("GET", "/v1/hub/accounts")
        return [
            AccountView(
                str(a["dwelling"]),
                int(a["balance_cents"]),
                int(a["threshold_cents"]),
                bool(a["low"]),
            )
            for a in data["accounts"]
        ]
