"""Anti-sublet: only the grant holder's own enrolled finger opens the door, others are reported."""

from dataclasses import replace

import pytest

from buildinghub.biometrics.matching import FingerRefusal, admit_finger
from buildinghub.biometrics.sealing import TemplateBinding
from buildinghub.credentials.grant import Grant, GrantKind
from buildinghub.credentials.keys import SigningKey

from .conftest import LOCK, NOW, OTHER_LOCK, TEMPLATE_ID, TENANT


@pytest.fixture(scope="module")
def lease() -> Grant:
    return Grant(
        issuer="landlord-3",
        subject=TENANT,
        audience=LOCK,
        not_before=NOW,
        expires=NOW + 86_400 * 365,
        issued_at=NOW,
        grant_id=bytes(16),
        holder_key=SigningKey.generate().public_key,
        kind=GrantKind.LEASE,
    )


def test_the_enrolled_tenants_finger_opens_under_their_grant(
    lease: Grant, binding: TemplateBinding
) -> None:
    decision = admit_finger(lease, binding)

    assert decision.admitted
    assert decision.refusal is None
    assert decision.tenant == TENANT


def test_another_persons_finger_on_the_same_grant_is_refused_and_named(
    lease: Grant, binding: TemplateBinding
) -> None:
    subtenant = replace(binding, tenant="subtenant-0099", template_id=bytes(range(1, 17)))

    decision = admit_finger(lease, subtenant)

    assert not decision.admitted
    assert decision.refusal == "not_enrolled_tenant"
    assert decision.tenant == "subtenant-0099"
    assert decision.template_id == bytes(range(1, 17))


def test_a_finger_matching_no_template_is_refused(lease: Grant) -> None:
    decision = admit_finger(lease, None)

    assert not decision.admitted
    assert decision.refusal is FingerRefusal.NO_MATCH


def test_a_template_enrolled_for_another_lock_does_not_open_this_one(
    lease: Grant, binding: TemplateBinding
) -> None:
    decision = admit_finger(lease, replace(binding, lock=OTHER_LOCK))

    assert not decision.admitted
    assert decision.refusal is FingerRefusal.WRONG_LOCK
    assert decision.template_id == TEMPLATE_ID
