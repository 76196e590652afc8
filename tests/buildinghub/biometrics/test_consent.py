"""Consent first: a template is used only for the purposes and lock a tenant signed for."""

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from buildinghub.biometrics.consent import (
    ConsentBook,
    ConsentRecord,
    ConsentWithdrawal,
    Purpose,
    sign_consent,
    sign_withdrawal,
)
from buildinghub.biometrics.errors import (
    ConsentWithdrawn,
    NoConsent,
    TemplateNotYours,
    TooManyTemplates,
)
from buildinghub.biometrics.template_owner import (
    MAX_CONSENTS_PER_TEMPLATE,
    MAX_TEMPLATES_PER_TENANT,
)
from buildinghub.credentials.errors import BadSignature, CredentialError
from buildinghub.credentials.keys import SigningKey
from buildinghub.credentials.signed_record import MalformedRecord, sign_record
from tests.buildinghub.tampering import flip

from .conftest import LOCK, NOW, OTHER_LOCK, TEMPLATE_ID, TENANT


def _withdrawal(consent_digest: bytes, at: int) -> ConsentWithdrawal:
    return ConsentWithdrawal(consent=consent_digest, template_id=TEMPLATE_ID, withdrawn_at=at)


def test_a_signed_consent_allows_each_purpose_it_names_at_its_lock(
    consent_book: ConsentBook, signed_consent: bytes, consent: ConsentRecord
) -> None:
    recorded = consent_book.record(signed_consent)

    assert recorded.record == consent
    for purpose in (Purpose.CAPTURE, Purpose.STORE):
        assert consent_book.check(TEMPLATE_ID, lock=LOCK, purpose=purpose, now=NOW) == recorded


def test_without_any_consent_nothing_may_be_captured(consent_book: ConsentBook) -> None:
    with pytest.raises(NoConsent, match="the tenant must sign one first"):
        consent_book.check(TEMPLATE_ID, lock=LOCK, purpose=Purpose.CAPTURE, now=NOW)


def test_a_purpose_the_consent_does_not_name_is_refused(
    consent_book: ConsentBook, signed_consent: bytes
) -> None:
    consent_book.record(signed_consent)

    with pytest.raises(NoConsent) as refused:
        consent_book.check(TEMPLATE_ID, lock=LOCK, purpose=Purpose.SEND, now=NOW)

    assert refused.value.reason == "no_consent"


def test_a_consent_for_one_lock_does_not_cover_another(
    consent_book: ConsentBook, signed_consent: bytes
) -> None:
    consent_book.record(signed_consent)

    with pytest.raises(NoConsent):
        consent_book.check(TEMPLATE_ID, lock=OTHER_LOCK, purpose=Purpose.STORE, now=NOW)


def test_a_consent_does_not_cover_another_template(
    consent_book: ConsentBook, signed_consent: bytes
) -> None:
    consent_book.record(signed_consent)

    with pytest.raises(NoConsent):
        consent_book.check(bytes(16), lock=LOCK, purpose=Purpose.STORE, now=NOW)


def test_a_consent_does_not_cover_the_time_before_it_was_given(
    consent_book: ConsentBook, signed_consent: bytes
) -> None:
    consent_book.record(signed_consent)

    with pytest.raises(NoConsent):
        consent_book.check(TEMPLATE_ID, lock=LOCK, purpose=Purpose.CAPTURE, now=NOW - 1)


def test_after_withdrawal_the_template_may_no_longer_be_used(
    consent_book: ConsentBook, signed_consent: bytes, tenant_key: SigningKey
) -> None:
    recorded = consent_book.record(signed_consent)

    withdrawn = consent_book.withdraw(
        sign_withdrawal(_withdrawal(recorded.digest, NOW + 60), tenant_key)
    )

    assert withdrawn.withdrawn_at == NOW + 60
    consent_book.check(TEMPLATE_ID, lock=LOCK, purpose=Purpose.STORE, now=NOW + 59)
    with pytest.raises(ConsentWithdrawn, match="must be erased") as refused:
        consent_book.check(TEMPLATE_ID, lock=LOCK, purpose=Purpose.STORE, now=NOW + 60)
    assert refused.value.reason == "consent_withdrawn"


def test_withdrawing_again_keeps_the_first_time_of_withdrawal(
    consent_book: ConsentBook, signed_consent: bytes, tenant_key: SigningKey
) -> None:
    digest = consent_book.record(signed_consent).digest
    consent_book.withdraw(sign_withdrawal(_withdrawal(digest, NOW + 60), tenant_key))

    again = consent_book.withdraw(sign_withdrawal(_withdrawal(digest, NOW + 600), tenant_key))

    assert again.withdrawn_at == NOW + 60


def test_recording_a_withdrawn_consent_again_does_not_revive_it(
    consent_book: ConsentBook, signed_consent: bytes, tenant_key: SigningKey
) -> None:
    digest = consent_book.record(signed_consent).digest
    consent_book.withdraw(sign_withdrawal(_withdrawal(digest, NOW + 60), tenant_key))

    assert consent_book.record(signed_consent).withdrawn_at == NOW + 60
    with pytest.raises(ConsentWithdrawn):
        consent_book.check(TEMPLATE_ID, lock=LOCK, purpose=Purpose.STORE, now=NOW + 60)


def test_a_new_consent_after_a_withdrawal_allows_use_again(
    consent_book: ConsentBook,
    signed_consent: bytes,
    consent: ConsentRecord,
    tenant_key: SigningKey,
) -> None:
    digest = consent_book.record(signed_consent).digest
    consent_book.withdraw(sign_withdrawal(_withdrawal(digest, NOW + 60), tenant_key))

    consent_book.record(sign_consent(replace(consent, given_at=NOW + 120), tenant_key))

    consent_book.check(TEMPLATE_ID, lock=LOCK, purpose=Purpose.STORE, now=NOW + 120)


def test_a_consent_signed_by_someone_else_is_refused(
    consent_book: ConsentBook, consent: ConsentRecord
) -> None:
    forged = sign_consent(consent, SigningKey.generate())

    with pytest.raises(BadSignature):
        consent_book.record(forged)
    assert list(consent_book) == []


def test_a_consent_for_a_tenant_whose_key_is_unknown_is_refused(
    consent_book: ConsentBook, consent: ConsentRecord, tenant_key: SigningKey
) -> None:
    with pytest.raises(BadSignature, match="key ledger"):
        consent_book.record(sign_consent(replace(consent, tenant="tenant-9999"), tenant_key))


def test_a_withdrawal_signed_by_someone_else_changes_nothing(
    consent_book: ConsentBook, signed_consent: bytes
) -> None:
    digest = consent_book.record(signed_consent).digest

    with pytest.raises(BadSignature):
        consent_book.withdraw(sign_withdrawal(_withdrawal(digest, NOW), SigningKey.generate()))

    consent_book.check(TEMPLATE_ID, lock=LOCK, purpose=Purpose.STORE, now=NOW + 1)


def test_a_withdrawal_of_an_unknown_consent_is_refused(
    consent_book: ConsentBook, tenant_key: SigningKey
) -> None:
    with pytest.raises(NoConsent, match="does not hold"):
        consent_book.withdraw(sign_withdrawal(_withdrawal(bytes(32), NOW), tenant_key))


def test_a_withdrawal_dated_before_the_consent_is_refused(
    consent_book: ConsentBook, signed_consent: bytes, tenant_key: SigningKey
) -> None:
    digest = consent_book.record(signed_consent).digest

    with pytest.raises(MalformedRecord, match="before it was given"):
        consent_book.withdraw(sign_withdrawal(_withdrawal(digest, NOW - 1), tenant_key))


def _consent_fields(**changes: object) -> dict[str, object]:
    fields: dict[str, object] = {
        "tenant": TENANT,
        "purposes": ["capture"],
        "lock": LOCK,
        "template_id": TEMPLATE_ID,
        "given_at": NOW,
    }
    fields.update(changes)
    return fields


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (_consent_fields(purposes=["store", "capture"]), "sorted"),
        (_consent_fields(purposes=["capture", "capture"]), "sorted"),
        (_consent_fields(purposes=["marketing"]), "purposes"),
        (_consent_fields(purposes=[]), "purposes"),
        (_consent_fields(template_id=bytes(15)), "template_id must be 16 bytes"),
        (_consent_fields(given_at=-1), "given_at"),
        (_consent_fields(given_at=True), "given_at"),
        (_consent_fields(extra=1), "unknown"),
        ({k: v for k, v in _consent_fields().items() if k != "lock"}, "missing"),
    ],
    ids=[
        "unsorted",
        "repeated",
        "unknown-purpose",
        "no-purpose",
        "short-id",
        "negative-time",
        "bool-time",
        "extra-field",
        "missing-lock",
    ],
)
def test_a_consent_record_out_of_shape_is_refused(
    consent_book: ConsentBook, tenant_key: SigningKey, fields: dict[str, object], message: str
) -> None:
    data = sign_record("biometric-consent", fields, tenant_key, max_size=512)

    with pytest.raises(MalformedRecord, match=message):
        consent_book.record(data)


def test_a_withdrawal_is_not_accepted_as_a_consent(
    consent_book: ConsentBook, tenant_key: SigningKey
) -> None:
    data = sign_withdrawal(_withdrawal(bytes(32), NOW), tenant_key)

    with pytest.raises(MalformedRecord, match="expected a biometric-consent record"):
        consent_book.record(data)


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_no_single_bit_change_of_a_signed_consent_is_accepted(
    tenant_key: SigningKey, signed_consent: bytes, data: st.DataObject
) -> None:
    bit = data.draw(st.integers(0, len(signed_consent) * 8 - 1), label="bit")
    book = ConsentBook({TENANT: tenant_key.public_key})

    with pytest.raises(CredentialError):
        book.record(flip(signed_consent, bit))


def test_a_neighbours_consent_naming_someone_elses_template_is_refused_and_changes_nothing(
    tenant_key: SigningKey, signed_consent: bytes, consent: ConsentRecord
) -> None:
    neighbour = SigningKey.generate()
    book = ConsentBook({TENANT: tenant_key.public_key, "neighbour": neighbour.public_key})
    book.record(signed_consent)
    theirs = sign_consent(replace(consent, tenant="neighbour"), neighbour)

    with pytest.raises(TemplateNotYours, match="belongs to another tenant"):
        book.record(theirs)

    assert [c.record.tenant for c in book] == [TENANT]
    assert book.check(TEMPLATE_ID, lock=LOCK, purpose=Purpose.STORE, now=NOW)


def test_a_template_stays_bound_to_the_lock_of_its_first_consent(
    consent_book: ConsentBook, signed_consent: bytes, consent: ConsentRecord, tenant_key: SigningKey
) -> None:
    consent_book.record(signed_consent)

    with pytest.raises(TemplateNotYours, match=f"bound to lock {LOCK}"):
        consent_book.record(sign_consent(replace(consent, lock=OTHER_LOCK), tenant_key))

    # The same tenant consents again for the same lock (say, to add a purpose): recorded.
    again = sign_consent(replace(consent, given_at=NOW + 60), tenant_key)
    assert consent_book.record(again).record.given_at == NOW + 60


# -- a book that trusts keys, not names (SPEC S1, S3) -------------------------------------


def test_a_book_by_key_takes_a_namesakes_consent_under_its_own_key(
    consent: ConsentRecord, tenant_key: SigningKey
) -> None:
    namesake = SigningKey.generate()
    keys = {k.public_key.kid: k.public_key for k in (tenant_key, namesake)}
    book = ConsentBook.by_key(keys.get)
    other_template = replace(consent, template_id=bytes(16))

    book.record(sign_consent(consent, tenant_key))
    book.record(sign_consent(other_template, namesake))  # the same display name, another key

    mine, theirs = book.owner(TEMPLATE_ID), book.owner(bytes(16))
    assert mine is not None
    assert theirs is not None
    assert (mine.tenant, theirs.tenant) == (tenant_key.public_key.kid, namesake.public_key.kid)


def test_a_book_by_key_refuses_a_key_no_one_vouches_for(consent: ConsentRecord) -> None:
    book = ConsentBook.by_key(lambda _kid: None)

    with pytest.raises(BadSignature, match="not a tenant key this book trusts"):
        book.record(sign_consent(consent, SigningKey.generate()))

    assert list(book) == []


def test_a_book_by_key_takes_a_withdrawal_only_from_the_templates_key(
    consent: ConsentRecord, tenant_key: SigningKey
) -> None:
    stranger = SigningKey.generate()
    keys = {k.public_key.kid: k.public_key for k in (tenant_key, stranger)}
    book = ConsentBook.by_key(keys.get)
    recorded = book.record(sign_consent(consent, tenant_key))

    with pytest.raises(TemplateNotYours):
        book.withdraw(sign_withdrawal(_withdrawal(recorded.digest, NOW), stranger))

    assert book.check(TEMPLATE_ID, lock=LOCK, purpose=Purpose.CAPTURE, now=NOW) == recorded
    assert book.withdraw(sign_withdrawal(_withdrawal(recorded.digest, NOW), tenant_key))


def test_a_key_consents_to_a_bounded_number_of_templates(
    consent: ConsentRecord, tenant_key: SigningKey
) -> None:
    book = ConsentBook.by_key({tenant_key.public_key.kid: tenant_key.public_key}.get)
    for n in range(MAX_TEMPLATES_PER_TENANT):
        book.record(sign_consent(replace(consent, template_id=n.to_bytes(16)), tenant_key))

    with pytest.raises(TooManyTemplates, match="templates per tenant key"):
        book.record(sign_consent(replace(consent, template_id=b"\xff" * 16), tenant_key))

    assert book.owner(b"\xff" * 16) is None
    assert len(list(book)) == MAX_TEMPLATES_PER_TENANT


def test_a_template_takes_a_bounded_number_of_consents(
    consent: ConsentRecord, tenant_key: SigningKey
) -> None:
    book = ConsentBook.by_key({tenant_key.public_key.kid: tenant_key.public_key}.get)
    for n in range(MAX_CONSENTS_PER_TEMPLATE):
        book.record(sign_consent(replace(consent, given_at=NOW + n), tenant_key))

    with pytest.raises(TooManyTemplates, match="consents per template"):
        book.record(sign_consent(replace(consent, given_at=NOW - 1), tenant_key))
    book.record(sign_consent(consent, tenant_key))  # one it holds is no new one

    assert len(list(book)) == MAX_CONSENTS_PER_TEMPLATE
