"""The key ledger's HTTP API (SPEC K1-K6, R1-R3, S2). Reads are public; writes are authorised.

Who may write what (each write is all or nothing; a refusal names the field or the rule):

    POST /v1/ledger/keys         register: the new key signs the submission (possession);
                                 a tenant key needs nothing more (it is only a claim until a
                                 station's identity check binds it), a landlord, lock, hub,
                                 witness or station key must also come in a request signed by
                                 an enrolled hub of the building the entry names (the property
                                 manager vouches for the name in their building)
    POST /v1/ledger/rotations    the entry carries the old key's signature; the new key
                                 signs the submission
    POST /v1/ledger/revocations  signed by the revoked key itself, or a request signed by
                                 an enrolled hub of the key's building (the property manager's
                                 admin action)
    POST /v1/ledger/records      listing / installation / identity-check records: they are
                                 signed inside; one that does not verify against the ledger
                                 is 400 not_authentic

    GET  /v1/ledger/checkpoint               the latest cosigned checkpoint (signed note)
    GET  /v1/ledger/log-key                  origin and public key of the log
    GET  /v1/ledger/keys/{kid hex}           entries of a key + inclusion proofs
    GET  /v1/ledger/owners/{hash hex}        entries of the keys an identity check bound to a
                                             tenant lookup hash
    GET  /v1/ledger/buildings/{building}/listings/{flat}   the published listing of a flat
    POST /v1/ledger/listings/verify          is this listing authentic? (anyone)
    GET  /v1/ledger/consistency?from=&to=    consistency proof between two sizes
    GET  /v1/ledger/entries?start=&end=      entries for mirrors (at most MAX_ENTRIES)
    POST /v1/ledger/login/challenge {"kid"}, /v1/ledger/login   login with a ledger key (K5):
                                             a challenge any replica issued works once at any

Scope refusals (SPEC S2) are 403 wrong_building or not_listing_owner, 409 subject_taken or
identity_taken, and write nothing. Proofs are against the published (cosigned) checkpoint
returned beside them.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, Final

from aiohttp import web

from buildinghub.credentials.errors import BadSignature
from buildinghub.credentials.keys import KID_LENGTH, PublicKey
from buildinghub.keylog.entries import (
    Entry,
    KeyRegistration,
    KeyRevocation,
    KeyRotation,
    RecordKind,
    Role,
    SignedRecord,
    decode_entry,
)
from buildinghub.keylog.errors import (
    IdentityTaken,
    KeylogError,
    NotListingOwner,
    SubjectTaken,
    UnknownKey,
    WrongBuilding,
)
from buildinghub.keylog.key_record import KeyRecord
from buildinghub.keylog.log import ProvenEntry
from buildinghub.keylog.records import (
    open_listing,
    verify_identity_check,
    verify_installation_record,
    verify_listing,
)
from buildinghub.keylog.submission import Action, submission_message
from buildinghub.telemetry.request_signing import HUB_HEADER

from .app_context import ENGINE, SETTINGS, signed_by_hub
from .errors import Forbidden, Malformed, NotFound, RequestRefused, Unauthorized
from .json_body import b64, json_object, path_text, query_int
from .ledger import Ledger, LedgerSettings
from .logins import log_in

LEDGER: Final = web.AppKey("ledger", Ledger)
# The routes that answer from the ledger's key state (its own, the people's APIs on it).
LEDGER_ROUTES: Final = web.AppKey("ledger_routes", frozenset[web.AbstractResource])
MAX_ENTRIES: Final = 1000
_HUB_VOUCHED_ROLES: Final = frozenset(
    {Role.LANDLORD, Role.LOCK, Role.HUB, Role.WITNESS, Role.STATION}
)
_VERIFIERS: Final = {
    RecordKind.LISTING: verify_listing,
    RecordKind.INSTALLATION: verify_installation_record,
    RecordKind.IDENTITY: verify_identity_check,
}

# Refusals that are about who may do what (SPEC S2), not about the entry's form.
_SCOPE_STATUS: Final[dict[type[KeylogError], int]] = {
    WrongBuilding: 403,
    NotListingOwner: 403,
    SubjectTaken: 409,
    IdentityTaken: 409,
}

type Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class LedgerRefused(RequestRefused):
    """The ledger refused the entry, the record or the login; ``code`` is the keylog reason."""

    def __init__(self, err: KeylogError, status: int = 400) -> None:
        """Carry the library's reason and message."""
        super().__init__(str(err))
        self.code = err.reason
        self.http_status = status


@web.middleware
async def _ledger_refusals(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        if request.match_info.route.resource in request.app[LEDGER_ROUTES]:
            # Other replicas may have appended since: answer from the ledger as stored.
            await request.app[LEDGER].refresh()
        return await handler(request)
    except LedgerRefused as err:
        return web.json_response({"error": err.code, "message": str(err)}, status=err.http_status)


def _entry(data: dict[str, Any]) -> tuple[bytes, Entry]:
    raw = b64(data.get("entry"), "entry")
    try:
        return raw, decode_entry(raw)
    except KeylogError as err:
        raise LedgerRefused(err) from None


def _possession(
    data: dict[str, Any], raw: bytes, action: Action, record: KeyRecord | None, key: PublicKey
) -> None:
    signature = b64(data.get("signature"), "signature")
    try:
        key.verify(signature, submission_message(action, raw))
    except BadSignature:
        owner = "the key" if record is None else f"key {record.kid.hex()}"
        raise Unauthorized(f"signature: not {owner}'s signature of this {action.value}") from None


async def _append(request: web.Request, entry: Entry) -> web.Response:
    ledger = request.app[LEDGER]
    try:
        index = await ledger.append(entry, request.app[SETTINGS].now())
    except KeylogError as err:
        raise LedgerRefused(err, _SCOPE_STATUS.get(type(err), 400)) from None
    return web.json_response(
        {"index": index, "checkpoint": ledger.published.note.encode().decode()}
    )


def _hub_of(building: str, hub_building: str, what: str) -> None:
    if building != hub_building:
        raise Forbidden(
            f"this hub is enrolled for {hub_building!r}; the {what} is for {building!r}: a hub "
            f"vouches for, rotates and revokes only its own building's keys",
            reason="wrong_building",
        )


async def register_key(request: web.Request) -> web.Response:
    """Register a new key (see the module docstring for who may)."""
    hub_building = None
    if HUB_HEADER in request.headers:
        hub, body = await signed_by_hub(request)
        hub_building = hub.building
    else:
        body = await request.read()
    data = json_object(body)
    raw, entry = _entry(data)
    if not isinstance(entry, KeyRegistration):
        raise Malformed("entry: this endpoint takes a register entry")
    _possession(data, raw, Action.REGISTER, None, entry.key)
    if entry.role in _HUB_VOUCHED_ROLES:
        if hub_building is None:
            raise Forbidden(
                f"a {entry.role.value} key is registered by an enrolled hub (a signed request): "
                f"the property manager vouches for its name {entry.subject!r}"
            )
        _hub_of(entry.building, hub_building, "registration")
    return await _append(request, entry)


async def rotate_key(request: web.Request) -> web.Response:
    """Replace a key: signed by the old key (in the entry) and the new key (submission)."""
    data = json_object(await request.read())
    raw, entry = _entry(data)
    if not isinstance(entry, KeyRotation):
        raise Malformed("entry: this endpoint takes a rotate entry")
    _possession(data, raw, Action.ROTATE, None, entry.key)
    return await _append(request, entry)


async def revoke_key(request: web.Request) -> web.Response:
    """Revoke a key: signed by that key, or a request signed by an enrolled hub."""
    if HUB_HEADER in request.headers:
        hub, body = await signed_by_hub(request)
        data = json_object(body)
        _, entry = _entry(data)
        if isinstance(entry, KeyRevocation):
            _hub_of(entry.building, hub.building, "revocation")
            record = request.app[LEDGER].log.state.key(entry.kid)
            if record is not None:
                _hub_of(record.building, hub.building, "revoked key")
    else:
        data = json_object(await request.read())
        raw, entry = _entry(data)
        if isinstance(entry, KeyRevocation):
            record = request.app[LEDGER].log.state.key(entry.kid)
            if record is None:
                raise LedgerRefused(_unknown(entry.kid), 404)
            _possession(data, raw, Action.REVOKE, record, record.key)
    if not isinstance(entry, KeyRevocation):
        raise Malformed("entry: this endpoint takes a revoke entry")
    return await _append(request, entry)


def _unknown(kid: bytes) -> KeylogError:
    return UnknownKey(f"the ledger has no key {kid.hex()}")


async def publish_record(request: web.Request) -> web.Response:
    """Publish a signed listing, installation or identity-check record, if it verifies."""
    data = json_object(await request.read())
    _, entry = _entry(data)
    if not isinstance(entry, SignedRecord):
        raise Malformed("entry: this endpoint takes a listing, installation or identity entry")
    ledger = request.app[LEDGER]
    try:
        _VERIFIERS[entry.kind](entry.record, ledger.log.state)
    except KeylogError as err:
        raise LedgerRefused(err) from None
    return await _append(request, entry)


async def verify_listing_record(request: web.Request) -> web.Response:
    """Anyone checks a listing against the landlord keys in the ledger (SPEC R2)."""
    data = json_object(await request.read())
    record = b64(data.get("record"), "record")
    ledger = request.app[LEDGER]
    try:
        listing, signer = open_listing(record, ledger.log.state)
    except KeylogError as err:
        raise LedgerRefused(err) from None
    published = ledger.log.state.listing(signer.building, listing.flat)
    return web.json_response(
        {
            "authentic": True,
            "listing_id": listing.listing_id,
            "building": signer.building,
            "flat": listing.flat,
            "landlord": listing.landlord,
            "landlord_kid": signer.kid.hex(),
            "published_entry": None if published is None else published.index,
            "matches_published": published is not None
            and (published.record, published.kid) == (listing, signer.kid),
        }
    )


async def checkpoint(request: web.Request) -> web.Response:
    """The latest cosigned checkpoint, as a signed note."""
    note = request.app[LEDGER].published.note
    return web.Response(text=note.encode().decode(), content_type="text/plain")


async def log_key(request: web.Request) -> web.Response:
    """The log's origin and public key (what hubs and witnesses are configured with)."""
    verifier = request.app[SETTINGS].ledger
    assert verifier is not None
    key = verifier.signer.verifier
    return web.json_response(
        {"origin": key.name, "public_key": base64.b64encode(key.key.to_bytes()).decode()}
    )


def _proven(request: web.Request, indexes: Sequence[int]) -> web.Response:
    ledger = request.app[LEDGER]
    return web.json_response(
        {
            "checkpoint": ledger.published.note.encode().decode(),
            "entries": [_proven_json(item) for item in ledger.prove(indexes)],
        }
    )


def _proven_json(item: ProvenEntry) -> dict[str, Any]:
    return {
        "index": item.index,
        "entry": base64.b64encode(item.data).decode(),
        "tree_size": item.tree_size,
        "proof": [base64.b64encode(h).decode() for h in item.proof],
    }


def _hex(request: web.Request, name: str, length: int) -> bytes:
    value = request.match_info[name]
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        raise Malformed(f"{name} is hexadecimal") from None
    if len(raw) != length:
        raise Malformed(f"{name} is {length} bytes ({2 * length} hex digits)")
    return raw


async def lookup_key(request: web.Request) -> web.Response:
    """Every entry of a key (registered, rotated, revoked) with inclusion proofs."""
    state = request.app[LEDGER].log.state
    kid = _hex(request, "kid", 16)
    if state.key(kid) is None:
        raise LedgerRefused(_unknown(kid), 404)
    return _proven(request, state.entries_of(kid))


async def lookup_owner(request: web.Request) -> web.Response:
    """The entries of every key of a tenant's identity lookup hash (SPEC K2)."""
    state = request.app[LEDGER].log.state
    owner = _hex(request, "owner", 32)
    indexes = sorted(
        {index for record in state.keys_of_owner(owner) for index in state.entries_of(record.kid)}
    )
    return _proven(request, indexes)


async def lookup_listing(request: web.Request) -> web.Response:
    """The published listing of a building's flat or bay, with its proof."""
    building, flat = path_text(request, "building"), path_text(request, "flat")
    listing = request.app[LEDGER].log.state.listing(building, flat)
    if listing is None:
        raise NotFound(f"no listing of {flat!r} is published in {building!r}")
    return _proven(request, [listing.index])


def _size(request: web.Request, name: str, default: int | None = None) -> int:
    if name not in request.query and default is not None:
        return default
    return query_int(request, name)


async def consistency(request: web.Request) -> web.Response:
    """The consistency proof between sizes ``from`` and ``to`` (default: published)."""
    ledger = request.app[LEDGER]
    first = _size(request, "from")
    second = _size(request, "to", ledger.published.size)
    if not 0 < first <= second <= ledger.log.size:
        raise Malformed(f"need 0 < from <= to <= {ledger.log.size}, got {first} and {second}")
    proof = ledger.log.consistency_proof(first, second)
    return web.json_response({"proof": [base64.b64encode(h).decode() for h in proof]})


async def entries(request: web.Request) -> web.Response:
    """Entries [start, end) for mirrors, at most MAX_ENTRIES per call."""
    ledger = request.app[LEDGER]
    start = _size(request, "start")
    end = _size(request, "end", ledger.published.size)
    if not start <= end <= ledger.log.size or end - start > MAX_ENTRIES:
        raise Malformed(
            f"need start <= end <= {ledger.log.size} and at most {MAX_ENTRIES} entries, "
            f"got {start} to {end}"
        )
    return web.json_response(
        {"entries": [base64.b64encode(item).decode() for item in ledger.log.entries(start, end)]}
    )


def _kid(data: dict[str, Any]) -> bytes:
    kid = data.get("kid")
    try:
        value = bytes.fromhex(kid) if isinstance(kid, str) else b""
    except ValueError:
        value = b""
    if len(value) != KID_LENGTH:
        raise Malformed(f"kid is the key id: {2 * KID_LENGTH} hex digits")
    return value


async def login_challenge(request: web.Request) -> web.Response:
    """A fresh login challenge for one key, good once (only for a key that may log in)."""
    kid = _kid(json_object(await request.read()))
    try:
        challenge = request.app[LEDGER].login.challenge(kid)
    except KeylogError as err:
        raise LedgerRefused(err, 401) from None
    return web.json_response({"challenge": base64.b64encode(challenge).decode()})


async def login(request: web.Request) -> web.Response:
    """Log in with a key the ledger shows registered and not revoked (SPEC K5)."""
    data = json_object(await request.read())
    kid_bytes = _kid(data)
    challenge = b64(data.get("challenge"), "challenge")
    signature = b64(data.get("signature"), "signature")
    try:
        record = await log_in(
            request.app[ENGINE],
            request.app[LEDGER].login,
            kid=kid_bytes,
            challenge=challenge,
            signature=signature,
            now=request.app[SETTINGS].now(),
        )
    except KeylogError as err:
        raise LedgerRefused(err, 401) from None
    return web.json_response(
        {"kid": record.kid.hex(), "role": record.role.value, "subject": record.subject}
    )


class _SettingsClock:
    def __init__(self, app: web.Application) -> None:
        self._app = app

    def now(self) -> int:
        return self._app[SETTINGS].now()


def install_ledger(app: web.Application, settings: LedgerSettings) -> None:
    """Add the ledger's routes to the connector, and its start and stop."""
    ledger = Ledger(app[ENGINE], settings.signer, settings.witness_urls, _SettingsClock(app))
    app[LEDGER] = ledger
    app.middlewares.append(_ledger_refusals)

    async def running(_: web.Application) -> AsyncIterator[None]:
        await ledger.start()
        try:
            yield
        finally:
            await ledger.close()

    app.cleanup_ctx.append(running)
    router = app.router
    router.add_get("/v1/ledger/checkpoint", checkpoint)
    router.add_get("/v1/ledger/log-key", log_key)
    router.add_post("/v1/ledger/keys", register_key)
    router.add_get("/v1/ledger/keys/{kid}", lookup_key)
    router.add_post("/v1/ledger/rotations", rotate_key)
    router.add_post("/v1/ledger/revocations", revoke_key)
    router.add_post("/v1/ledger/records", publish_record)
    router.add_get("/v1/ledger/owners/{owner}", lookup_owner)
    router.add_get("/v1/ledger/buildings/{building}/listings/{flat}", lookup_listing)
    router.add_post("/v1/ledger/listings/verify", verify_listing_record)
    router.add_get("/v1/ledger/consistency", consistency)
    router.add_get("/v1/ledger/entries", entries)
    router.add_post("/v1/ledger/login/challenge", login_challenge)
    router.add_post("/v1/ledger/login", login)
