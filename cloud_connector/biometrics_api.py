"""Biometric consents and sealed templates in the cloud (SPEC R7-R9).

    POST /v1/biometrics/consents          {"consent": b64} signed by a tenant key active in
                                          the ledger and bound to its identity; stored once
                                          by its signed content (resubmitting: stored=false).
                                          The first consent naming a template id binds it to
                                          that tenant and that lock (SPEC S1): anyone else's
                                          consent naming it, or one for another lock, is 403
                                          template_not_yours
    POST /v1/biometrics/bundles           {"bundle": b64} a sealed template signed by an
                                          enrolling station's key in the ledger (under its
                                          name), kept only while a consent to store that
                                          template for that lock stands; the cloud cannot
                                          open it (HPKE to the lock's key)
    GET  /v1/biometrics/locks/{lock}/bundles   the bundles held for a lock of the building of
                                          the enrolled hub that signs the request (re-delivery)
    POST /v1/biometrics/withdrawals       {"withdrawal": b64} signed with the consent's key (or
                                          the key it was rotated to, same identity):
                                          records it and deletes every bundle of that template
                                          in the same transaction; answers what was erased.
                                          From then on the template id takes no consent and
                                          no bundle (409 consent_withdrawn)
    GET  /v1/biometrics/templates/{id}    consents, withdrawal and bundles held for a template
                                          id, to the tenant who consented (a signed request)

Every refusal writes nothing. A tenant keeps at most MAX_TEMPLATES_PER_TENANT template ids, a
template at most MAX_CONSENTS_PER_TEMPLATE consents and MAX_BUNDLES_PER_TEMPLATE sealed copies
(409 too_many_templates).
"""

from __future__ import annotations

import base64
from collections.abc import Iterator, Mapping
from typing import Any

from aiohttp import web
from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from buildinghub.biometrics.consent import (
    MAX_CONSENT_BYTES,
    TEMPLATE_ID_LENGTH,
    Consent,
    ConsentBook,
    Purpose,
    read_withdrawal,
)
from buildinghub.biometrics.errors import NoConsent
from buildinghub.biometrics.sealing import SealedBundle, read_bundle
from buildinghub.biometrics.template_owner import (
    MAX_BUNDLES_PER_TEMPLATE,
    MAX_CONSENTS_PER_TEMPLATE,
    MAX_TEMPLATES_PER_TENANT,
    TemplateOwner,
    check_room,
    claim_template,
)
from buildinghub.credentials.cose import decode_sign1
from buildinghub.credentials.keys import PublicKey
from buildinghub.keylog.entries import Role

from .app_context import ENGINE, SETTINGS, signed_by_hub
from .errors import Conflict, Forbidden, NotFound, Unauthorized
from .json_body import path_text
from .ledger_api import LEDGER
from .schema import (
    biometric_consents,
    biometric_templates,
    biometric_withdrawals,
    sealed_templates,
)
from .signed_by_key import TENANT, ledger_key, library_refusals, record_field, signed_by_key
from .stored_records import insert_once, path_bytes

STATION = frozenset({Role.STATION})


class _SignerKey(Mapping[str, PublicKey]):
    """The one key the ledger vouches for, whatever name the tenant signed under."""

    def __init__(self, key: PublicKey) -> None:
        self._key = key

    def __getitem__(self, name: str) -> PublicKey:
        return self._key

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def _signer(data: bytes) -> bytes:
    with library_refusals():
        return decode_sign1(data, max_size=MAX_CONSENT_BYTES).kid


def _withdrawn(template_id: bytes) -> Conflict:
    return Conflict(
        f"consent for template {template_id.hex()} was withdrawn: the template was erased and "
        f"its id takes no new consent or bundle (capture a new template)",
        reason="consent_withdrawn",
    )


async def _lock_consents(connection: AsyncConnection, template_id: bytes) -> list[Any]:
    """The template's consents, locked until the transaction ends (PostgreSQL row locks), so a
    bundle stored and a withdrawal erasing never interleave."""
    rows = await connection.execute(
        select(biometric_consents)
        .where(biometric_consents.c.template_id == template_id)
        .with_for_update()
    )
    return list(rows.all())


async def _is_withdrawn(connection: AsyncConnection, template_id: bytes) -> bool:
    found = await connection.execute(
        select(biometric_withdrawals.c.consent).where(
            biometric_withdrawals.c.template_id == template_id
        )
    )
    return found.first() is not None


async def _template_owner(connection: AsyncConnection, template_id: bytes) -> TemplateOwner | None:
    """Whom the template id is bound to, locked until the transaction ends."""
    row = (
        await connection.execute(
            select(biometric_templates)
            .where(biometric_templates.c.template_id == template_id)
            .with_for_update()
        )
    ).one_or_none()
    return None if row is None else TemplateOwner(template_id, bytes(row.tenant), row.lock)


async def _count(connection: AsyncConnection, table: Any, *where: Any) -> int:
    found = await connection.execute(select(func.count()).select_from(table).where(*where))
    return int(found.scalar_one())


async def _claim(
    connection: AsyncConnection, claim: TemplateOwner, tenant_kid: bytes, now: int
) -> None:
    """Bind the template to claim's tenant and lock, or check it is theirs (403 otherwise)."""
    owner = await _template_owner(connection, claim.template_id)
    with library_refusals(status=403):
        claim_template(owner, claim)
    if owner is not None:
        return
    held = await _count(
        connection, biometric_templates, biometric_templates.c.tenant == claim.tenant
    )
    with library_refusals(status=409):
        check_room(held, MAX_TEMPLATES_PER_TENANT, "template ids per tenant")
    bound = await insert_once(
        connection,
        biometric_templates,
        key="template_id",
        template_id=claim.template_id,
        tenant=claim.tenant,
        tenant_kid=tenant_kid,
        lock=claim.lock,
        bound_at=now,
    )
    if not bound:  # another transaction bound it first (SQLite has no row lock to wait on)
        with library_refusals(status=403):
            claim_template(await _template_owner(connection, claim.template_id), claim)


async def post_consent(request: web.Request) -> web.Response:
    """Record a tenant's signed consent, if the template is theirs (or new) and for that lock."""
    data = record_field(await request.read(), "consent")
    tenant = ledger_key(request.app, _signer(data), TENANT)
    with library_refusals():
        consent = ConsentBook(_SignerKey(tenant.key)).record(data)
    record = consent.record
    now = request.app[SETTINGS].now()
    async with request.app[ENGINE].begin() as connection:
        await _claim(
            connection,
            TemplateOwner(record.template_id, tenant.owner, record.lock),
            tenant.kid,
            now,
        )
        consents = await _lock_consents(connection, record.template_id)
        if await _is_withdrawn(connection, record.template_id):
            raise _withdrawn(record.template_id)
        if consent.digest not in {bytes(row.digest) for row in consents}:
            with library_refusals(status=409):
                check_room(len(consents), MAX_CONSENTS_PER_TEMPLATE, "consents per template")
        stored = await insert_once(
            connection,
            biometric_consents,
            digest=consent.digest,
            template_id=record.template_id,
            tenant=record.tenant,
            tenant_kid=tenant.kid,
            tenant_key=tenant.key.to_bytes(),
            lock=record.lock,
            purposes=",".join(sorted(record.purposes)),
            given_at=record.given_at,
            record=data,
            received_at=now,
        )
    return web.json_response(
        {"digest": consent.digest.hex(), "template_id": record.template_id.hex(), "stored": stored}
    )


def _consent_to_store(rows: list[Any], bundle: SealedBundle, now: int) -> Consent:
    binding = bundle.binding
    for row in rows:
        book = ConsentBook(_SignerKey(PublicKey.from_bytes(row.tenant_key)))
        book.record(bytes(row.record))
        try:
            consent = book.check(
                binding.template_id, lock=binding.lock, purpose=Purpose.STORE, now=now
            )
        except NoConsent:
            continue
        if consent.record.tenant == binding.tenant:
            return consent
    raise Forbidden(
        f"no consent of tenant {binding.tenant!r} to store template "
        f"{binding.template_id.hex()} for lock {binding.lock}: the tenant signs one first",
        reason="no_consent",
    )


async def post_bundle(request: web.Request) -> web.Response:
    """Keep a station-sealed template while a consent to store it stands."""
    data = record_field(await request.read(), "bundle")
    with library_refusals():
        bundle = read_bundle(data)
    station = ledger_key(request.app, bundle.kid, STATION)
    if station.subject != bundle.station:
        raise Forbidden(
            f"station key {station.kid.hex()} is registered as {station.subject!r}, not as "
            f"{bundle.station!r}",
            reason="not_the_station",
        )
    with library_refusals():
        bundle.record.verify(station.key)
    binding = bundle.binding
    digest = bundle.record.digest
    async with request.app[ENGINE].begin() as connection:
        owner = await _template_owner(connection, binding.template_id)
        rows = await _lock_consents(connection, binding.template_id)
        if await _is_withdrawn(connection, binding.template_id):
            raise _withdrawn(binding.template_id)
        _consent_to_store(rows, bundle, request.app[SETTINGS].now())
        if owner is not None and binding.lock != owner.lock:
            raise Forbidden(
                f"template {binding.template_id.hex()} is bound to lock {owner.lock}",
                reason="template_not_yours",
            )
        held = await _count(
            connection,
            sealed_templates,
            sealed_templates.c.template_id == binding.template_id,
            sealed_templates.c.digest != digest,
        )
        with library_refusals(status=409):
            check_room(held, MAX_BUNDLES_PER_TEMPLATE, "sealed copies per template")
        stored = await insert_once(
            connection,
            sealed_templates,
            digest=digest,
            template_id=binding.template_id,
            building=binding.building,
            lock=binding.lock,
            tenant=binding.tenant,
            epoch=binding.epoch,
            station=bundle.station,
            bundle=data,
            stored_at=request.app[SETTINGS].now(),
        )
    return web.json_response({"digest": digest.hex(), "stored": stored})


async def lock_bundles(request: web.Request) -> web.Response:
    """The sealed templates held for one lock of the calling hub's building."""
    hub, _ = await signed_by_hub(request)
    async with request.app[ENGINE].connect() as connection:
        rows = await connection.execute(
            select(sealed_templates.c.bundle)
            .where(
                sealed_templates.c.building == hub.building,
                sealed_templates.c.lock == path_text(request, "lock"),
            )
            .order_by(sealed_templates.c.stored_at, sealed_templates.c.digest)
        )
        bundles = [base64.b64encode(bytes(bundle)).decode() for bundle in rows.scalars()]
    return web.json_response({"bundles": bundles})


def _withdrawing_key(app: web.Application, consent_key: PublicKey, data: bytes) -> PublicKey:
    """The key that may sign a withdrawal: the consent's own, or, once the tenant rotated it,
    their active tenant key in the ledger bound to the same identity."""
    signer = _signer(data)
    if signer == consent_key.kid:
        return consent_key
    current = ledger_key(app, signer, TENANT)
    original = app[LEDGER].log.state.key(consent_key.kid)
    if original is None or not original.vouched or original.owner != current.owner:
        raise Unauthorized(
            f"the withdrawal is signed by key {signer.hex()}, not by the tenant who consented",
            reason="bad_signature",
        )
    return current.key


async def post_withdrawal(request: web.Request) -> web.Response:
    """Record a withdrawal and erase every stored bundle of the template, in one transaction."""
    data = record_field(await request.read(), "withdrawal")
    with library_refusals():
        digest = read_withdrawal(data).consent
    async with request.app[ENGINE].begin() as connection:
        row = (
            await connection.execute(
                select(biometric_consents)
                .where(biometric_consents.c.digest == digest)
                .with_for_update()
            )
        ).one_or_none()
        if row is None:
            raise NotFound(f"no consent {digest.hex()} is stored", reason="unknown_consent")
        consent_key = PublicKey.from_bytes(row.tenant_key)
        keys = {row.tenant: consent_key}
        book = ConsentBook(keys)
        with library_refusals():
            book.record(bytes(row.record))
            # The book checks the withdrawal with the tenant's key as the ledger has it now.
            keys[row.tenant] = _withdrawing_key(request.app, consent_key, data)
            consent = book.withdraw(data)
        template_id = consent.record.template_id
        await _lock_consents(connection, template_id)
        already = (
            await connection.execute(
                select(biometric_withdrawals).where(biometric_withdrawals.c.consent == digest)
            )
        ).one_or_none()
        erased: list[dict[str, object]] = []
        if already is None:
            bundles = (
                await connection.execute(
                    select(sealed_templates).where(sealed_templates.c.template_id == template_id)
                )
            ).all()
            erased = [
                {"digest": bytes(b.digest).hex(), "lock": b.lock, "epoch": b.epoch} for b in bundles
            ]
            await connection.execute(
                delete(sealed_templates).where(sealed_templates.c.template_id == template_id)
            )
            await connection.execute(
                insert(biometric_withdrawals).values(
                    consent=digest,
                    template_id=template_id,
                    withdrawn_at=consent.withdrawn_at,
                    record=data,
                    bundles_erased=len(erased),
                    received_at=request.app[SETTINGS].now(),
                )
            )
    return web.json_response(
        {
            "consent": digest.hex(),
            "template_id": template_id.hex(),
            "withdrawn_at": consent.withdrawn_at if already is None else already.withdrawn_at,
            "already_withdrawn": already is not None,
            "erased": erased,
        }
    )


async def template_status(request: web.Request) -> web.Response:
    """What the cloud holds about one template id, to the tenant who consented."""
    tenant, _ = await signed_by_key(request, TENANT)
    template_id = path_bytes(request, "template_id", TEMPLATE_ID_LENGTH)
    async with request.app[ENGINE].connect() as connection:
        consents = (
            await connection.execute(
                select(biometric_consents)
                .where(
                    biometric_consents.c.template_id == template_id,
                    biometric_consents.c.tenant_kid == tenant.kid,
                )
                .order_by(biometric_consents.c.given_at)
            )
        ).all()
        withdrawals = {
            bytes(row.consent): row
            for row in await connection.execute(
                select(biometric_withdrawals).where(
                    biometric_withdrawals.c.template_id == template_id
                )
            )
        }
        held = (
            await connection.execute(
                select(sealed_templates.c.lock, sealed_templates.c.epoch).where(
                    sealed_templates.c.template_id == template_id
                )
            )
        ).all()
    if not consents:
        raise NotFound(
            f"no consent of yours names template {template_id.hex()}", reason="unknown_template"
        )
    return web.json_response(
        {
            "template_id": template_id.hex(),
            "withdrawn": bool(withdrawals),
            "consents": [
                {
                    "digest": bytes(row.digest).hex(),
                    "lock": row.lock,
                    "purposes": row.purposes.split(","),
                    "given_at": row.given_at,
                    "withdrawn_at": (
                        withdrawals[bytes(row.digest)].withdrawn_at
                        if bytes(row.digest) in withdrawals
                        else None
                    ),
                }
                for row in consents
            ],
            "bundles_held": [{"lock": lock, "epoch": epoch} for lock, epoch in held],
            "bundles_erased": sum(row.bundles_erased for row in withdrawals.values()),
        }
    )


def install_biometrics(app: web.Application) -> None:
    """Add the biometrics routes (they need the key ledger)."""
    router = app.router
    router.add_post("/v1/biometrics/consents", post_consent)
    router.add_post("/v1/biometrics/bundles", post_bundle)
    router.add_get("/v1/biometrics/locks/{lock}/bundles", lock_bundles)
    router.add_post("/v1/biometrics/withdrawals", post_withdrawal)
    router.add_get("/v1/biometrics/templates/{template_id}", template_status)
