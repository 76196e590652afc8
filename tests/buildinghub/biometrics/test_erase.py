"""Erase on withdrawal: the lock erases on a trusted command and confirms with its own signature."""

import os
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from buildinghub.biometrics.consent import ConsentBook, ConsentWithdrawal, Purpose, sign_withdrawal
from buildinghub.biometrics.erase import (
    EraseConfirmation,
    EraseTemplate,
    command_digest,
    sign_confirmation,
    sign_erase,
    verify_confirmation,
)
from buildinghub.biometrics.errors import EraseRefused, TemplateReplayed, WrongLock
from buildinghub.biometrics.lock_templates import LockTemplates
from buildinghub.biometrics.matching import admit_finger
from buildinghub.credentials.errors import CredentialError
from buildinghub.credentials.grant import Grant, GrantKind
from buildinghub.credentials.keys import SigningKey
from tests.buildinghub.tampering import flip

from .conftest import BUILDING, LOCK, NOW, TEMPLATE_ID, TENANT, Lock

CONSENT_DIGEST = bytes(range(32))


def _command(**changes: object) -> EraseTemplate:
    command = EraseTemplate(
        building=BUILDING,
        lock=LOCK,
        template_id=TEMPLATE_ID,
        consent=CONSENT_DIGEST,
        command_id=os.urandom(16),
        issued_at=NOW,
    )
    return replace(command, **changes)  # type: ignore[arg-type]


def test_the_lock_erases_the_template_and_the_hub_verifies_its_confirmation(
    lock_templates: LockTemplates, bundle: bytes, hub_key: SigningKey, lock: Lock
) -> None:
    lock_templates.import_bundle(bundle)
    command = sign_erase(_command(), hub_key)

    confirmation = verify_confirmation(
        lock_templates.erase(command, now=NOW + 5),
        command=command,
        lock_key=lock.signing_key.public_key,
    )

    assert confirmation.held
    assert confirmation.template_id == TEMPLATE_ID
    assert confirmation.erased_at == NOW + 5
    assert lock_templates.template(TEMPLATE_ID) is None
    assert lock_templates.template_ids() == frozenset()


def test_an_erased_templates_old_bundle_cannot_be_imported_again(
    lock_templates: LockTemplates, bundle: bytes, hub_key: SigningKey
) -> None:
    lock_templates.import_bundle(bundle)
    lock_templates.erase(sign_erase(_command(), hub_key), now=NOW)

    with pytest.raises(TemplateReplayed):
        lock_templates.import_bundle(bundle)


def test_erasing_a_template_the_lock_does_not_hold_is_confirmed_as_not_held(
    lock_templates: LockTemplates, hub_key: SigningKey, lock: Lock
) -> None:
    command = sign_erase(_command(), hub_key)

    confirmation = verify_confirmation(
        lock_templates.erase(command, now=NOW),
        command=command,
        lock_key=lock.signing_key.public_key,
    )

    assert not confirmation.held


def test_an_erase_command_from_an_untrusted_key_changes_nothing(
    lock_templates: LockTemplates, bundle: bytes
) -> None:
    lock_templates.import_bundle(bundle)

    with pytest.raises(EraseRefused, match="does not trust") as refused:
        lock_templates.erase(sign_erase(_command(), SigningKey.generate()), now=NOW)

    assert refused.value.reason == "erase_refused"
    assert lock_templates.template_ids() == {TEMPLATE_ID}


def test_an_erase_command_for_another_lock_changes_nothing(
    lock_templates: LockTemplates, bundle: bytes, hub_key: SigningKey
) -> None:
    lock_templates.import_bundle(bundle)

    with pytest.raises(WrongLock):
        lock_templates.erase(sign_erase(_command(lock="b7-floor1-flat02-door"), hub_key), now=NOW)

    assert lock_templates.template_ids() == {TEMPLATE_ID}


def test_a_confirmation_not_signed_by_the_lock_is_refused(hub_key: SigningKey) -> None:
    command = sign_erase(_command(), hub_key)
    forged = sign_confirmation(
        EraseConfirmation(
            building=BUILDING,
            lock=LOCK,
            template_id=TEMPLATE_ID,
            command=command_digest(command),
            held=True,
            erased_at=NOW,
        ),
        SigningKey.generate(),
    )

    with pytest.raises(EraseRefused, match="not the lock's"):
        verify_confirmation(forged, command=command, lock_key=SigningKey.generate().public_key)


def test_a_confirmation_of_another_command_is_refused(
    lock_templates: LockTemplates, hub_key: SigningKey, lock: Lock
) -> None:
    first = sign_erase(_command(), hub_key)
    second = sign_erase(_command(), hub_key)
    confirmation = lock_templates.erase(first, now=NOW)

    with pytest.raises(EraseRefused, match="another command"):
        verify_confirmation(confirmation, command=second, lock_key=lock.signing_key.public_key)


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_no_single_bit_change_of_an_erase_command_is_executed(
    lock: Lock, hub_key: SigningKey, bundle: bytes, data: st.DataObject
) -> None:
    command = sign_erase(_command(), hub_key)
    bit = data.draw(st.integers(0, len(command) * 8 - 1), label="bit")
    with pytest.raises(CredentialError):
        LockTemplates(
            building=BUILDING,
            lock=LOCK,
            signing_key=lock.signing_key,
            sealing_key=lock.sealing_key,
            stations=[],
            erase_issuers=[hub_key.public_key],
        ).erase(flip(command, bit), now=NOW)


def test_consent_to_enrolment_to_entry_to_withdrawal_to_erase(
    consent_book: ConsentBook,
    signed_consent: bytes,
    tenant_key: SigningKey,
    lock_templates: LockTemplates,
    bundle: bytes,
    hub_key: SigningKey,
    lock: Lock,
) -> None:
    consent = consent_book.record(signed_consent)
    consent_book.check(TEMPLATE_ID, lock=LOCK, purpose=Purpose.STORE, now=NOW)
    lock_templates.import_bundle(bundle)
    lease = Grant(
        issuer="landlord-3",
        subject=TENANT,
        audience=LOCK,
        not_before=NOW,
        expires=NOW + 86_400,
        issued_at=NOW,
        grant_id=bytes(16),
        holder_key=tenant_key.public_key,
        kind=GrantKind.LEASE,
    )
    assert admit_finger(lease, lock_templates.binding(TEMPLATE_ID)).admitted

    withdrawn = consent_book.withdraw(
        sign_withdrawal(
            ConsentWithdrawal(
                consent=consent.digest, template_id=TEMPLATE_ID, withdrawn_at=NOW + 9
            ),
            tenant_key,
        )
    )
    command = sign_erase(
        _command(template_id=withdrawn.record.template_id, consent=withdrawn.digest), hub_key
    )
    confirmation = verify_confirmation(
        lock_templates.erase(command, now=NOW + 10),
        command=command,
        lock_key=lock.signing_key.public_key,
    )

    assert confirmation.held
    assert admit_finger(lease, lock_templates.binding(TEMPLATE_ID)).refusal == "no_match"


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_no_single_bit_change_of_an_erase_confirmation_is_accepted(
    lock: Lock, hub_key: SigningKey, data: st.DataObject
) -> None:
    command = sign_erase(_command(), hub_key)
    confirmation = sign_confirmation(
        EraseConfirmation(
            building=BUILDING,
            lock=LOCK,
            template_id=TEMPLATE_ID,
            command=command_digest(command),
            held=True,
            erased_at=NOW,
        ),
        lock.signing_key,
    )
    verify_confirmation(confirmation, command=command, lock_key=lock.signing_key.public_key)
    bit = data.draw(st.integers(0, len(confirmation) * 8 - 1), label="bit")

    with pytest.raises(CredentialError):
        verify_confirmation(
            flip(confirmation, bit), command=command, lock_key=lock.signing_key.public_key
        )
