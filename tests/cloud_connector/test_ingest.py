"""Ingest through the HTTP API, on SQLite and on PostgreSQL: one receipt, for what is held."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select, text

from buildinghub.credentials import SigningKey
from buildinghub.telemetry.cloud_client import CloudUnavailable, IngestAnswer
from buildinghub.telemetry.receipt import MAX_BATCH, verify_erase_command, verify_receipt
from buildinghub.telemetry.request_signing import sign_request
from cloud_connector.migrations import LATEST, migrate
from cloud_connector.schema import conflicts, readings, schema_version
from tests.cloud_site import CloudSite, cloud_site


@pytest.fixture
async def site(database_url: str) -> AsyncIterator[CloudSite]:
    async with cloud_site(database_url) as site:
        yield site


async def stored_rows(site: CloudSite) -> int:
    async with site.cloud.engine.connect() as connection:
        return int(
            (await connection.execute(select(func.count()).select_from(readings))).scalar_one()
        )


async def post_raw(
    site: CloudSite, body: bytes, *, key: SigningKey | None = None, at: int | None = None
) -> tuple[int, dict[str, object]]:
    headers = sign_request(
        key or site.hub_key, "POST", "/v1/readings", body, at or int(time.time())
    )
    async with site.session.post(site.cloud.url + "/v1/readings", data=body, headers=headers) as r:
        return r.status, await r.json()


def receipted_keys(answer: IngestAnswer) -> list[tuple[str, int]]:
    return [key for command in answer.erase_commands for key in command.keys]


async def test_one_receipt_signed_by_the_cloud_covers_every_stored_reading(
    site: CloudSite,
) -> None:
    packets = [m.packet(seq, 1000 + seq) for seq in range(1, 6) for m in site.meters]

    answer = await site.client.send_readings([p.encoded for p in packets])

    assert answer.refused == []
    assert answer.receipt is not None
    assert answer.receipt.size == len(packets)
    assert verify_receipt(answer.receipt.encoded, site.cloud_key.public_key) == answer.receipt
    assert sorted(receipted_keys(answer)) == sorted(p.key for p in packets)
    by_key = {p.key: p for p in packets}
    for command in answer.erase_commands:
        assert command.receipt == answer.receipt
        verify_erase_command(command.encoded, site.cloud_key.public_key, command.meter_id)
        assert all(entry.covers(by_key[entry.key]) for entry in command.entries)
    assert len(answer.erase_commands) == len(site.meters)
    assert await stored_rows(site) == len(packets)


async def test_an_exact_duplicate_is_acknowledged_again_and_stored_once(site: CloudSite) -> None:
    packet = site.meters[1].packet(7, 42)
    first = await site.client.send_readings([packet.encoded])

    again = await site.client.send_readings([packet.encoded, packet.encoded])

    assert again.refused == []
    assert receipted_keys(again) == [packet.key]
    assert again.erase_commands[0].entries == first.erase_commands[0].entries
    assert await stored_rows(site) == 1


async def test_a_batch_over_the_limit_gets_413_and_nothing_is_written(site: CloudSite) -> None:
    packet = base64.b64encode(site.meters[0].packet(1, 1).encoded).decode()
    body = json.dumps({"packets": [packet] * (MAX_BATCH + 1)}).encode()

    status, answer = await post_raw(site, body)

    assert (status, answer["error"]) == (413, "batch_too_large")
    assert f"at most {MAX_BATCH} readings" in str(answer["message"])
    assert await stored_rows(site) == 0


async def test_a_batch_that_fails_inside_its_transaction_stores_nothing_and_loses_nothing(
    site: CloudSite,
) -> None:
    before = [site.meters[0].packet(seq, seq) for seq in (1, 2)]
    await site.client.send_readings([p.encoded for p in before])
    async with site.cloud.engine.begin() as connection:
        # The charge step, after the readings' insert in the same transaction, now fails.
        await connection.execute(text("DROP TABLE meter_totals"))
    batch = [*before, *(site.meters[0].packet(seq, seq) for seq in (3, 4))]

    with pytest.raises(CloudUnavailable):
        await site.client.send_readings([p.encoded for p in batch])

    async with site.cloud.engine.connect() as connection:
        kept = (await connection.execute(select(readings.c.sequence))).scalars().all()
    assert sorted(kept) == [1, 2]


async def test_a_different_reading_under_a_stored_key_is_refused_and_flagged(
    site: CloudSite,
) -> None:
    original = site.meters[0].packet(3, 500)
    await site.client.send_readings([original.encoded])
    forged = site.meters[0].packet(3, 1)

    answer = await site.client.send_readings([forged.encoded])

    assert answer.receipt is None
    assert answer.erase_commands == []
    assert [(r.index, r.reason) for r in answer.refused] == [(0, "conflict")]
    async with site.cloud.engine.connect() as connection:
        kept = (await connection.execute(select(readings.c.value))).scalars().all()
        flagged = (await connection.execute(select(conflicts.c.sequence))).scalars().all()
    assert kept == [500]
    assert flagged == [3]


async def test_resending_a_conflicting_reading_keeps_one_conflict_row_with_a_count(
    site: CloudSite,
) -> None:
    await site.client.send_readings([site.meters[0].packet(3, 500).encoded])
    forged = site.meters[0].packet(3, 1)
    other = site.meters[0].packet(3, 2)

    for _ in range(40):
        answer = await site.client.send_readings([forged.encoded])
        assert [(r.index, r.reason) for r in answer.refused] == [(0, "conflict")]
    await site.client.send_readings([other.encoded])

    async with site.cloud.engine.connect() as connection:
        rows = (
            await connection.execute(
                select(conflicts.c.sequence, conflicts.c.digest, conflicts.c.occurrences)
            )
        ).all()
    assert [(r.sequence, bytes(r.digest), r.occurrences) for r in rows] == [(3, forged.digest, 41)]


async def test_readings_of_unregistered_meters_or_forged_signatures_are_refused_alone(
    site: CloudSite,
) -> None:
    good = site.meters[2].packet(1, 10)
    stranger = site.meters[2].packet(2, 11)
    forged_meter = type(site.meters[2])("meter-9z", "9Z", site.meters[2].quantity)
    impostor = type(site.meters[2])(site.meters[2].meter_id, "2B", site.meters[2].quantity)

    answer = await site.client.send_readings(
        [good.encoded, forged_meter.packet(1, 5).encoded, impostor.packet(2, 11).encoded]
    )

    assert receipted_keys(answer) == [good.key]
    assert sorted((r.index, r.reason) for r in answer.refused) == [
        (1, "unknown_meter"),
        (2, "bad_signature"),
    ]
    assert stranger.key not in receipted_keys(answer)
    assert await stored_rows(site) == 1


async def test_an_unknown_hub_gets_401_and_nothing_is_written(site: CloudSite) -> None:
    body = json.dumps({"packets": [base64.b64encode(site.meters[0].packet(1, 1).encoded).decode()]})

    status, answer = await post_raw(site, body.encode(), key=SigningKey.generate())

    assert (status, answer["error"]) == (401, "unauthorized")
    assert "unknown hub" in str(answer["message"])
    assert await stored_rows(site) == 0


async def test_a_body_changed_after_signing_gets_401(site: CloudSite) -> None:
    body = json.dumps({"packets": [base64.b64encode(site.meters[0].packet(1, 1).encoded).decode()]})
    headers = sign_request(site.hub_key, "POST", "/v1/readings", body.encode(), int(time.time()))
    tampered = body.replace('"packets"', '"packets" ')

    async with site.session.post(
        site.cloud.url + "/v1/readings", data=tampered.encode(), headers=headers
    ) as response:
        assert response.status == 401
    assert await stored_rows(site) == 0


async def test_a_request_signed_long_ago_gets_401(site: CloudSite) -> None:
    body = json.dumps({"packets": [base64.b64encode(site.meters[0].packet(1, 1).encoded).decode()]})

    status, answer = await post_raw(site, body.encode(), at=int(time.time()) - 3600)

    assert status == 401
    assert "check the hub's clock" in str(answer["message"])


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"not json", "the body is not JSON"),
        (b"[]", "the body is a JSON object"),
        (b'{"packets": []}', "packets is a list of 1 to 500"),
        (b'{"packets": "abc"}', "packets is a list of 1 to 500"),
        ('{"packets": ["AA\u00e9A"]}'.encode(), "packets[0] is not valid base64"),  # was a 500
    ],
)
async def test_a_malformed_body_gets_400_naming_the_problem(
    site: CloudSite, body: bytes, message: str
) -> None:
    status, answer = await post_raw(site, body)

    assert status == 400
    assert message in str(answer["message"])
    assert await stored_rows(site) == 0


async def test_one_bad_item_in_a_batch_refuses_the_whole_batch_with_nothing_written(
    site: CloudSite,
) -> None:
    good = base64.b64encode(site.meters[0].packet(1, 1).encoded).decode()
    body = json.dumps({"packets": [good, "%%% not base64"]}).encode()

    status, answer = await post_raw(site, body)

    assert status == 400
    assert "packets[1] is not valid base64" in str(answer["message"])
    assert await stored_rows(site) == 0


async def test_migrations_are_applied_once(site: CloudSite) -> None:
    assert await migrate(site.cloud.engine) == []
    async with site.cloud.engine.connect() as connection:
        versions = (await connection.execute(select(schema_version.c.version))).scalars().all()
    assert sorted(versions) == list(range(1, LATEST + 1))
