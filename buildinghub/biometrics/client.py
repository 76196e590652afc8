"""The tenant's client of the cloud's consent record: post a consent or a withdrawal, ask status."""

from __future__ import annotations

import base64
from typing import Any

from buildinghub.keylog.key_client import KeyClient


class ConsentClient:
    """A tenant's calls to the biometrics endpoints."""

    def __init__(self, client: KeyClient) -> None:
        """client: the tenant's connection (their key signs their reads)."""
        self._client = client

    async def submit_consent(self, consent: bytes) -> dict[str, Any]:
        """Record a signed consent in the cloud."""
        payload = {"consent": base64.b64encode(consent).decode()}
        answer: dict[str, Any] = await self._client.call("POST", "/v1/biometrics/consents", payload)
        return answer

    async def withdraw(self, withdrawal: bytes) -> dict[str, Any]:
        """Record a withdrawal; the answer lists the sealed templates the cloud erased."""
        payload = {"withdrawal": base64.b64encode(withdrawal).decode()}
        answer: dict[str, Any] = await self._client.call(
            "POST", "/v1/biometrics/withdrawals", payload
        )
        return answer

    async def status(self, template_id: bytes) -> dict[str, Any]:
        """What the cloud holds about a template of this tenant."""
        path = f"/v1/biometrics/templates/{template_id.hex()}"
        answer: dict[str, Any] = await self._client.call("GET", path, signed=True)
        return answer
