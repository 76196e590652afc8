"""Who is asking, for the people's endpoints: keys looked up in the key ledger.

A landlord's or a tenant's record is signed inside (the library verifies it); the key that
signed must be in the ledger, active, and of the right role, and a tenant key bound to its
identity by an authorised station's identity check (SPEC R1, S2). Reads are requests signed
with such a key (keylog.key_request). Every refusal names the key and why.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from aiohttp import web

from buildinghub.credentials.errors import BadSignature, CredentialError
from buildinghub.keylog.entries import Role
from buildinghub.keylog.errors import IdentityNotChecked, KeylogError
from buildinghub.keylog.key_record import KeyRecord
from buildinghub.keylog.key_request import read_key_headers, verify_key_request
from buildinghub.telemetry.errors import TelemetryError

from .app_context import SETTINGS
from .errors import RequestRefused, Unauthorized
from .json_body import b64, json_object
from .ledger_api import LEDGER

LANDLORD = frozenset({Role.LANDLORD})
TENANT = frozenset({Role.TENANT})


def ledger_key(app: web.Application, kid: bytes, roles: frozenset[Role]) -> KeyRecord:
    """The active ledger key with this id and one of roles, vouched for; 403 unknown_key,
    key_not_active or identity_not_checked."""
    try:
        record = app[LEDGER].log.state.active_key(kid, roles)
    except KeylogError as err:
        raise RequestRefused(str(err), reason=err.reason, status=403) from None
    if not record.vouched:
        raise RequestRefused(
            f"tenant key {kid.hex()} is not bound to an identity yet: an enrolling station of "
            f"{record.building!r} checks the tenant's document and publishes the identity check",
            reason=IdentityNotChecked.reason,
            status=403,
        )
    return record


@contextmanager
def library_refusals(status: int | None = None) -> Iterator[None]:
    """The library's refusals as answers with their reason: ``status``, or 401 for a bad
    signature and 400 otherwise."""
    try:
        yield
    except CredentialError as err:
        code = status or (401 if isinstance(err, BadSignature) else 400)
        raise RequestRefused(str(err), reason=err.reason, status=code) from None


async def signed_by_key(request: web.Request, roles: frozenset[Role]) -> tuple[KeyRecord, bytes]:
    """The ledger key that signed this request, and the body it signed."""
    body = await request.read()
    try:
        kid, signed = read_key_headers(request.headers)
    except TelemetryError as err:
        raise Unauthorized(str(err)) from None
    record = ledger_key(request.app, kid, roles)
    try:
        verify_key_request(
            signed,
            record.key,
            method=request.method,
            path=request.path,
            body=body,
            now=request.app[SETTINGS].now(),
        )
    except TelemetryError as err:
        raise Unauthorized(f"the request is not signed by key {kid.hex()}: {err}") from None
    return record, body


def record_field(body: bytes, name: str) -> bytes:
    """One base64 field of a JSON body: a signed record, as bytes."""
    return b64(json_object(body).get(name), name)
