"""Who sees what (SPEC M5) and prepaid balances with payments and reminders (SPEC M7)."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator

import pytest

from buildinghub.telemetry.reading import Quantity
from cloud_connector import accounts
from cloud_connector.app import PAYMENT_SIGNATURE_HEADER
from cloud_connector.people import Role, add_person
from tests.cloud_site import BUILDING, CloudSite, cloud_site

SECRET = b"provider-shared-secret"


@pytest.fixture
async def site(database_url: str) -> AsyncIterator[CloudSite]:
    async with cloud_site(database_url, payment_secret=SECRET) as site:
        engine = site.cloud.engine
        await accounts.set_tariff(engine, BUILDING, Quantity.ELECTRICITY, 30)  # 0.03 ct per Wh
        await accounts.open_account(
            engine, BUILDING, "1A", threshold_cents=1000, balance_cents=5000
        )
        await accounts.open_account(
            engine, BUILDING, "2B", threshold_cents=1000, balance_cents=5000
        )
        yield site


async def get(site: CloudSite, path: str, token: str) -> tuple[int, dict[str, object]]:
    async with site.session.get(
        site.cloud.url + path, headers={"Authorization": f"Bearer {token}"}
    ) as response:
        return response.status, await response.json()


async def pay(site: CloudSite, payment: dict[str, object], secret: bytes = SECRET) -> int:
    body = json.dumps(payment).encode()
    signature = hmac.new(secret, body, hashlib.sha256).hexdigest()
    async with site.session.post(
        site.cloud.url + "/v1/payments/webhook",
        data=body,
        headers={PAYMENT_SIGNATURE_HEADER: signature},
    ) as response:
        return response.status


async def test_a_resident_reads_only_their_own_dwellings_readings(site: CloudSite) -> None:
    await site.client.send_readings(
        [site.meters[0].packet(1, 100).encoded, site.meters[2].packet(1, 7).encoded]
    )
    ana = await add_person(site.cloud.engine, "ana", Role.RESIDENT, BUILDING, "1A")

    own_status, own = await get(site, "/v1/dwellings/1A/readings", ana)
    other_status, other = await get(site, "/v1/dwellings/2B/readings", ana)

    assert own_status == 200
    rows = own["readings"]
    assert isinstance(rows, list)
    assert [(r["meter_id"], r["value"]) for r in rows] == [("meter-1a-e", 100)]
    assert other_status == 403
    assert "residents see their own dwelling only" in str(other["message"])


async def test_the_property_manager_sees_balances_and_alerts_never_raw_readings(
    site: CloudSite,
) -> None:
    meter = site.meters[0]
    # 1A uses 140 kWh at 0.03 ct/Wh = 4200 ct: 5000 -> 800, below its 1000 threshold.
    await site.client.send_readings([meter.packet(1, 10_000).encoded])
    await site.client.send_readings([meter.packet(2, 150_000).encoded])
    manager = await add_person(site.cloud.engine, "pm", Role.MANAGER, BUILDING, None)
    resident_2b = await add_person(site.cloud.engine, "bo", Role.RESIDENT, BUILDING, "2B")

    readings_status, _ = await get(site, "/v1/dwellings/1A/readings", manager)
    balance_status, balance = await get(site, "/v1/dwellings/2B/balance", manager)
    alerts_status, alerts = await get(site, "/v1/alerts", manager)
    neighbour_status, neighbour = await get(site, "/v1/alerts", resident_2b)

    assert readings_status == 403
    assert (balance_status, balance["balance_cents"]) == (200, 5000)
    # Only the low balance, as derived data: no meter, sequence or reading value in it.
    assert alerts_status == 200
    assert alerts == {
        "alerts": [
            {
                "kind": "low_balance",
                "dwelling": "1A",
                "balance_cents": 800,
                "threshold_cents": 1000,
                "low": True,
            }
        ]
    }
    # A resident of another dwelling is not told about 1A's balance.
    assert (neighbour_status, neighbour) == (200, {"alerts": []})


async def test_unknown_people_are_refused(site: CloudSite) -> None:
    status, answer = await get(site, "/v1/dwellings/1A/balance", "made-up-token")

    assert (status, answer["error"]) == (401, "unauthorized")


async def test_consumption_lowers_the_balance_and_a_reminder_goes_out_once(
    site: CloudSite,
) -> None:
    meter = site.meters[0]
    # Baseline, then 140 kWh at 0.03 ct/Wh = 4200 ct: 5000 -> 800, below the 1000 threshold.
    await site.client.send_readings([meter.packet(1, 10_000).encoded])
    await site.client.send_readings([meter.packet(3, 150_000).encoded])
    # A late, older reading charges nothing more.
    await site.client.send_readings([meter.packet(2, 60_000).encoded])
    # 10 kWh more while already low: 800 -> 500, still below, so no second reminder.
    await site.client.send_readings([meter.packet(4, 160_000).encoded])

    account = await accounts.account(site.cloud.engine, BUILDING, "1A")
    assert account is not None
    assert (account.balance_cents, account.low) == (500, True)
    reminders = await accounts.reminders_of(site.cloud.engine, BUILDING)
    assert [(dwelling, balance) for dwelling, balance, _ in reminders] == [("1A", 800)]
    hub_view = {a.dwelling: a for a in await site.client.accounts()}
    assert hub_view["1A"].low
    assert not hub_view["2B"].low


async def test_a_payment_from_the_providers_webhook_credits_the_balance_once(
    site: CloudSite,
) -> None:
    payment = {
        "payment_id": "pay-123",
        "building": BUILDING,
        "dwelling": "2B",
        "amount_cents": 2500,
    }

    assert await pay(site, payment) == 200
    assert await pay(site, payment) == 200

    account = await accounts.account(site.cloud.engine, BUILDING, "2B")
    assert account is not None
    assert account.balance_cents == 7500


async def test_a_payment_with_a_bad_signature_or_body_changes_nothing(site: CloudSite) -> None:
    good = {"payment_id": "pay-9", "building": BUILDING, "dwelling": "2B", "amount_cents": 100}

    assert await pay(site, good, secret=b"guess") == 401
    assert await pay(site, {**good, "amount_cents": -5}) == 400
    assert await pay(site, {**good, "dwelling": "9Z"}) == 400

    account = await accounts.account(site.cloud.engine, BUILDING, "2B")
    assert account is not None
    assert account.balance_cents == 5000
