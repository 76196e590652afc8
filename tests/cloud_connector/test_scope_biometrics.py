"""SPEC S1 through the cloud's API: a template belongs to one tenant key and one lock.

The attack of issue 13: a stranger with a tenant key of their own recorded a consent naming
someone else's template id and lock, then withdrew it; the cloud erased every stored bundle of
that id and blocked the id for good. Now the stranger is refused and nothing changes.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from buildinghub.biometrics.consent import ConsentRecord, Purpose, consent_digest, sign_consent
from buildinghub.biometrics.sealing import EnrollingStation
from buildinghub.biometrics.template_owner import MAX_TEMPLATES_PER_TENANT
from buildinghub.keylog.entries import Role
from tests.cloud_connector.people import NOW, Person, person, refused, register
from tests.cloud_connector.test_biometrics_api import (
    LOCK,
    TEMPLATE,
    bundle,
    consent,
    consents,
    held,
    post_bundle,
    withdrawal,
)
from tests.ledger_site import LedgerSite


@pytest.fixture
async def stranger(ledger: LedgerSite) -> Person:
    """A neighbour with a tenant key of their own, checked at the front desk like anyone."""
    return await register(ledger, person("Ada Tenant", "NB000001"), Role.TENANT)


async def test_a_strangers_consent_and_withdrawal_erase_nothing_and_block_nothing(
    ledger: LedgerSite, tenant: Person, stranger: Person, station: EnrollingStation
) -> None:
    mine = consent(tenant)
    await consents(tenant, ledger).submit_consent(mine)
    for epoch in (1, 2):
        assert (await post_bundle(ledger, bundle(station, epoch)))[0] == 200
    sealed = await held(ledger)

    # The stranger (even under the same display name) consents naming her template and lock...
    theirs = consent(stranger)
    err = await refused(ledger, consents(stranger, ledger).submit_consent(theirs))
    assert (err.status, err.reason) == (403, "template_not_yours")
    # ... and withdraws that consent, or hers: neither is theirs to withdraw.
    err = await refused(
        ledger, consents(stranger, ledger).withdraw(withdrawal(theirs, stranger.key))
    )
    assert (err.status, err.reason) == (404, "unknown_consent")
    err = await refused(ledger, consents(stranger, ledger).withdraw(withdrawal(mine, stranger.key)))
    assert (err.status, err.reason) == (401, "bad_signature")

    assert await held(ledger) == sealed
    status = await consents(tenant, ledger).status(TEMPLATE)
    assert (status["withdrawn"], len(status["bundles_held"])) == (False, 2)
    # The template still takes its own tenant's consents.
    again = sign_consent(
        replace(_record(tenant), given_at=NOW + 60, purposes=frozenset({Purpose.SEND})),
        tenant.key,
    )
    assert (await consents(tenant, ledger).submit_consent(again))["stored"] is True


async def test_a_consent_cannot_move_a_template_to_another_lock(
    ledger: LedgerSite, tenant: Person
) -> None:
    await consents(tenant, ledger).submit_consent(consent(tenant))

    err = await refused(
        ledger, consents(tenant, ledger).submit_consent(consent(tenant, lock="elm-2b-door"))
    )

    assert (err.status, err.reason) == (403, "template_not_yours")
    assert f"bound to lock {LOCK}" in str(err)


async def test_a_tenant_key_no_station_checked_cannot_consent(ledger: LedgerSite) -> None:
    unchecked = await register(ledger, person("Una", "UN0001"), Role.TENANT, checked=False)

    err = await refused(ledger, consents(unchecked, ledger).submit_consent(consent(unchecked)))

    assert (err.status, err.reason) == (403, "identity_not_checked")


async def test_the_same_consent_signed_twice_is_stored_once(
    ledger: LedgerSite, tenant: Person
) -> None:
    first, second = consent(tenant), consent(tenant)  # ECDSA: other bytes, same content
    assert first != second

    answers = [await consents(tenant, ledger).submit_consent(c) for c in (first, second)]

    assert [a["stored"] for a in answers] == [True, False]
    assert answers[0]["digest"] == answers[1]["digest"] == consent_digest(second).hex()


async def test_a_tenant_keeps_a_bounded_number_of_template_ids(
    ledger: LedgerSite, tenant: Person
) -> None:
    client = consents(tenant, ledger)
    for n in range(MAX_TEMPLATES_PER_TENANT):
        record = replace(_record(tenant), template_id=n.to_bytes(16))
        await client.submit_consent(sign_consent(record, tenant.key))

    one_more = replace(_record(tenant), template_id=b"\xff" * 16)
    err = await refused(ledger, client.submit_consent(sign_consent(one_more, tenant.key)))

    assert (err.status, err.reason) == (409, "too_many_templates")


def _record(tenant: Person) -> ConsentRecord:
    return ConsentRecord(
        tenant=tenant.name,
        purposes=frozenset(Purpose),
        lock=LOCK,
        template_id=TEMPLATE,
        given_at=NOW,
    )
