"""Ingest through the HTTP API, on SQLite and on PostgreSQL: receipts only for what is held."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select

from buildinghub.credentials import SigningKey
from buildinghub.telemetry.receipt import verify_receipt
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


async def test_each_stored_reading_gets_a_receipt_signed_by_the_cloud(site: CloudSite) -> None:
    packets = [site.meters[0].packet(seq, 1000 + seq) for seq in range(1, 6)]

    answer = await site.client.send_readings([p.encoded for p in packets])

    assert answer.refused == []
    assert [r.key for r in answer.receipts] == [p.key for p in packets]
    for packet, receipt in zip(packets, answer.receipts, strict=True):
        assert receipt.covers(packet)
        assert verify_receipt(receipt.encoded, site.cloud_key.public_key) == receipt
    assert await stored_rows(site) == 5


async def test_an_exact_duplicate_is_acknowledged_again_and_stored_once(site: CloudSite) -> None:
    packet = site.meters[1].packet(7, 42)
    first = await site.client.send_readings([packet.encoded])

    again = await site.client.send_readings([packet.encoded, packet.encoded])

    assert again.refused == []
    assert [r.key for r in again.receipts] == [packet.key]
    assert again.receipts[0].packet_digest == first.receipts[0].packet_digest
    assert again.receipts[0].stored_at == first.receipts[0].stored_at
    assert await stored_rows(site) == 1


async def test_a_different_reading_under_a_stored_key_is_refused_and_flagged(
    site: CloudSite,
) -> None:
    original = site.meters[0].packet(3, 500)
    await site.client.send_readings([original.encoded])
    forged = site.meters[0].packet(3, 1)

    answer = await site.client.send_readings([forged.encoded])

    assert answer.receipts == []
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

    assert [r.key for r in answer.receipts] == [good.key]
    assert sorted((r.index, r.reason) for r in answer.refused) == [
        (1, "unknown_meter"),
        (2, "bad_signature"),
    ]
    assert stranger.key not in {r.key for r in answer.receipts}
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
