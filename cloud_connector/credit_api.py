"""Credit file sharing through the cloud (SPEC R12): the cloud carries a request and its answer.

    POST /v1/credit/requests                {"request": b64} signed by a landlord key active
                                            in the ledger under the request's landlord name;
                                            fresh (issued, not expired) and single-use (its
                                            nonce is stored: a replay is 409); it names the
                                            tenant by their ledger key, which must be active
                                            and bound to an identity (404 unknown_tenant)
                                            (a landlord key has at most
                                            MAX_OPEN_REQUESTS_PER_LANDLORD open: 409)
    GET  /v1/credit/requests                the pending requests naming the caller's key (a
                                            request signed by it), each with the requesting
                                            landlord as the ledger has it: key id, name,
                                            building (SPEC S3: never the request's own label)
    POST /v1/credit/requests/{id}/answer    {"sealed": b64} the answer of the tenant the request
                                            names (by key), sealed by their client to the
                                            requesting landlord; once
    GET  /v1/credit/requests/{id}/answer    the answer, to the requesting landlord's key only

The answer is a ciphertext to the landlord's sealing key, bound to the request: the cloud
stores it without reading it. {id} is the hex SHA-256 of the signed request.
"""

from __future__ import annotations

import base64
from typing import Final

from aiohttp import web
from sqlalchemy import func, insert, select
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from buildinghub.keylog.entries import Role
from buildinghub.keylog.key_record import KeyRecord
from buildinghub.tenancy.credit import (
    MAX_CREDIT_FILE_BYTES,
    CreditRequestBook,
    credit_request_key,
    verify_credit_request,
)

from .app_context import ENGINE, SETTINGS
from .errors import Conflict, Forbidden, Malformed, NotFound
from .ledger_api import LEDGER
from .schema import credit_answers, credit_requests
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
# Requests live a day at most; a tenant sees the first this many of those pending.
MAX_PENDING_SHOWN: Final = 100
MAX_OPEN_REQUESTS_PER_LANDLORD: Final = 100


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
    tenant = request.app[LEDGER].log.state.key(credit_request.tenant_key)
    if tenant is None or tenant.role is not Role.TENANT or not tenant.vouched:
        raise NotFound(
            f"the ledger has no tenant key {credit_request.tenant_key.hex()} bound to an "
            f"identity: ask the tenant for the key id their client shows",
            reason="unknown_tenant",
        )
    try:
        async with request.app[ENGINE].begin() as connection:
            seen = await connection.execute(
                select(credit_requests.c.digest).where(
                    credit_requests.c.nonce == credit_request.nonce
                )
            )
            if seen.first() is not None:
                raise replayed
            open_requests = await connection.execute(
                select(func.count())
                .select_from(credit_requests)
                .where(
                    credit_requests.c.landlord_kid == landlord.kid, credit_requests.c.expires > now
                )
            )
            if open_requests.scalar_one() >= MAX_OPEN_REQUESTS_PER_LANDLORD:
                raise Conflict(
                    f"this landlord key has {MAX_OPEN_REQUESTS_PER_LANDLORD} requests open: wait "
                    f"until one expires",
                    reason="too_many_requests",
                )
            await connection.execute(
                insert(credit_requests).values(
                    digest=digest,
                    nonce=credit_request.nonce,
                    landlord=credit_request.landlord,
                    landlord_kid=landlord.kid,
                    tenant=credit_request.tenant,
                    tenant_kid=credit_request.tenant_key,
                    expires=credit_request.expires,
                    request=data,
                    received_at=now,
                )
            )
    except IntegrityError:  # the same nonce from a concurrent request
        raise replayed from None
    return web.json_response({"request_id": digest.hex(), "expires": credit_request.expires})


async def pending_requests(request: web.Request) -> web.Response:
    """The unanswered, unexpired requests naming the calling tenant's key."""
    tenant, _ = await signed_by_key(request, TENANT)
    now = request.app[SETTINGS].now()
    async with request.app[ENGINE].connect() as connection:
        answered = select(credit_answers.c.request)
        rows = (
            await connection.execute(
                select(credit_requests)
                .where(
                    credit_requests.c.tenant_kid == tenant.kid,
                    credit_requests.c.expires > now,
                    credit_requests.c.digest.not_in(answered),
                )
                .order_by(credit_requests.c.received_at, credit_requests.c.digest)
                .limit(MAX_PENDING_SHOWN)
            )
        ).all()
    state = request.app[LEDGER].log.state
    return web.json_response(
        {
            "requests": [
                {
                    "request_id": bytes(row.digest).hex(),
                    "landlord": _landlord_json(state.key(bytes(row.landlord_kid)), row.landlord),
                    "expires": row.expires,
                    "request": base64.b64encode(bytes(row.request)).decode(),
                }
                for row in rows
            ]
        }
    )


def _landlord_json(record: KeyRecord | None, label: str) -> dict[str, object]:
    # Who asks, as the ledger has it; the request's own name is only a label.
    if record is None:  # never: the request was signed by an active landlord key
        return {"label": label}
    return {
        "kid": record.kid.hex(),
        "name": record.subject,
        "building": record.building,
        "status": record.status.value,
        "label": label,
    }


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
            if row.tenant_kid is None or bytes(row.tenant_kid) != tenant.kid:
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
