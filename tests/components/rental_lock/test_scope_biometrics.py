"""SPEC S1 at the hub: a fingerprint template belongs to the key that consented and its lock.

Each attack is made as a resident would make it, through Rental Lock's actions under their
own Home Assistant user, and each test checks that nothing the hub or the lock holds changed
and that the tenant's finger still opens her door.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from pytest_homeassistant_custom_component.common import MockUser

from buildinghub.biometrics.consent import (
    ConsentRecord,
    ConsentWithdrawal,
    Purpose,
    sign_consent,
    sign_withdrawal,
)
from buildinghub.biometrics.template_owner import MAX_TEMPLATES_PER_TENANT
from buildinghub.credentials import GrantKind, SigningKey
from buildinghub_sim.building import SimulatedBuilding

from .conftest import DAY, IssueGrant, make_resident
from .tenants import (
    Tenant,
    at_the_door,
    b64,
    call,
    consent_digest_of,
    consented_and_enrolled,
    enrol,
    lease,
    lock_templates,
)

pytestmark = pytest.mark.usefixtures("init_integration")


@pytest.fixture
async def fred(
    hass: HomeAssistant, building: SimulatedBuilding, issue: IssueGrant, tenant: Tenant
) -> Tenant:
    """Fred, a resident with a lease of his own (flat 1B) and his own key."""
    flat = building.flats[1]
    user = await make_resident(hass, "Fred")
    made = Tenant(flat, SigningKey.generate(), user, "Fred", tenant.start)
    await lease(hass, issue, flat, made.key, made.user)
    return made


def held(hass: HomeAssistant) -> dict[str, Any]:
    """Everything the hub's station holds of consents and templates (public facts)."""
    entry = hass.config_entries.async_entries("rental_lock")[0]
    facts = entry.runtime_data.hub.biometrics.diagnostics()
    return {k: facts[k] for k in ("consents", "templates", "pending_erasures")}


async def refused_as(
    hass: HomeAssistant, user: MockUser, service: str, data: dict[str, Any]
) -> ServiceValidationError:
    with pytest.raises(ServiceValidationError) as caught:
        await call(hass, service, data, user=user)
    return caught.value


async def test_a_neighbour_cannot_record_a_consent_naming_another_tenants_template(
    hass: HomeAssistant, tenant: Tenant, fred: Tenant
) -> None:
    template_id, _ = await consented_and_enrolled(hass, tenant)
    before = held(hass)

    # Fred signs, with his own key, a consent naming Tess's template id and her lock, then
    # withdraws it: the attack that once erased her finger at the hub and the lock.
    stolen = fred.consent(template_id, lock=tenant.flat.lock_id)
    recorded = await refused_as(hass, fred.user, "record_consent", {"consent": stolen})
    withdrawn = await refused_as(
        hass, fred.user, "withdraw_consent", {"withdrawal": fred.withdrawal(stolen, template_id)}
    )

    assert recorded.translation_key == "biometric_template_not_yours"
    assert template_id.hex() in recorded.translation_placeholders["detail"]
    assert withdrawn.translation_key == "biometric_no_consent"
    assert held(hass) == before
    assert lock_templates(tenant.flat) == {template_id}
    shown = await at_the_door(hass, tenant.flat, "Tess")
    assert (shown["event_type"], shown["method"]) == ("access_granted", "fingerprint")


async def test_a_withdrawal_of_her_consent_signed_by_another_key_erases_nothing(
    hass: HomeAssistant, hass_admin_user: MockUser, tenant: Tenant, fred: Tenant
) -> None:
    """Fred signs a withdrawal naming Tess's own consent; even handed in by an administrator
    (who may hand in anyone's), only Tess's key withdraws it."""
    template_id, consent = await consented_and_enrolled(hass, tenant)
    before = held(hass)
    forged = b64(
        sign_withdrawal(
            ConsentWithdrawal(
                consent=consent_digest_of(consent),
                template_id=template_id,
                withdrawn_at=tenant.start,
            ),
            fred.key,
        )
    )

    refused = await refused_as(hass, hass_admin_user, "withdraw_consent", {"withdrawal": forged})

    assert refused.translation_key == "biometric_template_not_yours"
    assert held(hass) == before
    assert lock_templates(tenant.flat) == {template_id}
    shown = await at_the_door(hass, tenant.flat, "Tess")
    assert shown["event_type"] == "access_granted"


async def test_a_template_another_key_consented_to_is_not_enrolled_for_her(
    hass: HomeAssistant, tenant: Tenant, fred: Tenant
) -> None:
    """Fred learned the id Tess's app chose and consented to it first, for her lock: the
    template is his key's, so the manager cannot enrol Tess's finger under it (Fred could
    withdraw it), and is told why."""
    template_id = os.urandom(16)
    await call(
        hass,
        "record_consent",
        {"consent": fred.consent(template_id, lock=tenant.flat.lock_id)},
        user=fred.user,
    )
    mine = await refused_as(
        hass, tenant.user, "record_consent", {"consent": tenant.consent(template_id)}
    )
    before = held(hass)

    with pytest.raises(ServiceValidationError) as caught:
        await enrol(hass, tenant, template_id)

    assert mine.translation_key == "biometric_template_not_yours"
    assert caught.value.translation_key == "biometric_template_not_yours"
    assert held(hass) == before
    assert lock_templates(tenant.flat) == frozenset()


async def test_a_namesake_tenant_neither_blocks_nor_speaks_for_her(
    hass: HomeAssistant,
    building: SimulatedBuilding,
    issue: IssueGrant,
    tenant: Tenant,
) -> None:
    """Another resident's lease is issued under the same display name as Tess's, after hers:
    names are labels, so both consent with their own keys and neither erases the other's."""
    flat = building.flats[1]
    namesake = Tenant(
        flat, SigningKey.generate(), await make_resident(hass, "Tess B"), "Tess B", tenant.start
    )
    grant = issue(
        flat,
        kind=GrantKind.LEASE,
        end=30 * DAY,
        subject=tenant.flat.tenant,
        holder_key=namesake.key.public_key,
    )
    await call(hass, "install_grant", {"grant": b64(grant), "user_id": namesake.user.id})

    template_id, _ = await consented_and_enrolled(hass, tenant)
    theirs = os.urandom(16)
    their_consent = b64(
        sign_consent(
            ConsentRecord(
                tenant=tenant.flat.tenant,  # the same display name
                purposes=frozenset(Purpose),
                lock=flat.lock_id,
                template_id=theirs,
                given_at=tenant.start,
            ),
            namesake.key,
        )
    )
    await call(hass, "record_consent", {"consent": their_consent}, user=namesake.user)
    answer = await call(
        hass,
        "withdraw_consent",
        {"withdrawal": namesake.withdrawal(their_consent, theirs)},
        user=namesake.user,
    )

    assert answer["consent"]["template_id"] == theirs.hex()
    assert lock_templates(tenant.flat) == {template_id}
    assert (await at_the_door(hass, tenant.flat, "Tess"))["event_type"] == "access_granted"


async def test_a_tenant_cannot_fill_the_hub_with_consents(
    hass: HomeAssistant, tenant: Tenant
) -> None:
    """Tess's app hands in consent after consent (SPEC S6): the hub keeps a bounded number of
    templates per key and refuses the next with a clear error, recording nothing."""
    for _ in range(MAX_TEMPLATES_PER_TENANT):
        await call(
            hass, "record_consent", {"consent": tenant.consent(os.urandom(16))}, user=tenant.user
        )
    before = held(hass)

    refused = await refused_as(
        hass, tenant.user, "record_consent", {"consent": tenant.consent(os.urandom(16))}
    )

    assert refused.translation_key == "biometric_too_many_templates"
    assert held(hass) == before
