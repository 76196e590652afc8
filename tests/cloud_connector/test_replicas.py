"""Two connector replicas on one PostgreSQL, driven at once (SPEC C3): nothing lost, nothing
duplicated, the key ledger never forked.

Hubs ingest readings, tenants register keys and log in, payments arrive, all through a
round-robin proxy; the one-time things (an enrolment token, a login challenge, a payment) are
also sent to both replicas at the same moment, where exactly one may win. A hub's mirror of the
ledger follows the checkpoints through the proxy all along, from whichever replica answers.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import itertools
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from buildinghub.credentials import SigningKey
from buildinghub.credentials.clock import MonotonicClock
from buildinghub.keylog.checkpoint import open_checkpoint
from buildinghub.keylog.client import LedgerClient
from buildinghub.keylog.entries import KeyRegistration, Role
from buildinghub.keylog.identity import identity_lookup_hash
from buildinghub.keylog.login import sign_login
from buildinghub.keylog.mirror import LedgerMirror
from buildinghub.keylog.note import verified_signers
from buildinghub.keylog.proof import leaf_hash, verify_consistency
from buildinghub.keylog.tree import MerkleTree
from buildinghub.keylog.trusted_view import TrustedLogView
from buildinghub.telemetry.cloud_client import CloudClient, CloudRefused, IngestAnswer
from buildinghub.telemetry.reading import Quantity
from cloud_connector import accounts
from cloud_connector.app import PAYMENT_SIGNATURE_HEADER
from cloud_connector.database import close_engine, open_engine
from cloud_connector.hubs import create_enrolment
from cloud_connector.schema import hubs, ledger_checkpoints, ledger_entries, payments, readings
from tests.cloud_site import BUILDING, NOW
from tests.cloud_site import TestMeter as Meter

from .replicas import PAYMENT_SECRET, Replicas, replicas

HUBS = 4
METERS_PER_HUB = 2
BATCHES = 10
BATCH_SIZE = 50
TENANTS = 60
RACES = 5  # of each one-time kind
PAYMENTS = 10
OPENING_CENTS = 100_000
CENTS_PER_PAYMENT = 250
SALT = b"elm court pepper, 32 bytes long!"


@dataclass
class Tally:
    """Requests made per kind, and what the races gave."""

    requests: Counter[str] = field(default_factory=Counter)
    race_answers: Counter[tuple[str, int]] = field(default_factory=Counter)
    accepted_entries: list[int] = field(default_factory=list)
    mirror_syncs: int = 0


async def _post(
    session: aiohttp.ClientSession, url: str, body: bytes, headers: dict[str, str]
) -> tuple[int, dict[str, object]]:
    async with session.post(url, data=body, headers=headers) as response:
        return response.status, await response.json()


async def _race(
    session: aiohttp.ClientSession,
    urls: list[str],
    path: str,
    bodies: list[bytes],
    headers: list[dict[str, str]],
) -> list[tuple[int, dict[str, object]]]:
    """The same request path to every replica at the same moment."""
    return list(
        await asyncio.gather(
            *(
                _post(session, url + path, body, head)
                for url, body, head in zip(urls, bodies, headers, strict=True)
            )
        )
    )


async def _hub(
    cloud: Replicas, session: aiohttp.ClientSession, token: str, number: int, tally: Tally
) -> list[Meter]:
    """A hub enrols, registers its meters and sends its readings, all through the proxy; its
    last batch is also sent to both replicas at once (a retry that crossed the first try)."""
    hub_key = SigningKey.generate()
    client = CloudClient(session, cloud.proxy.url, hub_key)
    client.cloud_key = await client.fetch_cloud_key()
    await client.enrol(token)
    meters = [
        Meter(f"meter-{number}-{m}", f"{number}{'AB'[m]}", Quantity.ELECTRICITY)
        for m in range(METERS_PER_HUB)
    ]
    for meter in meters:
        await client.register_meter(
            meter.meter_id, meter.dwelling, meter.quantity, meter.key.public_key
        )
    tally.requests["enrol"] += 1
    tally.requests["meter"] += len(meters)
    sequence = 0
    for _ in range(BATCHES):
        batch = []
        for _ in range(BATCH_SIZE // METERS_PER_HUB):
            sequence += 1
            batch += [
                m.packet(sequence, 1000 + 7 * sequence, NOW + sequence).encoded for m in meters
            ]
        answer = await client.send_readings(batch)
        tally.requests["readings batch"] += 1
        assert not answer.refused
        assert _receipted(answer) == len(batch)
    retried = batch  # the very packets (a signature is never made twice the same)
    twins = [CloudClient(session, url, hub_key, cloud_key=client.cloud_key) for url in cloud.urls]
    answers = await asyncio.gather(*(twin.send_readings(retried) for twin in twins))
    tally.requests["readings batch raced"] += len(twins)
    assert all(_receipted(a) == len(retried) and not a.refused for a in answers)
    return meters


def _receipted(answer: IngestAnswer) -> int:
    """Readings the batch's one receipt covers, counted over the meters' erase commands."""
    return sum(len(command.entries) for command in answer.erase_commands)


async def _tenant(
    cloud: Replicas, session: aiohttp.ClientSession, number: int, tally: Tally
) -> None:
    """A tenant registers a key through the proxy, then logs in: the challenge from one
    replica, the answer to the other."""
    key = SigningKey.generate()
    owner = identity_lookup_hash(SALT, f"ID{number:05}")
    entry = KeyRegistration(Role.TENANT, key.public_key, owner, owner.hex(), NOW, building=BUILDING)
    index = await LedgerClient(session, cloud.proxy.url).register_tenant(entry, key)
    tally.requests["ledger registration"] += 1
    tally.accepted_entries.append(index)
    first, second = (LedgerClient(session, url) for url in cloud.urls[:: 1 if number % 2 else -1])
    challenge = await first.login_challenge(key.public_key)
    logged_in = await second.answer_login(key, cloud.signer.verifier.name, challenge)
    tally.requests["login"] += 1
    assert logged_in["kid"] == key.public_key.kid.hex()


async def _raced_login(
    cloud: Replicas, session: aiohttp.ClientSession, number: int, tally: Tally
) -> None:
    """One login answer sent to both replicas at once: one logs in, the other refuses."""
    key = SigningKey.generate()
    owner = identity_lookup_hash(SALT, f"RACE{number:04}")
    entry = KeyRegistration(Role.TENANT, key.public_key, owner, owner.hex(), NOW, building=BUILDING)
    tally.accepted_entries.append(
        await LedgerClient(session, cloud.proxy.url).register_tenant(entry, key)
    )
    tally.requests["ledger registration"] += 1
    challenge = await LedgerClient(session, cloud.urls[0]).login_challenge(key.public_key)
    body = json.dumps(
        {
            "kid": key.public_key.kid.hex(),
            "challenge": base64.b64encode(challenge).decode(),
            "signature": base64.b64encode(
                sign_login(key, cloud.signer.verifier.name, challenge)
            ).decode(),
        }
    ).encode()
    answers = await _race(session, cloud.urls, "/v1/ledger/login", [body, body], [{}, {}])
    tally.requests["login raced"] += len(answers)
    for status, data in answers:
        tally.race_answers[("login", status)] += 1
        if status != 200:
            assert (status, data["error"]) == (401, "login_refused")
            assert "already used" in str(data["message"])


async def _raced_enrolment(
    cloud: Replicas, session: aiohttp.ClientSession, token: str, tally: Tally
) -> None:
    """One enrolment token, two different hubs, one at each replica at the same moment."""
    attempts = []
    for url in cloud.urls:
        client = CloudClient(session, url, SigningKey.generate())
        attempts.append(client.enrol(token))
    results = await asyncio.gather(*attempts, return_exceptions=True)
    tally.requests["enrolment raced"] += len(results)
    for result in results:
        if isinstance(result, CloudRefused):
            tally.race_answers[("enrolment", result.status)] += 1
            assert (result.status, result.reason) == (409, "token_used")
        else:
            assert result == BUILDING
            tally.race_answers[("enrolment", 200)] += 1


def _payment(payment_id: str, dwelling: str) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(
        {
            "building": BUILDING,
            "dwelling": dwelling,
            "payment_id": payment_id,
            "amount_cents": CENTS_PER_PAYMENT,
        }
    ).encode()
    return body, {
        PAYMENT_SIGNATURE_HEADER: hmac.new(PAYMENT_SECRET, body, hashlib.sha256).hexdigest()
    }


async def _payments(cloud: Replicas, session: aiohttp.ClientSession, tally: Tally) -> None:
    """Payments through the proxy, and each raced one delivered to both replicas at once."""
    for n in range(PAYMENTS):
        body, headers = _payment(f"pay-{n}", "1A")
        status, data = await _post(session, cloud.proxy.url + "/v1/payments/webhook", body, headers)
        tally.requests["payment"] += 1
        assert (status, data) == (200, {"credited": True})
    for n in range(RACES):
        body, headers = _payment(f"race-{n}", "1A")
        answers = await _race(
            session, cloud.urls, "/v1/payments/webhook", [body, body], [headers, headers]
        )
        tally.requests["payment raced"] += len(answers)
        # A repeated delivery is answered 200 "not credited again", as one replica answers it.
        assert sorted(data["credited"] for _, data in answers) == [False, True]
        for status, data in answers:
            tally.race_answers[("payment", int(bool(data["credited"])))] += 1
            assert status == 200


async def _follow(
    cloud: Replicas,
    session: aiohttp.ClientSession,
    mirror: LedgerMirror,
    done: asyncio.Event,
    tally: Tally,
) -> None:
    """A hub's mirror syncs through the proxy while the others write: every checkpoint it is
    given, from either replica, must be consistent with the last it trusted."""
    client = LedgerClient(session, cloud.proxy.url)
    while not done.is_set():
        await client.sync(mirror)
        tally.mirror_syncs += 1
        await asyncio.sleep(0.05)
    await client.sync(mirror)


# Replicas share a database only on PostgreSQL (SQLite is served by one process).
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_two_replicas_behind_a_proxy_lose_duplicate_and_fork_nothing(
    database_url: str, tmp_path: Path
) -> None:
    started = time.monotonic()
    tally = Tally()
    async with replicas(database_url, tmp_path) as cloud, aiohttp.ClientSession() as session:
        engine = open_engine(database_url)
        try:
            tokens = [await create_enrolment(engine, BUILDING) for _ in range(HUBS + RACES)]
            for number in range(HUBS):
                for m in range(METERS_PER_HUB):
                    await accounts.open_account(
                        engine, BUILDING, f"{number}{'AB'[m]}", 0, OPENING_CENTS
                    )
            await accounts.set_tariff(engine, BUILDING, Quantity.ELECTRICITY, 1000)  # a cent per Wh
            view = TrustedLogView(
                cloud.signer.verifier,
                [w.key for w in cloud.witnesses],
                2,
                tmp_path / "view.json",
                MonotonicClock(),
            )
            mirror = LedgerMirror(view)
            done = asyncio.Event()
            follower = asyncio.create_task(_follow(cloud, session, mirror, done, tally))
            try:
                driven = await asyncio.gather(
                    *(_hub(cloud, session, tokens[n], n, tally) for n in range(HUBS)),
                    *(_tenant(cloud, session, n, tally) for n in range(TENANTS)),
                    *(_raced_login(cloud, session, n, tally) for n in range(RACES)),
                    *(
                        _raced_enrolment(cloud, session, tokens[HUBS + n], tally)
                        for n in range(RACES)
                    ),
                    _payments(cloud, session, tally),
                )
            finally:
                done.set()
                await follower
            hub_meters = [meters for meters in driven[:HUBS] if isinstance(meters, list)]
            counts, stored_balances = await _stored(engine)
            checkpoints = await _checkpoints(engine, cloud)
            entries = await _entries(engine)
            served = [await LedgerClient(session, url).checkpoint() for url in cloud.urls]
            consistency = await _consistent(cloud, session, checkpoints)
            evidence = [await _evidence(session, w.url) for w in cloud.witnesses]
        finally:
            await close_engine(engine)
    elapsed = time.monotonic() - started

    # The proxy spread the load over both replicas.
    assert sorted(cloud.proxy.forwarded) == sorted(cloud.urls)
    # Nothing lost or duplicated: every reading once, every hub once, every payment once.
    assert counts["readings"] == HUBS * (BATCHES * BATCH_SIZE)
    assert counts["hubs"] == HUBS + RACES
    assert counts["payments"] == PAYMENTS + RACES
    assert tally.race_answers[("login", 200)] == tally.race_answers[("login", 401)] == RACES
    assert tally.race_answers[("enrolment", 200)] == tally.race_answers[("enrolment", 409)] == RACES
    assert tally.race_answers[("payment", 1)] == tally.race_answers[("payment", 0)] == RACES
    # Charged once per Wh however the batches were spread or retried, credited once per payment.
    charged = 7 * (BATCHES * BATCH_SIZE // METERS_PER_HUB - 1)  # from the first reading to the last
    expected = {m.dwelling: OPENING_CENTS - charged for meters in hub_meters for m in meters}
    expected["1A"] += (PAYMENTS + RACES) * CENTS_PER_PAYMENT
    assert stored_balances == expected

    # The ledger never forked: one writer gave every accepted entry its own index, the rows are
    # exactly those, every checkpoint is the log's and cosigned, one root per size, and each is
    # consistent with the one before; both replicas serve the newest.
    accepted = sorted(tally.accepted_entries)
    assert accepted == list(range(TENANTS + RACES))
    assert [position for position, _ in entries] == accepted
    tree = MerkleTree()
    for _, data in entries:
        tree.append(data)
    roots = {size: root for size, root, _ in checkpoints}
    assert len(roots) == len({(size, root) for size, root, _ in checkpoints})
    assert all(cosigned == 2 for _, _, cosigned in checkpoints)
    assert max(roots) == len(entries)
    assert roots[len(entries)] == tree.root()
    assert consistency == len([size for size in roots if size > 0]) - 1
    assert [open_checkpoint(note, cloud.signer.verifier)[1].size for note in served] == [
        len(entries)
    ] * 2
    assert mirror.size == len(entries)
    assert not mirror.refused
    assert evidence == [{"frozen": False, "size": len(entries), "evidence": []}] * 2
    tally.requests["mirror sync"] = tally.mirror_syncs
    print(  # the figures the issue note quotes
        f"\nreplicas: {dict(tally.requests)}, races {dict(tally.race_answers)}, "
        f"{len(roots)} checkpoint sizes, proxy {dict(cloud.proxy.forwarded)}, {elapsed:.1f} s"
    )


async def _stored(engine: AsyncEngine) -> tuple[dict[str, int], dict[str, int]]:
    """Rows per table (each table's primary key makes a duplicate impossible to store, so the
    counts show what was lost), and the balances."""
    counts = {}
    async with engine.connect() as connection:
        for table in (readings, hubs, payments):
            found = await connection.execute(select(func.count()).select_from(table))
            counts[table.name] = int(found.scalar_one())
    balances = {a.dwelling: a.balance_cents for a in await accounts.accounts_of(engine, BUILDING)}
    return counts, balances


async def _entries(engine: AsyncEngine) -> list[tuple[int, bytes]]:
    """The ledger's rows in order; each stored leaf hash is its entry's."""
    async with engine.connect() as connection:
        rows = (
            await connection.execute(select(ledger_entries).order_by(ledger_entries.c.position))
        ).all()
    assert all(bytes(row.leaf_hash) == leaf_hash(bytes(row.data)) for row in rows)
    return [(row.position, bytes(row.data)) for row in rows]


async def _checkpoints(engine: AsyncEngine, cloud: Replicas) -> list[tuple[int, bytes, int]]:
    """(size, root, verified cosignatures) of every checkpoint any replica published; each is
    signed by the log key and its stored size is the size it signs."""
    async with engine.connect() as connection:
        rows = (
            await connection.execute(select(ledger_checkpoints).order_by(ledger_checkpoints.c.id))
        ).all()
    found = []
    witnesses = [w.key for w in cloud.witnesses]
    for row in rows:
        note, checkpoint = open_checkpoint(row.note, cloud.signer.verifier)
        assert checkpoint.size == row.size
        found.append((checkpoint.size, checkpoint.root, len(verified_signers(note, witnesses))))
    return found


async def _consistent(
    cloud: Replicas, session: aiohttp.ClientSession, checkpoints: list[tuple[int, bytes, int]]
) -> int:
    """Verify each published size against the next with a proof from one replica or the other;
    how many pairs were proven."""
    roots = sorted({(size, root) for size, root, _ in checkpoints if size > 0})
    clients = [LedgerClient(session, url) for url in cloud.urls]
    for n, ((old, old_root), (new, new_root)) in enumerate(itertools.pairwise(roots)):
        proof = await clients[n % len(clients)].consistency_proof(old, new)
        verify_consistency(old, new, proof, old_root, new_root)
    return len(roots) - 1


async def _evidence(session: aiohttp.ClientSession, url: str) -> object:
    async with session.get(url + "/evidence") as response:
        return await response.json()
