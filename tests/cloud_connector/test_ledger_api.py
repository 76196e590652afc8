"""The key ledger through the cloud connector's API, on SQLite and PostgreSQL, with witnesses."""

from __future__ import annotations

import asyncio
import base64
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import func, select

from buildinghub.credentials import SigningKey
from buildinghub.credentials.clock import MonotonicClock
from buildinghub.keylog.client import CloudRefused, LedgerClient
from buildinghub.keylog.entries import (
    KeyRegistration,
    KeyRevocation,
    RecordKind,
    Role,
    SignedRecord,
    decode_entry,
    encode_entry,
    rotate_key,
)
from buildinghub.keylog.errors import ForkDetected, QuorumNotMet
from buildinghub.keylog.identity import identity_lookup_hash
from buildinghub.keylog.log import KeyLog
from buildinghub.keylog.mirror import LedgerMirror
from buildinghub.keylog.proof import verify_consistency
from buildinghub.keylog.records import ListingRecord, listing_digest, sign_listing
from buildinghub.keylog.signers import LogNoteSigner, WitnessNoteKey
from buildinghub.keylog.trusted_view import TrustedLogView
from cloud_connector.app import Settings
from cloud_connector.ledger import LedgerSettings
from cloud_connector.local import serve_locally
from cloud_connector.schema import ledger_entries
from tests.cloud_connector.people import Person, check_identity
from tests.cloud_site import BUILDING
from tests.ledger_site import (
    ORIGIN,
    LedgerSite,
    RunningWitness,
    ledger_site,
    start_witness,
    witness_process,
)

NOW = 1_767_225_600
SALT = b"elm court pepper, 32 bytes long!"
LANDLORD = "landlord.elm-court.example"


@pytest.fixture
async def ledger(database_url: str, tmp_path: Path) -> AsyncIterator[LedgerSite]:
    async with ledger_site(database_url, tmp_path) as site:
        yield site


def registration(
    key: SigningKey, role: Role, subject: str, owner: str = "ID0001", building: str = BUILDING
) -> KeyRegistration:
    owner_hash = identity_lookup_hash(SALT, owner)
    return KeyRegistration(role, key.public_key, owner_hash, subject, NOW, building=building)


def hub_view(ledger: LedgerSite, path: Path, quorum: int = 2) -> TrustedLogView:
    return TrustedLogView(
        ledger.signer.verifier, ledger.witness_keys, quorum, path, MonotonicClock()
    )


async def stored_entries(ledger: LedgerSite) -> int:
    async with ledger.site.cloud.engine.connect() as connection:
        count = await connection.execute(select(func.count()).select_from(ledger_entries))
        return int(count.scalar_one())


async def post(ledger: LedgerSite, path: str, payload: object) -> tuple[int, dict[str, object]]:
    async with ledger.site.session.post(ledger.url + path, json=payload) as response:
        return response.status, await response.json()


async def test_a_landlord_key_is_found_with_an_inclusion_proof_against_a_cosigned_checkpoint(
    ledger: LedgerSite, tmp_path: Path
) -> None:
    landlord = SigningKey.generate()
    index = await ledger.hub.register(registration(landlord, Role.LANDLORD, LANDLORD), landlord)

    async with ledger.site.session.get(
        f"{ledger.url}/v1/ledger/keys/{landlord.public_key.kid.hex()}"
    ) as response:
        answer = await response.json()

    view = hub_view(ledger, tmp_path / "view.json", quorum=3)
    checkpoint = view.update(answer["checkpoint"], [])
    [found] = answer["entries"]
    assert found["index"] == index
    entry = base64.b64decode(found["entry"])
    assert entry == encode_entry(registration(landlord, Role.LANDLORD, LANDLORD))
    view.verify_inclusion(entry, index, [base64.b64decode(h) for h in found["proof"]])
    assert checkpoint.size == 1


async def test_a_tenant_is_looked_up_by_identity_hash_never_by_number(
    ledger: LedgerSite,
) -> None:
    tenant = Person("Ada", identity_lookup_hash(SALT, "AB123456"))
    await ledger.anyone.register_tenant(
        registration(tenant.key, Role.TENANT, "tenant-1", "AB123456"), tenant.key
    )
    await check_identity(ledger, tenant)

    owner = identity_lookup_hash(SALT, "ab 123-456").hex()
    async with ledger.site.session.get(f"{ledger.url}/v1/ledger/owners/{owner}") as response:
        answer = await response.json()

    registered, checked = answer["entries"]
    assert base64.b64decode(registered["entry"]) == encode_entry(
        registration(tenant.key, Role.TENANT, "tenant-1", "AB123456")
    )
    assert decode_entry(base64.b64decode(checked["entry"])).kind is RecordKind.IDENTITY
    async with ledger.site.cloud.engine.connect() as connection:
        rows = (await connection.execute(select(ledger_entries.c.data))).scalars().all()
    assert all(b"AB123456" not in bytes(row) for row in rows)


async def test_a_landlord_key_not_vouched_for_by_a_hub_is_forbidden_and_not_written(
    ledger: LedgerSite,
) -> None:
    landlord = SigningKey.generate()

    with pytest.raises(CloudRefused) as refused:
        await ledger.anyone.register_tenant(
            registration(landlord, Role.LANDLORD, LANDLORD), landlord
        )

    assert refused.value.status == 403
    assert await stored_entries(ledger) == 0


async def test_a_registration_not_signed_by_the_new_key_is_refused(ledger: LedgerSite) -> None:
    tenant, other = SigningKey.generate(), SigningKey.generate()

    with pytest.raises(CloudRefused) as refused:
        await ledger.anyone.register_tenant(registration(tenant, Role.TENANT, "t"), other)

    assert refused.value.status == 401
    assert "signature" in str(refused.value)
    assert await stored_entries(ledger) == 0


async def test_a_listing_with_a_bad_signature_is_reported_as_not_authentic(
    ledger: LedgerSite,
) -> None:
    landlord = SigningKey.generate()
    await ledger.hub.register(registration(landlord, Role.LANDLORD, LANDLORD), landlord)
    listing = sign_listing(
        ListingRecord(
            listing_id="listing-12",
            flat="flat-12",
            landlord=LANDLORD,
            details_digest=listing_digest(b"2 rooms, 54 m2, 900 EUR"),
            listed_at=NOW,
        ),
        landlord,
    )
    forged = listing[:-1] + bytes([listing[-1] ^ 1])

    status, answer = await post(
        ledger, "/v1/ledger/listings/verify", {"record": base64.b64encode(forged).decode()}
    )
    assert (status, answer["error"]) == (400, "not_authentic")
    assert "does not verify" in str(answer["message"])

    with pytest.raises(CloudRefused) as refused:
        await ledger.anyone.publish(SignedRecord(RecordKind.LISTING, forged))
    assert (refused.value.status, refused.value.reason) == (400, "not_authentic")
    assert await stored_entries(ledger) == 1

    await ledger.anyone.publish(SignedRecord(RecordKind.LISTING, listing))
    status, answer = await post(
        ledger, "/v1/ledger/listings/verify", {"record": base64.b64encode(listing).decode()}
    )
    assert (status, answer["authentic"], answer["matches_published"]) == (200, True, True)


async def test_login_succeeds_once_and_a_replayed_challenge_is_refused(
    ledger: LedgerSite,
) -> None:
    tenant = SigningKey.generate()
    await ledger.anyone.register_tenant(registration(tenant, Role.TENANT, "tenant-1"), tenant)
    _, answer = await post(
        ledger, "/v1/ledger/login/challenge", {"kid": tenant.public_key.kid.hex()}
    )
    challenge = base64.b64decode(str(answer["challenge"]))

    first = await ledger.anyone.answer_login(tenant, ORIGIN, challenge)
    assert first == {"kid": tenant.public_key.kid.hex(), "role": "tenant", "subject": "tenant-1"}

    with pytest.raises(CloudRefused) as refused:
        await ledger.anyone.answer_login(tenant, ORIGIN, challenge)
    assert (refused.value.status, refused.value.reason) == (401, "login_refused")


async def test_a_revoked_key_cannot_log_in(ledger: LedgerSite) -> None:
    tenant = SigningKey.generate()
    await ledger.anyone.register_tenant(registration(tenant, Role.TENANT, "tenant-1"), tenant)
    await ledger.anyone.revoke(
        KeyRevocation(tenant.public_key.kid, NOW, "phone lost", building=BUILDING), tenant
    )

    with pytest.raises(CloudRefused) as refused:
        await ledger.anyone.login(tenant, ORIGIN)

    assert refused.value.reason == "login_refused"
    assert "revoked" in str(refused.value)


async def test_only_the_key_itself_or_an_enrolled_hub_revokes_a_key(ledger: LedgerSite) -> None:
    landlord, stranger = SigningKey.generate(), SigningKey.generate()
    await ledger.hub.register(registration(landlord, Role.LANDLORD, LANDLORD), landlord)
    revocation = KeyRevocation(landlord.public_key.kid, NOW, "left the building", building=BUILDING)

    with pytest.raises(CloudRefused) as refused:
        await ledger.anyone.revoke(revocation, stranger)
    assert refused.value.status == 401

    assert await ledger.hub.revoke(revocation) == 1


async def test_a_rotation_is_signed_by_the_old_and_the_new_key(ledger: LedgerSite) -> None:
    old, new = SigningKey.generate(), SigningKey.generate()
    await ledger.anyone.register_tenant(registration(old, Role.TENANT, "tenant-1"), old)

    assert (
        await ledger.anyone.rotate(rotate_key(old, new.public_key, NOW, building=BUILDING), new)
        == 1
    )

    with pytest.raises(CloudRefused) as refused:
        await ledger.anyone.login(old, ORIGIN)
    assert "rotated" in str(refused.value)
    assert (await ledger.anyone.login(new, ORIGIN))["subject"] == "tenant-1"


async def test_consistency_proofs_between_any_two_sizes_verify(ledger: LedgerSite) -> None:
    keys = [SigningKey.generate() for _ in range(5)]
    for n, key in enumerate(keys):
        await ledger.anyone.register_tenant(registration(key, Role.TENANT, f"t{n}", f"ID{n}"), key)
    entries = await ledger.anyone.entries(0, 5)
    roots = {}
    log = KeyLog(LogNoteSigner(ORIGIN, SigningKey.generate()))
    for size, entry in enumerate(entries, 1):
        log.append_encoded(entry)
        roots[size] = log._tree.root()

    for first in range(1, 6):
        for second in range(first, 6):
            proof = await ledger.anyone.consistency_proof(first, second)
            verify_consistency(first, second, proof, roots[first], roots[second])


async def test_a_bad_range_is_a_clear_400(ledger: LedgerSite) -> None:
    async with ledger.site.session.get(f"{ledger.url}/v1/ledger/consistency?from=3&to=1") as r:
        assert r.status == 400
        assert "from" in (await r.json())["message"]
    async with ledger.site.session.get(f"{ledger.url}/v1/ledger/entries?start=x") as r:
        assert r.status == 400


async def test_a_checkpoint_without_the_witness_quorum_is_refused(
    ledger: LedgerSite, tmp_path: Path
) -> None:
    tenant = SigningKey.generate()
    await ledger.anyone.register_tenant(registration(tenant, Role.TENANT, "t"), tenant)
    mirror = LedgerMirror(hub_view(ledger, tmp_path / "view.json", quorum=2))
    await ledger.anyone.sync(mirror)
    for witness in ledger.witnesses[1:]:
        assert witness.runner is not None
        await witness.runner.cleanup()
        witness.runner = None

    later = SigningKey.generate()
    await ledger.anyone.register_tenant(registration(later, Role.TENANT, "t2", "ID2"), later)

    with pytest.raises(QuorumNotMet, match="cosigned by 1 of the known witnesses, 2 are required"):
        await ledger.anyone.sync(mirror)
    assert mirror.size == 1
    assert mirror.state.key(later.public_key.kid) is None


async def test_witnesses_refuse_to_cosign_a_fork_and_keep_the_evidence(
    ledger: LedgerSite,
) -> None:
    tenant = SigningKey.generate()
    await ledger.anyone.register_tenant(registration(tenant, Role.TENANT, "t"), tenant)
    # The log operator shows a different history under the same key and size.
    forked = KeyLog(ledger.signer)
    other = SigningKey.generate()
    forked.append(registration(other, Role.TENANT, "someone else"))
    note = forked.checkpoint().encode().decode()

    for witness in ledger.witnesses:
        status, answer = await post_to(
            ledger,
            witness.url + "/add-checkpoint",
            {"old_size": 1, "proof": [], "checkpoint": note},
        )
        assert (status, answer["error"]) == (409, "fork_detected")
        async with ledger.site.session.get(witness.url + "/evidence") as response:
            evidence = await response.json()
        assert evidence["frozen"] is True
        assert evidence["evidence"][0]["conflicting"] == note

    # Frozen witnesses no longer cosign the honest log either: hubs see no quorum.
    later = SigningKey.generate()
    await ledger.anyone.register_tenant(registration(later, Role.TENANT, "t2", "ID2"), later)
    assert (await ledger.anyone.checkpoint()).count("\u2014 witness-") == 0


async def post_to(ledger: LedgerSite, url: str, payload: object) -> tuple[int, dict[str, object]]:
    async with ledger.site.session.post(url, json=payload) as response:
        return response.status, await response.json()


async def test_a_hub_mirror_detects_a_fork_cosigned_by_colluding_witnesses(
    database_url: str, tmp_path: Path
) -> None:
    # Honest history first; then the same log key and witness keys (witnesses reset, i.e.
    # colluding) serve another history of the same size.
    log_key = SigningKey.generate()
    witness_keys = [SigningKey.generate() for _ in range(3)]
    view = None
    for attempt, subject in enumerate(("honest", "forged")):
        directory = tmp_path / subject
        directory.mkdir()
        signer = LogNoteSigner(ORIGIN, log_key)
        witnesses = [await start_witness(directory, n, signer, witness_keys[n]) for n in range(3)]
        url = database_url if attempt == 0 else f"sqlite:///{directory / 'forged.db'}"
        async with ledger_site(url, directory, signer=signer, witnesses=witnesses) as site:
            if view is None:
                view = LedgerMirror(hub_view(site, tmp_path / "view.json"))
            key = SigningKey.generate()
            await site.anyone.register_tenant(registration(key, Role.TENANT, subject), key)
            if attempt == 0:
                await site.anyone.sync(view)
            else:
                with pytest.raises(ForkDetected):
                    await site.anyone.sync(view)
    assert view is not None
    assert view.view.frozen
    assert len(view.view.evidence) == 1


async def test_the_log_is_rebuilt_from_the_database_after_a_restart(
    database_url: str, tmp_path: Path
) -> None:
    signer = LogNoteSigner(ORIGIN, SigningKey.generate())
    witnesses = [await start_witness(tmp_path, n, signer) for n in range(3)]
    settings = Settings(
        SigningKey.generate(), ledger=LedgerSettings(signer, tuple(w.url for w in witnesses))
    )
    view_path = tmp_path / "view.json"
    try:
        async with (
            serve_locally(database_url, settings) as cloud,
            aiohttp.ClientSession() as session,
        ):
            client = LedgerClient(session, cloud.url)
            for n in range(3):
                key = SigningKey.generate()
                await client.register_tenant(registration(key, Role.TENANT, f"t{n}", f"ID{n}"), key)
            mirror = LedgerMirror(
                TrustedLogView(
                    signer.verifier, [w.key for w in witnesses], 3, view_path, MonotonicClock()
                )
            )
            before = await client.sync(mirror)
        async with (
            serve_locally(database_url, settings) as cloud,
            aiohttp.ClientSession() as session,
        ):
            client = LedgerClient(session, cloud.url)
            key = SigningKey.generate()
            assert (
                await client.register_tenant(registration(key, Role.TENANT, "t3", "ID3"), key) == 3
            )
            after = await client.sync(mirror)
    finally:
        for witness in witnesses:
            assert witness.runner is not None
            await witness.runner.cleanup()
    assert (before.size, after.size) == (3, 4)
    assert mirror.state.key(key.public_key.kid) is not None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_three_witness_processes_cosign_and_a_hub_trusts_the_quorum(
    database_url: str, tmp_path: Path
) -> None:
    signer = LogNoteSigner(ORIGIN, SigningKey.generate())
    public = base64.b64encode(signer.verifier.key.to_bytes()).decode()
    processes = []
    witnesses = []
    try:
        for n in range(3):
            key = SigningKey.generate()
            (tmp_path / f"witness-{n}.pem").write_bytes(key.to_pem())
            port = _free_port()
            processes.append(witness_process(tmp_path, n, public, port))
            name = f"witness-{n}.example"
            witnesses.append(
                RunningWitness(f"http://127.0.0.1:{port}", WitnessNoteKey(name, key.public_key))
            )
        for process in processes:
            assert process.stdout is not None
            line = await asyncio.to_thread(process.stdout.readline)
            assert "listening" in line, line
        async with ledger_site(database_url, tmp_path, signer=signer, witnesses=witnesses) as site:
            landlord = SigningKey.generate()
            await site.hub.register(registration(landlord, Role.LANDLORD, LANDLORD), landlord)
            mirror = LedgerMirror(hub_view(site, tmp_path / "view.json", quorum=3))
            checkpoint = await site.anyone.sync(mirror)
            async with site.site.session.get(witnesses[0].url + "/evidence") as response:
                witness_view = await response.json()
    finally:
        for process in processes:
            process.terminate()
            await asyncio.to_thread(process.wait, 10)
            if process.stdout is not None:
                process.stdout.close()
    assert checkpoint.size == 1
    assert witness_view == {"frozen": False, "size": 1, "evidence": []}
    assert (
        mirror.verify_key(landlord.public_key.kid, frozenset({Role.LANDLORD})).subject == LANDLORD
    )
    assert (tmp_path / "witness-0.json").exists()
