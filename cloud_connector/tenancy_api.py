"""The tenancy record in the cloud (SPEC R5, R10, R11): contracts, payments, inspections.

    POST /v1/tenancy/contracts                  {"contract": b64} both signatures verified,
                                                both keys active in the ledger: the landlord
                                                under the contract's name and building (and the
                                                lock's installation record's, when published),
                                                the tenant bound to the contract's identity hash
                                                by a station's check; stored once, resubmitting
                                                answers stored=false
    GET  /v1/tenancy/contracts/{digest}         the contract, to its landlord or tenant (a
                                                request signed with their key)
    POST /v1/tenancy/payments                   {"payment": b64} a stored-payment record: the
                                                payment sealed to the tenant, signed by the
                                                contract's tenant; the cloud cannot read it
    GET  /v1/tenancy/contracts/{digest}/payments     the stored payments, to the tenant
    POST /v1/tenancy/inspections                {"inspection": b64} signed by both parties of
                                                a stored contract
    GET  /v1/tenancy/contracts/{digest}/inspections  the inspections, to either party

Anyone else reading gets 404, as if nothing were stored. Every refusal writes nothing. Records
are stored once by their signed content (SPEC S4): a signature re-encoded (or made again) over
the same content is the same record.
"""

from __future__ import annotations

import base64

from aiohttp import web
from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncConnection

from buildinghub.keylog.entries import Role
from buildinghub.keylog.errors import KeylogError
from buildinghub.keylog.landlord_trust import trusted_landlord
from buildinghub.tenancy.contract import SignedContract, verify_contract
from buildinghub.tenancy.inspection import inspection_contract, verify_inspection
from buildinghub.tenancy.stored_payment import (
    read_stored_payment,
    stored_payment_contract,
    stored_payment_digest,
)

from .app_context import ENGINE, SETTINGS
from .errors import Forbidden, NotFound
from .ledger_api import LEDGER
from .schema import lease_contracts, move_out_inspections, rent_payments
from .signed_by_key import (
    LANDLORD,
    TENANT,
    ledger_key,
    library_refusals,
    record_field,
    signed_by_key,
)
from .stored_records import insert_once, path_bytes

PARTIES = frozenset({Role.LANDLORD, Role.TENANT})


def verify_parties_in_ledger(app: web.Application, contract: SignedContract) -> None:
    """Both parties' keys active in the ledger, the landlord under the contract's name and
    building (by the lock's installation record when the ledger holds one), the tenant bound to
    the contract's identity hash (403 otherwise)."""
    terms = contract.terms
    landlord = ledger_key(app, terms.landlord_key.kid, LANDLORD)
    if (landlord.subject, landlord.building) != (terms.landlord, terms.building):
        raise Forbidden(
            f"landlord key {landlord.kid.hex()} is registered as {landlord.subject!r} of "
            f"{landlord.building!r}, not as the contract's landlord {terms.landlord!r} of "
            f"{terms.building!r}",
            reason="not_the_landlord",
        )
    state = app[LEDGER].log.state
    installed = state.installation(terms.building, terms.lock)
    if installed is not None:
        try:
            trusted_landlord(state, landlord.kid, installed[1], building=terms.building)
        except KeylogError as err:
            raise Forbidden(str(err), reason="not_the_landlord") from None
    tenant = ledger_key(app, terms.tenant_key.kid, TENANT)
    if tenant.owner != terms.tenant_identity:
        raise Forbidden(
            f"tenant key {tenant.kid.hex()} is registered for another identity than the "
            f"contract's tenant",
            reason="not_the_tenant",
        )


async def stored_contract(connection: AsyncConnection, digest: bytes) -> SignedContract | None:
    """The stored contract with this digest, verified again (it was verified when stored)."""
    data = (
        await connection.execute(
            select(lease_contracts.c.contract).where(lease_contracts.c.digest == digest)
        )
    ).scalar_one_or_none()
    return None if data is None else verify_contract(bytes(data))


async def post_contract(request: web.Request) -> web.Response:
    """Store a contract both parties signed."""
    data = record_field(await request.read(), "contract")
    with library_refusals():
        contract = verify_contract(data)
    verify_parties_in_ledger(request.app, contract)
    terms = contract.terms
    async with request.app[ENGINE].begin() as connection:
        stored = await insert_once(
            connection,
            lease_contracts,
            digest=contract.digest,
            landlord=terms.landlord,
            landlord_kid=terms.landlord_key.kid,
            tenant=terms.tenant,
            tenant_kid=terms.tenant_key.kid,
            building=terms.building,
            flat=terms.flat,
            contract=data,
            stored_at=request.app[SETTINGS].now(),
        )
    return web.json_response({"digest": contract.digest.hex(), "stored": stored})


async def _contract_for(
    request: web.Request, roles: frozenset[Role]
) -> tuple[SignedContract, bytes]:
    """The contract named in the path, if the signed request comes from one of its parties in
    roles; 404 otherwise (a stranger learns nothing, not even that it exists)."""
    record, _ = await signed_by_key(request, roles)
    digest = path_bytes(request, "digest")
    async with request.app[ENGINE].connect() as connection:
        contract = await stored_contract(connection, digest)
    kids = set()
    if contract is not None:
        terms = contract.terms
        kids = {
            terms.landlord_key.kid if Role.LANDLORD in roles else b"",
            terms.tenant_key.kid if Role.TENANT in roles else b"",
        }
    if contract is None or record.kid not in kids:
        raise NotFound(f"no contract {digest.hex()} of yours is stored", reason="unknown_contract")
    return contract, digest


async def get_contract(request: web.Request) -> web.Response:
    """A stored contract, to its landlord or tenant."""
    contract, _ = await _contract_for(request, PARTIES)
    return web.json_response({"contract": base64.b64encode(contract.encoded).decode()})


async def _contract_of_record(connection: AsyncConnection, digest: bytes) -> SignedContract:
    contract = await stored_contract(connection, digest)
    if contract is None:
        raise NotFound(
            f"no contract {digest.hex()} is stored: submit the signed contract first",
            reason="unknown_contract",
        )
    return contract


async def post_payment(request: web.Request) -> web.Response:
    """Store a payment the contract's tenant sealed to themselves and signed."""
    data = record_field(await request.read(), "payment")
    with library_refusals():
        digest = stored_payment_contract(data)
    async with request.app[ENGINE].begin() as connection:
        contract = await _contract_of_record(connection, digest)
        with library_refusals():
            read_stored_payment(data, contract)
            payment = stored_payment_digest(data)
        ledger_key(request.app, contract.terms.tenant_key.kid, TENANT)
        stored = await insert_once(
            connection,
            rent_payments,
            digest=payment,
            contract=digest,
            tenant_kid=contract.terms.tenant_key.kid,
            deposit=data,
            stored_at=request.app[SETTINGS].now(),
        )
    return web.json_response({"digest": payment.hex(), "stored": stored})


async def _records(request: web.Request, table: Table, column: str) -> list[str]:
    async with request.app[ENGINE].connect() as connection:
        rows = (
            await connection.execute(
                select(table.c[column])
                .where(table.c.contract == path_bytes(request, "digest"))
                .order_by(table.c.stored_at, table.c.digest)
            )
        ).scalars()
        return [base64.b64encode(bytes(row)).decode() for row in rows]


async def get_payments(request: web.Request) -> web.Response:
    """The stored payments of a contract, to its tenant only."""
    await _contract_for(request, TENANT)
    return web.json_response({"payments": await _records(request, rent_payments, "deposit")})


async def post_inspection(request: web.Request) -> web.Response:
    """Store a move-out inspection both parties of a stored contract signed."""
    data = record_field(await request.read(), "inspection")
    with library_refusals():
        digest = inspection_contract(data)
    async with request.app[ENGINE].begin() as connection:
        contract = await _contract_of_record(connection, digest)
        with library_refusals():
            inspection = verify_inspection(data, contract)
        verify_parties_in_ledger(request.app, contract)
        stored = await insert_once(
            connection,
            move_out_inspections,
            digest=inspection.digest,
            contract=digest,
            inspection=data,
            stored_at=request.app[SETTINGS].now(),
        )
    return web.json_response({"digest": inspection.digest.hex(), "stored": stored})


async def get_inspections(request: web.Request) -> web.Response:
    """The move-out inspections of a contract, to either party."""
    await _contract_for(request, PARTIES)
    found = await _records(request, move_out_inspections, "inspection")
    return web.json_response({"inspections": found})


def install_tenancy(app: web.Application) -> None:
    """Add the tenancy routes (they need the key ledger)."""
    router = app.router
    router.add_post("/v1/tenancy/contracts", post_contract)
    router.add_get("/v1/tenancy/contracts/{digest}", get_contract)
    router.add_post("/v1/tenancy/payments", post_payment)
    router.add_get("/v1/tenancy/contracts/{digest}/payments", get_payments)
    router.add_post("/v1/tenancy/inspections", post_inspection)
    router.add_get("/v1/tenancy/contracts/{digest}/inspections", get_inspections)
