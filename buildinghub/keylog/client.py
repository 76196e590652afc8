"""A client of the cloud connector's key ledger API: the hub's sync, and submissions.

``sync`` brings a LedgerMirror up to the log's latest cosigned checkpoint: it fetches the
checkpoint, the consistency proof from the checkpoint the hub trusts, and the entries the
mirror lacks, then hands all three to ``LedgerMirror.sync``, which verifies everything
(signature, witness quorum, consistency, forward only, fork, entries against the root). The
client itself trusts nothing it fetches.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from typing import Any, Final

import aiohttp

from buildinghub.credentials.keys import PublicKey, SigningKey
from buildinghub.telemetry.cloud_client import (
    CloudRefused,
    CloudUnavailable,
    json_answer,
    send,
)
from buildinghub.telemetry.request_signing import sign_request

from .checkpoint import Checkpoint, parse_checkpoint
from .entries import Entry, KeyRegistration, KeyRevocation, KeyRotation, encode_entry
from .login import sign_login
from .mirror import LedgerMirror
from .note import parse_note
from .submission import Action, sign_submission

PAGE: Final = 1000

__all__ = ["CloudRefused", "CloudUnavailable", "LedgerClient"]


class LedgerClient:
    """Talks to the key ledger of one cloud connector."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        *,
        hub_key: SigningKey | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """``hub_key``: the enrolled hub's key, for the writes only a hub may make."""
        self._session = session
        self._base = base_url.rstrip("/")
        self._hub_key = hub_key
        self._clock = clock

    async def _request(
        self, method: str, path: str, payload: object | None = None, *, as_hub: bool = False
    ) -> tuple[int, str]:
        body = b"" if payload is None else json.dumps(payload).encode()
        headers: dict[str, str] = {}
        if as_hub:
            if self._hub_key is None:
                raise CloudRefused(0, "not_enrolled", "this client has no hub key")
            headers = sign_request(self._hub_key, method, path, body, int(self._clock()))
        return await send(self._session, method, self._base + path, body, headers)

    async def _json(
        self, method: str, path: str, payload: object | None = None, *, as_hub: bool = False
    ) -> Any:
        return json_answer(*await self._request(method, path, payload, as_hub=as_hub))

    async def checkpoint(self) -> str:
        """The latest cosigned checkpoint as a signed note (not verified here)."""
        status, text = await self._request("GET", "/v1/ledger/checkpoint")
        if status != 200:
            raise CloudRefused(status, "checkpoint", text[:200])
        return text

    async def consistency_proof(self, first: int, second: int) -> list[bytes]:
        """The consistency proof between two sizes."""
        data = await self._json("GET", f"/v1/ledger/consistency?from={first}&to={second}")
        return [base64.b64decode(item) for item in data["proof"]]

    async def entries(self, start: int, end: int) -> list[bytes]:
        """Entries [start, end), fetched in pages."""
        found: list[bytes] = []
        while start + len(found) < end:
            first = start + len(found)
            last = min(end, first + PAGE)
            data = await self._json("GET", f"/v1/ledger/entries?start={first}&end={last}")
            page = [base64.b64decode(item) for item in data["entries"]]
            if not page:
                raise CloudUnavailable(f"the ledger sent no entries from {first}")
            found.extend(page)
        return found

    async def sync(self, mirror: LedgerMirror) -> Checkpoint:
        """Bring mirror to the latest checkpoint; raises what LedgerMirror.sync raises."""
        return mirror.sync(*await self.fetch_update(mirror))

    async def fetch_update(self, mirror: LedgerMirror) -> tuple[str, list[bytes], list[bytes]]:
        """What ``mirror.sync`` takes to reach the latest checkpoint: the checkpoint, the
        consistency proof from the trusted one, the entries the mirror lacks."""
        note = await self.checkpoint()
        # Read (unverified) only to know what to fetch: the mirror checks it all.
        size = parse_checkpoint(parse_note(note).text).size
        trusted = mirror.view.checkpoint
        proof: list[bytes] = []
        if trusted is not None and 0 < trusted.size < size:
            proof = await self.consistency_proof(trusted.size, size)
        missing = await self.entries(mirror.size, size) if mirror.size < size else []
        return note, proof, missing

    async def register(self, entry: KeyRegistration, key: SigningKey) -> int:
        """Register key (its registration entry); landlord, lock, hub, witness and station
        keys go through an enrolled hub of the entry's building (this client's hub key)."""
        return await self._submit("/v1/ledger/keys", Action.REGISTER, entry, key, as_hub=True)

    async def register_tenant(self, entry: KeyRegistration, key: SigningKey) -> int:
        """A tenant registers their own key (no hub needed)."""
        return await self._submit("/v1/ledger/keys", Action.REGISTER, entry, key)

    async def rotate(self, entry: KeyRotation, new_key: SigningKey) -> int:
        """Replace a key (the entry is signed by the old key; new_key signs the submission)."""
        return await self._submit("/v1/ledger/rotations", Action.ROTATE, entry, new_key)

    async def revoke(self, entry: KeyRevocation, key: SigningKey | None = None) -> int:
        """Revoke a key: signed by that key, or (key None) by this client's enrolled hub, which
        revokes only keys of its own building."""
        if key is None:
            payload = {"entry": base64.b64encode(encode_entry(entry)).decode()}
            data = await self._json("POST", "/v1/ledger/revocations", payload, as_hub=True)
            return int(data["index"])
        return await self._submit("/v1/ledger/revocations", Action.REVOKE, entry, key)

    async def publish(self, entry: Entry) -> int:
        """Publish a signed record entry (listing, installation, identity check)."""
        payload = {"entry": base64.b64encode(encode_entry(entry)).decode()}
        data = await self._json("POST", "/v1/ledger/records", payload)
        return int(data["index"])

    async def login(self, key: SigningKey, service_id: str) -> dict[str, Any]:
        """Log in with a ledger key: fetch a challenge for it, sign it, send it."""
        return await self.answer_login(key, service_id, await self.login_challenge(key.public_key))

    async def login_challenge(self, key: PublicKey) -> bytes:
        """A login challenge issued to this key."""
        payload = {"kid": key.kid.hex()}
        data = await self._json("POST", "/v1/ledger/login/challenge", payload)
        return base64.b64decode(data["challenge"])

    async def answer_login(
        self, key: SigningKey, service_id: str, challenge: bytes
    ) -> dict[str, Any]:
        """Send the login signature for one challenge."""
        payload = {
            "kid": key.public_key.kid.hex(),
            "challenge": base64.b64encode(challenge).decode(),
            "signature": base64.b64encode(sign_login(key, service_id, challenge)).decode(),
        }
        result: dict[str, Any] = await self._json("POST", "/v1/ledger/login", payload)
        return result

    async def _submit(
        self, path: str, action: Action, entry: Entry, key: SigningKey, *, as_hub: bool = False
    ) -> int:
        raw = encode_entry(entry)
        payload = {
            "entry": base64.b64encode(raw).decode(),
            "signature": base64.b64encode(sign_submission(key, action, raw)).decode(),
        }
        data = await self._json("POST", path, payload, as_hub=as_hub)
        return int(data["index"])
