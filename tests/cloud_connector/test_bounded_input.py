"""SPEC S6 through the cloud's API and the witness's: every input is bounded, never a 5xx.

The attack of issue 13: deeply nested JSON, or an integer of more than 4,300 digits, got a 500
from every JSON endpoint of the cloud and from the witness. Now each gets a specific 4xx and
nothing is written. A Hypothesis property drives EVERY route of both applications (enumerated
from their routers, so a new endpoint is driven too) with hostile requests, signed by the
parties the endpoint trusts or by nobody, and shows no 5xx and no write by a refusal.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import os
import re
import threading
import time
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
import cbor2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from buildinghub.biometrics.consent import ConsentRecord, Purpose, sign_consent
from buildinghub.credentials import SigningKey
from buildinghub.credentials.clock import MonotonicClock
from buildinghub.keylog.entries import Role
from buildinghub.keylog.key_request import sign_key_request
from buildinghub.keylog.signers import LogNoteSigner, WitnessNoteSigner
from buildinghub.keylog.witness import Witness
from buildinghub.telemetry.request_signing import sign_request
from cloud_connector.app import PAYMENT_SIGNATURE_HEADER, make_app
from cloud_connector.json_body import MAX_BODY
from cloud_connector.people import Role as PersonRole
from cloud_connector.people import add_person
from cloud_connector.schema import metadata
from cloud_connector.witness_service import make_witness_app
from tests.cloud_connector.people import NOW, Person, person, register
from tests.cloud_site import BUILDING
from tests.ledger_site import LedgerSite, ledger_site

SECRET = b"provider-shared-secret"
EXAMPLES_PER_ROUTE = int(os.environ.get("HOSTILE_EXAMPLES_PER_ROUTE", "25"))
_PARAMETER = re.compile(r"\{(\w+)\}")


async def table_counts(engine: AsyncEngine) -> tuple[int, ...]:
    """Rows in every table of the connector, in one query."""
    counts = [
        select(func.count()).select_from(table).scalar_subquery()
        for table in metadata.sorted_tables
    ]
    async with engine.connect() as connection:
        return tuple((await connection.execute(select(*counts))).one())


# -- hostile bodies ------------------------------------------------------------------------------


def deep(depth: int, opener: str = "[") -> bytes:
    closer = {"[": "]", "{": "}"}[opener]
    if opener == "{":
        return ('{"a":' * depth + "1" + "}" * depth).encode()
    return (opener * depth + closer * depth).encode()


HOSTILE_TEXTS = st.one_of(
    st.integers(9, 200_000).map(deep),
    st.integers(9, 50_000).map(lambda depth: deep(depth, "{")),
    st.integers(4_301, 20_000).map(lambda digits: b'{"entry": ' + b"7" * digits + b"}"),
    st.integers(20, 4_300).map(lambda digits: b'{"old_size": ' + b"9" * digits + b"}"),
    st.integers(10_001, 60_000).map(lambda n: b'{"packets": [' + b",".join([b"1"] * n) + b"]}"),
    st.sampled_from(
        [
            b'{"amount_cents": NaN}',
            b'{"amount_cents": -Infinity}',
            b'{"amount_cents": 1e999999}',
            b'{"kid": "\\u0000"}',
            b"\xff\xfe\x00not utf-8",
            b'"just a string"',
            b"[]",
            b"null",
            b"",
            b'{"token": ' + b'"' + b"\\" * 5_001,  # an unterminated string of escapes
            b'"' + b'\\"' * 40_000,
        ]
    ),
    st.binary(max_size=2_000),
)

FIELD_NAMES = [
    "token", "public_key", "meter_id", "dwelling", "quantity", "packets", "amount_cents",
    "building", "payment_id", "entry", "signature", "record", "kid", "challenge", "consent",
    "bundle", "withdrawal", "contract", "payment", "inspection", "request", "sealed",
    "old_size", "proof", "checkpoint",
]  # fmt: skip


@dataclass
class Parties:
    """Who the endpoints trust, and records signed by them to reach deeper than the parser."""

    hub: SigningKey
    tenant: Person
    landlord: Person
    resident_token: str
    manager_token: str
    records: list[bytes] = field(default_factory=list)
    kids: list[str] = field(default_factory=list)


def values(parties: Parties) -> st.SearchStrategy[object]:
    scalars = st.one_of(
        st.integers(-(2**70), 2**70),
        st.floats(allow_nan=False),
        st.text(max_size=80),
        st.text(alphabet=st.characters(max_codepoint=0x1F), max_size=8),
        st.binary(max_size=200).map(lambda data: base64.b64encode(data).decode()),
        st.sampled_from(parties.records).map(lambda data: base64.b64encode(data).decode()),
        st.sampled_from(parties.kids),
        st.sampled_from(["electricity", "water", "gas", "1A", BUILDING, "elm-1a-door"]),
        st.none(),
        st.booleans(),
    )
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
        max_leaves=12,
    )


def json_bodies(parties: Parties) -> st.SearchStrategy[bytes]:
    objects = st.dictionaries(
        st.sampled_from(FIELD_NAMES) | st.text(max_size=12), values(parties), max_size=6
    )
    return st.one_of(
        HOSTILE_TEXTS,
        objects.map(lambda data: json.dumps(data).encode()),
        values(parties).map(lambda data: json.dumps(data).encode()),
    )


def path_values(parties: Parties) -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(min_size=1, max_size=80),
        st.text(alphabet=st.characters(max_codepoint=0x1F), min_size=1, max_size=4),
        st.sampled_from([*parties.kids, "00" * 32, "zz", "1A", "elm-1a-door", BUILDING]),
        st.integers(0, 2**64).map(str),
        st.text(alphabet="0123456789abcdef", min_size=1, max_size=80),
    )


AUTHORITIES = ["none", "hub", "tenant", "landlord", "resident", "manager", "payment"]
QUERY_NAMES = ["from", "to", "start", "end"]
QUERY_VALUES = st.one_of(
    st.integers(-5, 2**70).map(str),
    st.integers(20, 6_000).map(lambda digits: "9" * digits),
    st.text(max_size=12),
)


# -- a connector and its witnesses in a thread of their own --------------------------------------


class ThreadedCloud:
    """The connector, its ledger and witnesses, served by an event loop in its own thread, so a
    synchronous Hypothesis test can drive it (each call waits for its answer)."""

    def __init__(self, database_url: str, directory: Path) -> None:
        self._directory = directory
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="hostile-cloud")
        self._thread.start()
        self._stack = contextlib.AsyncExitStack()
        try:
            self.site: LedgerSite = self.call(
                self._stack.enter_async_context(
                    ledger_site(database_url, directory, payment_secret=SECRET)
                )
            )
            self.parties: Parties = self.call(self._parties())
        except BaseException:
            self.close()
            raise

    def call[T](self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(120)

    def close(self) -> None:
        try:
            self.call(self._stack.aclose())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(30)
            self._loop.close()

    @property
    def engine(self) -> AsyncEngine:
        return self.site.site.cloud.engine

    async def _parties(self) -> Parties:
        site = self.site
        tenant = await register(site, person("Ada Tenant", "AB123456"), Role.TENANT)
        landlord = await register(site, person("landlord.elm-court.example", "L1"), Role.LANDLORD)
        engine = self.engine
        parties = Parties(
            hub=site.site.hub_key,
            tenant=tenant,
            landlord=landlord,
            resident_token=await add_person(engine, "ana", PersonRole.RESIDENT, BUILDING, "1A"),
            manager_token=await add_person(engine, "pm", PersonRole.MANAGER, BUILDING, None),
        )
        stranger = SigningKey.generate()
        parties.records = [
            sign_consent(_consent("Ada Tenant"), tenant.key),
            sign_consent(_consent("Ada\x00Tenant"), tenant.key),
            sign_consent(_consent("Ada Tenant", lock="elm-\x00-door"), tenant.key),
            # A registration naming its subject with a NUL (no encoder of ours writes one).
            cbor2.dumps(
                {"type": "register", "role": "tenant", "key": stranger.public_key.to_bytes(),
                 "owner": bytes(32), "subject": "t\x00", "building": BUILDING, "at": NOW},
                canonical=True,
            ),
            stranger.public_key.to_bytes(),
        ]  # fmt: skip
        parties.kids = [
            tenant.key.public_key.kid.hex(),
            landlord.key.public_key.kid.hex(),
            parties.hub.public_key.kid.hex(),
        ]
        return parties

    def routes(self) -> list[tuple[str, str, str]]:
        """(application, method, path template) of every route of the connector (as served,
        with the ledger) and of the witness."""
        cloud = make_app(self.engine, self.site.site.cloud.settings)
        log = LogNoteSigner("hostile.example/log", SigningKey.generate())
        witness = make_witness_app(
            Witness(
                WitnessNoteSigner("w.example", SigningKey.generate()),
                log.verifier,
                self._directory / "enumerated-witness.json",
                MonotonicClock(),
            )
        )
        found = []
        for name, app in (("cloud", cloud), ("witness", witness)):
            for resource in app.router.resources():
                for route in resource:
                    found.append((name, route.method, resource.canonical))
        return sorted(set(found))

    def base(self, application: str) -> str:
        return self.site.url if application == "cloud" else self.site.witnesses[0].url


def _consent(tenant: str, lock: str = "elm-1a-door") -> ConsentRecord:
    return ConsentRecord(
        tenant=tenant,
        purposes=frozenset(Purpose),
        lock=lock,
        template_id=os.urandom(16),
        given_at=NOW,
    )


@dataclass(frozen=True)
class HostileRequest:
    path: str
    query: str
    body: bytes
    auth: str


def hostile_requests(template: str, parties: Parties) -> st.SearchStrategy[HostileRequest]:
    names = _PARAMETER.findall(template)

    @st.composite
    def build(draw: st.DrawFn) -> HostileRequest:
        path = template
        for name in names:
            path = path.replace("{" + name + "}", draw(path_values(parties), label=name), 1)
        query = draw(st.dictionaries(st.sampled_from(QUERY_NAMES), QUERY_VALUES, max_size=2))
        return HostileRequest(
            path=path,
            query="&".join(f"{k}={quote(v)}" for k, v in query.items()),
            body=draw(json_bodies(parties)),
            auth=draw(st.sampled_from(AUTHORITIES)),
        )

    return build()


def _headers(request: HostileRequest, method: str, parties: Parties) -> dict[str, str]:
    now = int(time.time())
    match request.auth:
        case "hub":
            return sign_request(parties.hub, method, request.path, request.body, now)
        case "tenant" | "landlord":
            who = parties.tenant if request.auth == "tenant" else parties.landlord
            return sign_key_request(who.key, method, request.path, request.body, now)
        case "resident" | "manager":
            token = parties.resident_token if request.auth == "resident" else parties.manager_token
            return {"Authorization": f"Bearer {token}"}
        case "payment":
            digest = hmac.new(SECRET, request.body, hashlib.sha256).hexdigest()
            return {PAYMENT_SIGNATURE_HEADER: digest}
    return {}


async def _send(
    session: aiohttp.ClientSession, base: str, method: str, request: HostileRequest,
    parties: Parties,
) -> tuple[int, str]:  # fmt: skip
    url = base + quote(request.path, safe="/") + (f"?{request.query}" if request.query else "")
    try:
        async with session.request(
            method, url, data=request.body, headers=_headers(request, method, parties)
        ) as response:
            return response.status, (await response.read()).decode(errors="replace")[:300]
    except aiohttp.ClientResponseError as err:
        # The server refused the request line itself (longer than aiohttp reads): its status.
        return err.status, err.message[:300]


@pytest.fixture
def hostile_cloud(database_url: str, tmp_path: Path) -> Iterator[ThreadedCloud]:
    cloud = ThreadedCloud(database_url, tmp_path)
    try:
        yield cloud
    finally:
        cloud.close()


def test_no_route_answers_hostile_requests_with_a_5xx_and_no_refusal_writes(
    hostile_cloud: ThreadedCloud, capsys: pytest.CaptureFixture[str]
) -> None:
    cloud = hostile_cloud
    routes = cloud.routes()
    # Every route of both applications, the people's and the ledger's included.
    assert {("cloud", "POST", "/v1/biometrics/withdrawals"), ("witness", "POST",
            "/add-checkpoint"), ("cloud", "GET", "/v1/ledger/entries")} <= set(routes)  # fmt: skip
    started = time.perf_counter()
    sent = [_probe(cloud, *route) for route in routes]
    with capsys.disabled():
        print(
            f"\nhostile requests: {sum(sent)} over {len(routes)} routes in "
            f"{time.perf_counter() - started:.1f} s"
        )


def _probe(cloud: ThreadedCloud, application: str, method: str, template: str) -> int:
    """Drive one route with hostile requests; how many were sent."""
    sent = 0

    @settings(
        max_examples=EXAMPLES_PER_ROUTE,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(request=hostile_requests(template, cloud.parties))
    def probe(request: HostileRequest) -> None:
        nonlocal sent
        sent += 1
        before = cloud.call(table_counts(cloud.engine))
        base = cloud.base(application)
        status, text = cloud.call(
            _send(cloud.site.site.session, base, method, request, cloud.parties)
        )
        assert status < 500, f"{method} {template}: {status} {text}"
        if status >= 400:
            assert cloud.call(table_counts(cloud.engine)) == before, f"{method} {template}"

    probe()
    return sent


# -- the specific refusals -------------------------------------------------------------------------


@pytest.fixture
async def ledger_with_payments(database_url: str, tmp_path: Path) -> Any:
    async with ledger_site(database_url, tmp_path, payment_secret=SECRET) as site:
        yield site


async def _post(site: LedgerSite, url: str, body: bytes) -> tuple[int, dict[str, Any]]:
    async with site.site.session.post(url, data=body) as response:
        return response.status, await response.json()


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        pytest.param(deep(100_000), 400, "too_deep", id="100000 nested arrays"),
        pytest.param(deep(9, "{"), 400, "too_deep", id="9 nested objects"),
        pytest.param(
            b'{"entry": ' + b"7" * 5_000 + b"}", 400, "number_too_large", id="5000 digits"
        ),
        pytest.param(
            b'{"entry": 1e99999999999999999999999999999999}',
            400,
            "number_too_large",
            id="long exponent",
        ),
        pytest.param(b'{"entry": NaN}', 400, "malformed", id="NaN"),
        pytest.param(
            b'{"entry": [' + b",".join([b"1"] * 20_000) + b"]}",
            400,
            "too_many_items",
            id="20000 items",
        ),
        pytest.param(b"{" + b" " * (MAX_BODY + 1) + b"}", 413, "too_large", id="1 MiB + 2"),
    ],
)
async def test_every_json_endpoint_refuses_an_unbounded_body_specifically(
    ledger_with_payments: LedgerSite, body: bytes, status: int, reason: str
) -> None:
    site = ledger_with_payments
    before = await table_counts(site.site.cloud.engine)
    # The endpoints that read the body before anything else (the others authenticate first
    # and answer 401, as the property test shows for all of them).
    for path in ("/v1/hubs", "/v1/ledger/keys", "/v1/ledger/records", "/v1/ledger/login",
                 "/v1/ledger/login/challenge", "/v1/biometrics/consents",
                 "/v1/tenancy/contracts", "/v1/credit/requests"):  # fmt: skip
        answer = await _post(site, site.url + path, body)
        assert answer[0] == status, (path, answer)
        assert answer[1]["error"] == reason, (path, answer)
    assert await table_counts(site.site.cloud.engine) == before


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        pytest.param(deep(10_000), "too_deep", id="10000 nested arrays"),
        pytest.param(
            b'{"old_size": ' + b"9" * 5_000 + b', "proof": [], "checkpoint": ""}',
            "number_too_large",
            id="5000 digits",
        ),
        pytest.param(deep(100_000), "too_large", id="200 KB"),
        pytest.param(
            b'{"old_size": ' + b"9" * 25 + b', "proof": [], "checkpoint": ""}',
            "number_too_large",
            id="25 digits",
        ),
    ],
)
async def test_the_witness_refuses_an_unbounded_body_specifically(
    ledger_with_payments: LedgerSite, body: bytes, reason: str
) -> None:
    site = ledger_with_payments
    status, answer = await _post(site, site.witnesses[0].url + "/add-checkpoint", body)

    assert (status, answer["error"]) == (413 if reason == "too_large" else 400, reason)
    async with site.site.session.get(site.witnesses[0].url + "/evidence") as response:
        assert (await response.json())["frozen"] is False


async def test_a_control_character_in_a_name_is_refused_not_stored(
    ledger_with_payments: LedgerSite,
) -> None:
    site = ledger_with_payments
    tenant = await register(site, person("Ada Tenant", "AB123456"), Role.TENANT)
    before = await table_counts(site.site.cloud.engine)
    body = json.dumps(
        {"consent": base64.b64encode(sign_consent(_consent("Ada\x00"), tenant.key)).decode()}
    ).encode()

    status, answer = await _post(site, site.url + "/v1/biometrics/consents", body)

    assert (status, answer["error"]) == (400, "malformed_record")
    assert "printable" in answer["message"]
    assert await table_counts(site.site.cloud.engine) == before
