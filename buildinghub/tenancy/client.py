"""The people's client of the cloud's tenancy record: contracts, payments, inspections, credit.

Records are signed (and payments and credit answers sealed) on the person's machine; the cloud
only stores and hands them back. The other party's key comes from the key ledger, proven
(keylog.person_ledger), never from these answers.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

from buildinghub.keylog.key_client import KeyClient


@dataclass(frozen=True, slots=True)
class StoredAnswer:
    """A landlord's view of a tenant's answer: the request, who answered, the sealed file."""

    request: bytes = field(repr=False)
    tenant_kid: bytes
    sealed: bytes = field(repr=False)


@dataclass(frozen=True, slots=True)
class PendingRequest:
    """A credit request waiting for the tenant's answer (who asks: verify it in the ledger)."""

    request_id: str
    request: bytes = field(repr=False)


def _b64(text: object) -> bytes:
    return base64.b64decode(str(text), validate=True)


def _encode(data: bytes) -> str:
    return base64.b64encode(data).decode()


class TenancyClient:
    """A landlord's or a tenant's calls to the tenancy and credit endpoints."""

    def __init__(self, client: KeyClient) -> None:
        """client: the person's connection (their key signs their reads)."""
        self._client = client

    async def submit_contract(self, contract: bytes) -> tuple[str, bool]:
        """Store a signed contract; its digest (hex) and whether it was new."""
        data = await self._client.call(
            "POST", "/v1/tenancy/contracts", {"contract": _encode(contract)}
        )
        return str(data["digest"]), bool(data["stored"])

    async def contract(self, digest: bytes) -> bytes:
        """A stored contract of which this person is a party."""
        data = await self._client.call("GET", f"/v1/tenancy/contracts/{digest.hex()}", signed=True)
        return _b64(data["contract"])

    async def submit_payment(self, stored_payment: bytes) -> tuple[str, bool]:
        """Store a sealed payment (tenancy.stored_payment)."""
        payload = {"payment": _encode(stored_payment)}
        data = await self._client.call("POST", "/v1/tenancy/payments", payload)
        return str(data["digest"]), bool(data["stored"])

    async def payments(self, contract: bytes) -> list[bytes]:
        """The tenant's stored payments under a contract (still sealed)."""
        path = f"/v1/tenancy/contracts/{contract.hex()}/payments"
        data = await self._client.call("GET", path, signed=True)
        return [_b64(item) for item in data["payments"]]

    async def submit_inspection(self, inspection: bytes) -> tuple[str, bool]:
        """Store a move-out inspection both parties signed."""
        payload = {"inspection": _encode(inspection)}
        data = await self._client.call("POST", "/v1/tenancy/inspections", payload)
        return str(data["digest"]), bool(data["stored"])

    async def inspections(self, contract: bytes) -> list[bytes]:
        """The move-out inspections of a contract."""
        path = f"/v1/tenancy/contracts/{contract.hex()}/inspections"
        data = await self._client.call("GET", path, signed=True)
        return [_b64(item) for item in data["inspections"]]

    async def request_credit(self, request: bytes) -> str:
        """Post a signed credit request; its id."""
        data = await self._client.call("POST", "/v1/credit/requests", {"request": _encode(request)})
        return str(data["request_id"])

    async def pending_requests(self) -> list[PendingRequest]:
        """The credit requests about this tenant that wait for an answer."""
        data = await self._client.call("GET", "/v1/credit/requests", signed=True)
        return [
            PendingRequest(str(item["request_id"]), _b64(item["request"]))
            for item in data["requests"]
        ]

    async def answer_credit(self, request_id: str, sealed: bytes) -> None:
        """Post the tenant's sealed answer."""
        path = f"/v1/credit/requests/{request_id}/answer"
        await self._client.call("POST", path, {"sealed": _encode(sealed)}, signed=True)

    async def credit_answer(self, request_id: str) -> StoredAnswer:
        """The answer to this landlord's own request."""
        path = f"/v1/credit/requests/{request_id}/answer"
        data = await self._client.call("GET", path, signed=True)
        return StoredAnswer(
            _b64(data["request"]), bytes.fromhex(str(data["tenant_kid"])), _b64(data["sealed"])
        )
