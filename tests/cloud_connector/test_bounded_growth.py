"""SPEC S6: what grows in the cloud is bounded per party (login challenges, conflicts), and a
database of the previous version is brought to these bounds by its migration."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from sqlalchemy import insert, select, text

from buildinghub.credentials import SigningKey
from buildinghub.keylog.client import CloudRefused
from buildinghub.keylog.entries import Role
from cloud_connector.database import close_engine, open_engine
from cloud_connector.migrations import LATEST, MIGRATIONS, migrate
from cloud_connector.schema import conflicts, credit_requests, schema_version
from tests.cloud_connector.people import Person, person, register
from tests.ledger_site import ORIGIN, LedgerSite


async def _challenge(ledger: LedgerSite, kid: bytes) -> tuple[int, dict[str, object]]:
    async with ledger.site.session.post(
        ledger.url + "/v1/ledger/login/challenge", json={"kid": kid.hex()}
    ) as response:
        return response.status, await response.json()


async def test_other_parties_challenges_never_evict_an_outstanding_login(
    ledger: LedgerSite, tenant: Person, landlord: Person
) -> None:
    status, answer = await _challenge(ledger, tenant.key.public_key.kid)
    assert status == 200
    mine = base64.b64decode(str(answer["challenge"]))
    others = [await register(ledger, person(f"T{n}", f"ID{n:04d}"), Role.TENANT) for n in range(3)]

    # A flood: other parties' challenges, and anyone's challenges for Ada's own key id.
    for who in (*others, landlord, tenant, tenant):
        for _ in range(60):
            assert (await _challenge(ledger, who.key.public_key.kid))[0] == 200

    logged_in = await ledger.anyone.answer_login(tenant.key, ORIGIN, mine)
    assert logged_in["kid"] == tenant.key.public_key.kid.hex()
    with pytest.raises(CloudRefused) as replayed:
        await ledger.anyone.answer_login(tenant.key, ORIGIN, mine)
    assert (replayed.value.status, replayed.value.reason) == (401, "login_refused")


async def test_no_challenge_is_issued_for_a_key_the_ledger_does_not_have(
    ledger: LedgerSite,
) -> None:
    status, answer = await _challenge(ledger, SigningKey.generate().public_key.kid)

    assert (status, answer["error"]) == (401, "login_refused")
    async with ledger.site.session.post(
        ledger.url + "/v1/ledger/login/challenge", json={}
    ) as response:
        assert response.status == 400


async def test_a_version_4_database_keeps_one_conflict_per_reading_after_its_migration(
    database_url: str, tmp_path: Path
) -> None:
    engine = open_engine(database_url)
    try:
        # Version 4 as it was: the conflicts table without counts, one row per resubmission.
        async with engine.begin() as connection:
            await connection.run_sync(schema_version.create)
        for migration in MIGRATIONS[:4]:
            async with engine.begin() as connection:
                await connection.run_sync(migration.apply)
                await connection.execute(
                    insert(schema_version).values(
                        version=migration.version, description="", applied_at=0
                    )
                )
        async with engine.begin() as connection:
            for statement in (
                "DROP INDEX conflicts_one_per_reading",
                "DROP INDEX credit_requests_tenant_kid",
                "ALTER TABLE conflicts DROP COLUMN occurrences",
                "ALTER TABLE conflicts DROP COLUMN last_flagged_at",
                "ALTER TABLE credit_requests DROP COLUMN tenant_kid",
            ):
                await connection.execute(text(statement))
            for sequence, times in ((7, 3), (8, 1)):
                for n in range(times):
                    await connection.execute(
                        text(
                            "INSERT INTO conflicts (meter_id, sequence, digest, packet, hub_id, "
                            "flagged_at) VALUES (:meter, :sequence, :digest, :packet, 'hub', :at)"
                        ),
                        {
                            "meter": "meter-1",
                            "sequence": sequence,
                            "digest": bytes([n]) * 32,
                            "packet": b"p",
                            "at": n,
                        },
                    )

        assert await migrate(engine) == [5, 6]

        async with engine.connect() as connection:
            rows = (
                await connection.execute(
                    select(
                        conflicts.c.sequence, conflicts.c.digest, conflicts.c.occurrences
                    ).order_by(conflicts.c.sequence)
                )
            ).all()
            # Every column of the version-5 table is there (tenant_kid was added).
            await connection.execute(select(*credit_requests.columns))
        assert [(r.sequence, bytes(r.digest), r.occurrences) for r in rows] == [
            (7, bytes(32), 3),
            (8, bytes(32), 1),
        ]
        assert await migrate(engine) == []
        assert LATEST == 6
    finally:
        await close_engine(engine)
