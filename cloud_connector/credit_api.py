"""Credit file sharing through the cloud (SPEC R12): the cloud carries a request and its answer.

    POST /v1/credit/requests                {"request": b64} signed by a landlord key active
                                            in the ledger under the request's landlord name;
                                            fresh (issued, not expired) and single-use (its
                                            nonce is stored: a replay is 409); it must name a
                                            tenant of a stored contract
    GET  /v1/credit/requests                the caller's pending requests (a request signed by
                                            a tenant key of a stored contract)
    POST /v1/credit/requests/{id}/answer    {"sealed": b64} the tenant's answer, sealed by
                                            their client to the requesting landlord; once
    GET  /v1/credit/requests/{id}/answer    the answer, to the requesting landlord's key only

The answer is a ciphertext to the landlord's sealing key, bound to the request: the cloud
stores it without reading it. {id} is the hex SHA-256 of the signed request.
"""

from __future__ import annotations

import base64
from typing import Final

from aiohttp import web
from sqlalchemy import insert, select
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from buildinghub.tenancy.credit import (
    MAX_CREDIT_FILE_BYTES,
    CreditRequestBook,
    credit_request_key,
    verify_credit_request,
)

from .app import ENGINE, SETTINGS
from .errors import Conflict, Forbidden, Malformed, NotFound
from .schema import credit_answers, credit_requests, lease_contracts
from .signed_by_key import (
    LANDLORD,
    TENANT,
    ledger_key,
    library_refusals,
    record_field,
    signed_by_key,
)
from .stored_records import path_bytes

# HPKE adds its encapsulated key and tag to the signed file.
MAX_SEALED_ANSWER_BYTES: Final = MAX_CREDIT_FILE_BYTES + 256


async def _tenant_names(connection: AsyncConnection, kid: bytes) -> set[str]:
    rows = await connection.execute(
        select(lease_contracts.c.tenant).where(lease_contracts.c.tenant_kid == kid).distinct()
    )
    return set(rows.scalars())


async def post_request(request: web.Request) -> web.Response:
    """Keep a landlord's signed request for a tenant to answer."""
    data = record_field(await request.read(), "request")
    now = request.app[SETTINGS].now()
    with library_refusals():
        key = credit_request_key(data)
    landlord = ledger_key(request.app, key.kid, LANDLORD)
    with library_refusals():
        credit_request, digest = verify_credit_request(data, landlord_key=landlord.key)
        CreditRequestBook().admit(credit_request, now=now)
    if credit_request.landlord != landlord.subject:
        raise Forbidden(
            f"the request is signed by {landlord.subject!r}'s key but names "
            f"{credit_request.landlord!r}",
            reason="not_the_landlord",
        )
    replayed = Conflict(
        "this credit request was already received: sign a new one", reason="request_replayed"
    )
    try:
        async with request.app[ENGINE].begin() as connection:
            known_tenant = (
                await connection.execute(
                    select(lease_contracts.c.digest)
                    .where(lease_contracts.c.tenant == credit_request.tenant)
                    .limit(1)
                )
            ).first()
            if known_tenant is None:
                raise NotFound(
                    f"no stored contract names tenant {credit_request.tenant!r}",
                    reason="unknown_tenant",
                )
            seen = await connection.execute(
                select(credit_requests.c.digest).where(
                    credit_requests.c.nonce == credit_request.nonce
                )
            )
            if seen.first() is not None:
                raise replayed
            await connection.execute(
                insert(credit_requests).values(
                    digest=digest,
                    nonce=credit_request.nonce,
                    landlord=credit_request.landlord,
                    landlord_kid=landlord.kid,
                    tenant=credit_request.tenant,
                    expires=credit_request.expires,
                    request=data,
                    received_at=now,
                )
            )
    except IntegrityError:  # the same nonce from a concurrent request
        raise replayed from None
    return web.json_response({"request_id": digest.hex(), "expires": credit_request.expires})


async def pending_requests(request: web.Request) -> web.Response:
    """The unanswered, unexpired requests about the calling tenant."""
    tenant, _ = await signed_by_key(request, TENANT)
    now = request.app[SETTINGS].now()
    async with request.app[ENGINE].connect() as connection:
        names = await _tenant_names(connection, tenant.kid)
        answered = select(credit_answers.c.request)
        rows = (
            await connection.execute(
                select(credit_requests)
                .where(
                    credit_requests.c.tenant.in_(sorted(names)),
                    credit_requests.c.expires > now,
                    credit_requests.c.digest.not_in(answered),
                )
                .order_by(credit_requests.c.received_at, credit_requests.c.digest)
            )
        ).all()
    return web.json_response(
        {
            "requests": [
                {
                    "request_id": bytes(row.digest).hex(),
                    "landlord": row.landlord,
                    "tenant": row.tenant,
                    "expires": row.expires,
                    "request": base64.b64encode(bytes(row.request)).decode(),
                }
                for row in rows
            ]
        }
    )


async def _stored_request(connection: AsyncConnection, digest: bytes) -> Row[tuple[object, ...]]:
    row = (
        await connection.execute(select(credit_requests).where(credit_requests.c.digest == digest))
    ).one_or_none()
    if row is None:
        raise NotFound(f"no credit request {digest.hex()}", reason="unknown_request")
    return row


async def post_answer(request: web.Request) -> web.Response:
    """Keep the tenant's sealed answer to a request about them, once."""
    tenant, body = await signed_by_key(request, TENANT)
    sealed = record_field(body, "sealed")
    if not 0 < len(sealed) <= MAX_SEALED_ANSWER_BYTES:
        raise Malformed(f"sealed is 1 to {MAX_SEALED_ANSWER_BYTES} bytes")
    digest = path_bytes(request, "request_id")
    now = request.app[SETTINGS].now()
    try:
        async with request.app[ENGINE].begin() as connection:
            row = await _stored_request(connection, digest)
            if row.tenant not in await _tenant_names(connection, tenant.kid):
                raise NotFound(f"no credit request {digest.hex()}", reason="unknown_request")
            if row.expires <= now:
                raise Forbidden("the credit request has expired", reason="request_expired")
            answered = await connection.execute(
                select(credit_answers.c.request).where(credit_answers.c.request == digest)
            )
            if answered.first() is not None:
                raise Conflict("this request was already answered", reason="already_answered")
            await connection.execute(
                insert(credit_answers).values(
                    request=digest, tenant_kid=tenant.kid, sealed=sealed, answered_at=now
                )
            )
    except IntegrityError:
        raise Conflict("this request was already answered", reason="already_answered") from None
    return web.json_response({"request_id": digest.hex(), "stored": True})


async def get_answer(request: web.Request) -> web.Response:
    """The sealed answer, to the landlord key that signed the request and nobody else."""
    landlord, _ = await signed_by_key(request, LANDLORD)
    digest = path_bytes(request, "request_id")
    async with request.app[ENGINE].connect() as connection:
        row = await _stored_request(connection, digest)
        if bytes(row.landlord_kid) != landlord.kid:
            raise Forbidden(
                "only the landlord who signed the request reads its answer",
                reason="not_the_requester",
            )
        answer = (
            await connection.execute(
                select(credit_answers).where(credit_answers.c.request == digest)
            )
        ).one_or_none()
    if answer is None:
        raise NotFound("the tenant has not answered yet", reason="not_answered")
    return web.json_response(
        {
            "request": base64.b64encode(bytes(row.request)).decode(),
            "tenant_kid": bytes(answer.tenant_kid).hex(),
            "sealed": base64.b64encode(bytes(answer.sealed)).decode(),
        }
    )


def install_credit(app: web.Application) -> None:
    """Add the credit routes (they need the key ledger)."""
    router = app.router
    router.add_post("/v1/credit/requests", post_request)
    router.add_get("/v1/credit/requests", pending_requests)
    router.add_post("/v1/credit/requests/{request_id}/answer", post_answer)
    router.add_get("/v1/credit/requests/{request_id}/answer", get_answer)
