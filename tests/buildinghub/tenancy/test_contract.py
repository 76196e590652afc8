"""Lease contracts: generated from the terms, signed by both parties, the source of the grant."""

import hashlib
from dataclasses import replace
from datetime import date

import cbor2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from buildinghub.credentials.cose_sign import encode_multi_signed
from buildinghub.credentials.errors import BadSignature, CredentialError, GrantExpired
from buildinghub.credentials.grant import GrantKind, decode_grant
from buildinghub.credentials.keys import SigningKey
from buildinghub.credentials.signed_record import MalformedRecord, encode_fields
from buildinghub.credentials.verifier import GrantVerifier, StaticTrustStore, TrustedIssuer
from buildinghub.tenancy.contract import (
    LeaseTerms,
    SignedContract,
    check_lease_grant,
    contract_document,
    issue_lease_grant,
    lease_grant,
    read_terms,
    sign_contract,
    signed_contract,
    verify_contract,
)
from buildinghub.tenancy.errors import ContractMismatch
from tests.buildinghub.tampering import flip

from .conftest import IDENTITY_NUMBER, Party

JAN_15 = 1_768_435_200  # 2026-01-15T00:00:00Z
NEW_YEAR_2027 = 1_798_761_600  # 2027-01-01T00:00:00Z


class Clock:
    def __init__(self, now: int) -> None:
        self.time = now

    def now(self) -> int:
        return self.time


def test_a_contract_signed_by_both_parties_verifies_to_its_terms(
    contract_bytes: bytes, document: bytes, terms: LeaseTerms
) -> None:
    contract = verify_contract(contract_bytes, agreed=terms)

    assert contract.terms == terms
    assert contract.digest == hashlib.sha256(document).digest()


def test_the_contract_digest_does_not_depend_on_who_signed_first(
    document: bytes, landlord: Party, tenant: Party, contract: SignedContract
) -> None:
    tenant_first = sign_contract(document, tenant.signing_key)
    landlord_second = sign_contract(document, landlord.signing_key)

    again = verify_contract(
        signed_contract(document, landlord=landlord_second, tenant=tenant_first)
    )

    assert again.digest == contract.digest


def test_the_document_is_canonical_cbor_of_the_terms(document: bytes, terms: LeaseTerms) -> None:
    assert read_terms(document) == terms
    assert document == cbor2.dumps(cbor2.loads(document), canonical=True)


def test_the_identity_number_never_appears_in_the_contract(contract_bytes: bytes) -> None:
    for form in (IDENTITY_NUMBER, IDENTITY_NUMBER.replace("-", "")):
        assert form.encode() not in contract_bytes


def test_a_contract_with_only_the_landlords_signature_is_refused(
    document: bytes, landlord: Party
) -> None:
    half = encode_multi_signed(document, [sign_contract(document, landlord.signing_key)])

    with pytest.raises(MalformedRecord, match="exactly 2 signatures"):
        verify_contract(half)


def test_a_tenant_signature_by_another_key_is_refused(
    document: bytes, landlord: Party, tenant: Party
) -> None:
    impostor_signature = sign_contract(document, landlord.signing_key)
    data = signed_contract(
        document,
        landlord=sign_contract(document, landlord.signing_key),
        tenant=impostor_signature,
    )

    with pytest.raises(BadSignature, match="signature 2"):
        verify_contract(data)


def test_the_signatures_in_the_wrong_order_are_refused(
    document: bytes, landlord: Party, tenant: Party
) -> None:
    data = signed_contract(
        document,
        landlord=sign_contract(document, tenant.signing_key),
        tenant=sign_contract(document, landlord.signing_key),
    )

    with pytest.raises(BadSignature):
        verify_contract(data)


def test_only_the_two_parties_may_sign(document: bytes) -> None:
    with pytest.raises(ValueError, match="only the landlord and the tenant"):
        sign_contract(document, SigningKey.generate())


def test_terms_changed_after_signing_do_not_verify(
    terms: LeaseTerms, document: bytes, landlord: Party, tenant: Party
) -> None:
    tenant_signature = sign_contract(document, tenant.signing_key)
    higher_rent = contract_document(replace(terms, rent=120_000))

    data = signed_contract(
        higher_rent,
        landlord=sign_contract(higher_rent, landlord.signing_key),
        tenant=tenant_signature,
    )

    with pytest.raises(BadSignature):
        verify_contract(data)


def test_a_signed_contract_that_differs_from_the_agreed_terms_is_refused(
    contract_bytes: bytes, terms: LeaseTerms
) -> None:
    with pytest.raises(ContractMismatch, match=r"\['rent', 'deposit'\]") as refused:
        verify_contract(contract_bytes, agreed=replace(terms, rent=90_000, deposit=180_000))

    assert refused.value.reason == "contract_mismatch"


def test_the_lease_grant_covers_exactly_the_lease_for_the_tenant_at_the_flats_lock(
    contract: SignedContract, terms: LeaseTerms, tenant: Party
) -> None:
    grant = lease_grant(contract, issued_at=JAN_15)

    assert (grant.not_before, grant.expires) == (JAN_15, NEW_YEAR_2027)
    assert grant.audience == terms.lock
    assert grant.subject == tenant.name
    assert grant.holder_key == tenant.signing_key.public_key
    assert grant.issuer == terms.landlord
    assert grant.kind is GrantKind.LEASE
    assert grant.grant_id == contract.digest[:16]


def test_the_lock_accepts_the_lease_grant_during_the_lease_and_refuses_it_after(
    contract: SignedContract, landlord: Party, terms: LeaseTerms
) -> None:
    encoded = issue_lease_grant(contract, landlord.signing_key, issued_at=JAN_15)
    clock = Clock(JAN_15 + 86_400)
    verifier = GrantVerifier(
        terms.lock,
        StaticTrustStore([TrustedIssuer(terms.landlord, landlord.signing_key.public_key)]),
        clock,
    )

    verified = verifier.verify(encoded)
    check_lease_grant(verified.grant, contract)
    clock.time = NEW_YEAR_2027
    with pytest.raises(GrantExpired):
        verifier.verify(encoded)


def test_only_the_contracts_landlord_issues_its_lease_grant(
    contract: SignedContract, tenant: Party
) -> None:
    with pytest.raises(ContractMismatch, match="only the landlord"):
        issue_lease_grant(contract, tenant.signing_key, issued_at=JAN_15)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"expires": NEW_YEAR_2027 + 86_400}, "expires"),
        ({"not_before": JAN_15 - 86_400}, "not_before"),
        ({"audience": "b7-floor3-flat14-door"}, "audience"),
        ({"subject": "subtenant-0099"}, "subject"),
        ({"may_share": True}, "may_share"),
        ({"grant_id": bytes(16)}, "grant_id"),
    ],
    ids=["later-end", "earlier-start", "other-lock", "other-tenant", "shareable", "untraced"],
)
def test_a_lease_grant_widened_or_moved_from_its_contract_is_refused(
    contract: SignedContract, landlord: Party, change: dict[str, object], field: str
) -> None:
    grant = decode_grant(issue_lease_grant(contract, landlord.signing_key, issued_at=JAN_15)).grant

    with pytest.raises(ContractMismatch, match=field):
        check_lease_grant(replace(grant, **change), contract)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"currency": "eur"}, "ISO 4217"),
        ({"due_day": 32}, "day of the month"),
        ({"rent": 0}, "positive"),
        ({"end": date(2026, 1, 14)}, "ends before it starts"),
        ({"tenant_identity": b"X1234567L"}, "digest"),
        ({"flat": ""}, "flat"),
    ],
    ids=["currency", "due-day", "no-rent", "backwards", "clear-identity", "empty-flat"],
)
def test_terms_out_of_range_are_refused(
    terms: LeaseTerms, change: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        replace(terms, **change)  # type: ignore[arg-type]


def _document_with(document: bytes, **changes: object) -> bytes:
    fields = cbor2.loads(document)
    del fields["type"]
    fields.update(changes)
    return encode_fields("lease-contract", fields)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"start": "20260115"}, "YYYY-MM-DD"),
        ({"start": "2026-02-30"}, "YYYY-MM-DD"),
        ({"rent": 950.0}, "rent"),
        ({"due_day": 0}, "day of the month"),
        ({"extra": 1}, "unknown"),
    ],
    ids=["basic-date", "no-such-day", "float-rent", "due-day-zero", "extra-field"],
)
def test_a_contract_document_out_of_shape_is_refused(
    document: bytes, changes: dict[str, object], message: str
) -> None:
    with pytest.raises(MalformedRecord, match=message):
        read_terms(_document_with(document, **changes))


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_no_single_bit_change_of_a_signed_contract_is_accepted(
    contract_bytes: bytes, data: st.DataObject
) -> None:
    bit = data.draw(st.integers(0, len(contract_bytes) * 8 - 1), label="bit")

    with pytest.raises(CredentialError):
        verify_contract(flip(contract_bytes, bit))
