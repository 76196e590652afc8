"""Consents, sealed templates and withdrawals in the cloud, on SQLite and PostgreSQL."""

from __future__ import annotations

import base64

import pytest
from sqlalchemy import select

from buildinghub.biometrics.client import ConsentClient
from buildinghub.biometrics.consent import (
    ConsentRecord,
    ConsentWithdrawal,
    Purpose,
    consent_digest,
    sign_consent,
    sign_withdrawal,
)
from buildinghub.biometrics.sealing import (
    EnrollingStation,
    TemplateBinding,
    read_bundle,
    seal_template,
)
from buildinghub.credentials import SigningKey
from buildinghub.credentials.sealing import SealingKey
from buildinghub.keylog.entries import Role, rotate_key
from buildinghub.telemetry.cloud_client import CloudClient, CloudRefused
from cloud_connector.hubs import create_enrolment
from cloud_connector.schema import sealed_templates
from tests.cloud_connector.people import NOW, Person, person, register, row_counts
from tests.cloud_site import BUILDING
from tests.ledger_site import LedgerSite

TEMPLATE = bytes.fromhex("00112233445566778899aabbccddeeff")
LOCK = "elm-1a-door"
LOCK_KEY = SealingKey.generate()


def consents(tenant: Person, ledger: LedgerSite) -> ConsentClient:
    return ConsentClient(tenant.client(ledger))


def consent(tenant: Person, *purposes: Purpose, lock: str = LOCK) -> bytes:
    record = ConsentRecord(
        tenant=tenant.name,
        purposes=frozenset(purposes or (Purpose.CAPTURE, Purpose.STORE, Purpose.SEND)),
        lock=lock,
        template_id=TEMPLATE,
        given_at=NOW,
    )
    return sign_consent(record, tenant.key)


def withdrawal(consent_record: bytes, key: SigningKey) -> bytes:
    return sign_withdrawal(
        ConsentWithdrawal(
            consent=consent_digest(consent_record), template_id=TEMPLATE, withdrawn_at=NOW + 60
        ),
        key,
    )


def bundle(station: EnrollingStation, epoch: int = 1, lock: str = LOCK) -> bytes:
    binding = TemplateBinding(
        building=BUILDING, lock=lock, tenant="Ada Tenant", template_id=TEMPLATE, epoch=epoch
    )
    return seal_template(
        b"minutiae" * 40, binding, lock_sealing_key=LOCK_KEY.public_key, station=station
    )


async def post(ledger: LedgerSite, path: str, payload: object) -> tuple[int, dict[str, object]]:
    before = await row_counts(ledger.site.cloud.engine)
    async with ledger.site.session.post(ledger.url + path, json=payload) as response:
        status, answer = response.status, await response.json()
    if status >= 400:
        assert await row_counts(ledger.site.cloud.engine) == before
    return status, answer


async def post_bundle(ledger: LedgerSite, data: bytes) -> tuple[int, dict[str, object]]:
    return await post(ledger, "/v1/biometrics/bundles", {"bundle": base64.b64encode(data).decode()})


async def held(ledger: LedgerSite) -> list[bytes]:
    async with ledger.site.cloud.engine.connect() as connection:
        rows = await connection.execute(select(sealed_templates.c.bundle))
        return [bytes(row) for row in rows.scalars()]


async def test_a_bundle_is_kept_under_consent_and_re_delivered_to_the_buildings_hub(
    ledger: LedgerSite, tenant: Person, station: EnrollingStation
) -> None:
    answer = await consents(tenant, ledger).submit_consent(consent(tenant))
    sealed = bundle(station)

    status, stored = await post_bundle(ledger, sealed)

    assert answer["stored"] is True
    assert (status, stored["stored"]) == (200, True)
    found = await ledger.site.client._call("GET", f"/v1/biometrics/locks/{LOCK}/bundles")
    assert [base64.b64decode(item) for item in found["bundles"]] == [sealed]
    assert b"minutiae" not in sealed


async def test_a_bundle_without_a_consent_to_store_is_refused(
    ledger: LedgerSite, tenant: Person, station: EnrollingStation
) -> None:
    status, answer = await post_bundle(ledger, bundle(station))
    assert (status, answer["error"]) == (403, "no_consent")

    await consents(tenant, ledger).submit_consent(consent(tenant, Purpose.CAPTURE))
    status, answer = await post_bundle(ledger, bundle(station))
    assert (status, answer["error"]) == (403, "no_consent")

    # A consent to store it for another lock does not count: the template is bound to the lock
    # of its first consent (SPEC S1), and such a consent is refused.
    with pytest.raises(CloudRefused) as other_lock:
        await consents(tenant, ledger).submit_consent(consent(tenant, Purpose.STORE, lock="other"))
    assert (other_lock.value.status, other_lock.value.reason) == (403, "template_not_yours")
    status, answer = await post_bundle(ledger, bundle(station))
    assert (status, answer["error"]) == (403, "no_consent")
    assert await held(ledger) == []


async def test_a_bundle_from_a_station_not_in_the_ledger_or_forged_is_refused(
    ledger: LedgerSite, tenant: Person, station: EnrollingStation
) -> None:
    await consents(tenant, ledger).submit_consent(consent(tenant))
    stranger = EnrollingStation("station-lobby", SigningKey.generate(), SealingKey.generate())

    status, answer = await post_bundle(ledger, bundle(stranger))
    assert (status, answer["error"]) == (403, "unknown_key")

    sealed = bytearray(bundle(station))
    sealed[-1] ^= 1
    status, answer = await post_bundle(ledger, bytes(sealed))
    assert (status, answer["error"]) == (401, "bad_signature")


async def test_withdrawal_erases_every_bundle_and_the_template_id_takes_no_more(
    ledger: LedgerSite, tenant: Person, station: EnrollingStation
) -> None:
    given = consent(tenant)
    await consents(tenant, ledger).submit_consent(given)
    first, second = bundle(station, 1), bundle(station, 2)
    await post_bundle(ledger, first)
    await post_bundle(ledger, second)

    answer = await consents(tenant, ledger).withdraw(withdrawal(given, tenant.key))

    assert sorted(item["digest"] for item in answer["erased"]) == sorted(
        [read_bundle(first).record.digest.hex(), read_bundle(second).record.digest.hex()]
    )
    assert await held(ledger) == []
    status = await consents(tenant, ledger).status(TEMPLATE)
    assert status["withdrawn"] is True
    assert status["bundles_held"] == []
    assert status["bundles_erased"] == 2
    code, refused = await post_bundle(ledger, bundle(station, 3))
    assert (code, refused["error"]) == (409, "consent_withdrawn")
    with pytest.raises(CloudRefused) as again:
        await consents(tenant, ledger).submit_consent(consent(tenant))
    assert (again.value.status, again.value.reason) == (409, "consent_withdrawn")
    repeated = await consents(tenant, ledger).withdraw(withdrawal(given, tenant.key))
    assert repeated["already_withdrawn"] is True
    assert repeated["erased"] == []


async def test_a_withdrawal_signed_by_a_key_not_in_the_ledger_is_refused(
    ledger: LedgerSite, tenant: Person, station: EnrollingStation
) -> None:
    given = consent(tenant)
    await consents(tenant, ledger).submit_consent(given)
    await post_bundle(ledger, bundle(station))
    forged = withdrawal(given, SigningKey.generate())

    status, answer = await post(
        ledger, "/v1/biometrics/withdrawals", {"withdrawal": base64.b64encode(forged).decode()}
    )

    assert (status, answer["error"]) == (403, "unknown_key")
    assert len(await held(ledger)) == 1


async def test_a_consent_from_a_key_not_in_the_ledger_is_refused(ledger: LedgerSite) -> None:
    unknown = person("Eve", "EV0001")

    status, answer = await post(
        ledger,
        "/v1/biometrics/consents",
        {"consent": base64.b64encode(consent(unknown)).decode()},
    )

    assert (status, answer["error"]) == (403, "unknown_key")


async def test_template_status_is_the_consenting_tenants_only(
    ledger: LedgerSite, tenant: Person
) -> None:
    await consents(tenant, ledger).submit_consent(consent(tenant))
    stranger = await register(ledger, person("Bob Stranger", "ZZ999"), Role.TENANT)

    with pytest.raises(CloudRefused) as refused:
        await consents(stranger, ledger).status(TEMPLATE)

    assert (refused.value.status, refused.value.reason) == (404, "unknown_template")
    assert (await consents(tenant, ledger).status(TEMPLATE))["consents"][0]["lock"] == LOCK


async def test_a_hub_of_another_building_gets_no_bundles(
    ledger: LedgerSite, tenant: Person, station: EnrollingStation
) -> None:
    await consents(tenant, ledger).submit_consent(consent(tenant))
    await post_bundle(ledger, bundle(station))
    other = CloudClient(ledger.site.session, ledger.url, SigningKey.generate())
    await other.enrol(await create_enrolment(ledger.site.cloud.engine, "Oak House"))

    found = await other._call("GET", f"/v1/biometrics/locks/{LOCK}/bundles")

    assert found == {"bundles": []}
    async with ledger.site.session.get(f"{ledger.url}/v1/biometrics/locks/{LOCK}/bundles") as r:
        assert r.status == 401


async def test_a_tenant_who_rotated_their_key_withdraws_with_the_new_one(
    ledger: LedgerSite, tenant: Person, station: EnrollingStation
) -> None:
    given = consent(tenant)
    await consents(tenant, ledger).submit_consent(given)
    await post_bundle(ledger, bundle(station))
    new_key = SigningKey.generate()
    await ledger.anyone.rotate(
        rotate_key(tenant.key, new_key.public_key, NOW + 1, building=BUILDING), new_key
    )

    answer = await consents(tenant, ledger).withdraw(withdrawal(given, new_key))

    assert len(answer["erased"]) == 1
    assert await held(ledger) == []


async def test_another_tenants_ledger_key_cannot_withdraw_a_consent(
    ledger: LedgerSite, tenant: Person, station: EnrollingStation
) -> None:
    given = consent(tenant)
    await consents(tenant, ledger).submit_consent(given)
    await post_bundle(ledger, bundle(station))
    stranger = await register(ledger, person("Bob Stranger", "ZZ999"), Role.TENANT)
    forged = withdrawal(given, stranger.key)

    status, answer = await post(
        ledger, "/v1/biometrics/withdrawals", {"withdrawal": base64.b64encode(forged).decode()}
    )

    assert (status, answer["error"]) == (401, "bad_signature")
    assert len(await held(ledger)) == 1
