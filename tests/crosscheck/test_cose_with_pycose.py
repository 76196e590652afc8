"""Grants, share chains, signed records and countersigned documents, verified by pycose.

Our verifiers and the simulated locks all use buildinghub.credentials, so a mistake in how we
sign (the Sig_structure, the protected header, the key id) would pass every test that only
runs our own code at both ends. Here pycose checks each signature and the claims are read with
plain cbor2 against the formats as documented (RFC 9052, RFC 8392, RFC 8747 and the tables in
buildinghub/credentials/grant.py and signed_record.py).
"""

from __future__ import annotations

import datetime
import hashlib
import os

import cbor2
import pytest

from buildinghub.biometrics.consent import (
    ConsentRecord,
    ConsentWithdrawal,
    Purpose,
    sign_consent,
    sign_withdrawal,
)
from buildinghub.biometrics.erase import (
    EraseConfirmation,
    EraseTemplate,
    sign_confirmation,
    sign_erase,
)
from buildinghub.biometrics.sealing import KnownStation
from buildinghub.biometrics.station import StationAuthorisation, sign_authorisation
from buildinghub.credentials import Grant, GrantKind, SigningKey, decode_grant, issue_grant
from buildinghub.credentials.booking_delegation import BookingDelegation, sign_delegation
from buildinghub.credentials.delegation import ShareTerms, issue_share
from buildinghub.credentials.grant import ShareMode
from buildinghub.credentials.installation import InstallationRecord, sign_installation
from buildinghub.credentials.lock_command import (
    Appointment,
    CommandAction,
    LockCommand,
    appoint_manager,
    sign_command,
)
from buildinghub.keylog.records import (
    CheckMethod,
    IdentityCheckRecord,
    ListingRecord,
    sign_identity_check,
    sign_listing,
)
from buildinghub.tenancy.countersigned import countersigned, sign_document
from buildinghub.tenancy.credit import CreditRequest, sign_credit_request
from buildinghub.tenancy.rent import PaymentRecord, sign_payment

from .pycose_check import (
    COSE_SIGN1_TAG,
    COSE_SIGN_TAG,
    refused_by_another_key,
    verified_sign,
    verified_sign1,
)

NOW = 1_767_225_600  # 2026-01-01T00:00:00Z
DAY = 86_400
LOCK = "b7-floor3-flat12-door"
# CWT claim keys (RFC 8392 §4) and ours (grant.py), COSE_Key labels (RFC 9052 §7, RFC 9053 §7.1).
ISS, SUB, AUD, EXP, NBF, IAT, CTI, CNF = 1, 2, 3, 4, 5, 6, 7, 8
KIND, MAY_SHARE, SHARE_MODE, PARENT = -70001, -70003, -70004, -70006
KTY, CRV, X, Y, EC2, P_256 = 1, -1, -2, -3, 2, 1


def point(key: SigningKey) -> bytes:
    return key.public_key.to_bytes()


def kid(key: SigningKey) -> bytes:
    """Our key id, as keys.py defines it: the first 16 bytes of SHA-256 of the SEC1 point."""
    return hashlib.sha256(point(key)).digest()[:16]


def holder_point(claims: dict[int, object]) -> bytes:
    """The holder's key named in cnf (RFC 8747 §3.2: {1: COSE_Key}), as a SEC1 point."""
    cnf = claims[CNF]
    assert isinstance(cnf, dict)
    assert list(cnf) == [1]
    cose_key = cnf[1]
    assert (cose_key[KTY], cose_key[CRV]) == (EC2, P_256)
    return b"\x04" + cose_key[X] + cose_key[Y]


@pytest.fixture(scope="module")
def landlord() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture(scope="module")
def tenant() -> SigningKey:
    return SigningKey.generate()


def lease(holder: SigningKey, **changes: object) -> Grant:
    fields: dict[str, object] = {
        "issuer": "landlord-7",
        "subject": "tenant-0042",
        "audience": LOCK,
        "not_before": NOW,
        "expires": NOW + 30 * DAY,
        "issued_at": NOW,
        "grant_id": os.urandom(16),
        "holder_key": holder.public_key,
        "kind": GrantKind.LEASE,
    }
    return Grant(**{**fields, **changes})  # type: ignore[arg-type]


def test_a_grant_is_a_cose_sign1_over_cwt_claims_pycose_verifies(
    landlord: SigningKey, tenant: SigningKey
) -> None:
    grant = lease(tenant, max_uses=3)
    encoded = issue_grant(grant, landlord)

    key_id, claims = verified_sign1(encoded, point(landlord))

    assert key_id == kid(landlord)
    assert (claims[ISS], claims[SUB], claims[AUD]) == ("landlord-7", "tenant-0042", LOCK)
    assert (claims[NBF], claims[EXP], claims[IAT]) == (NOW, NOW + 30 * DAY, NOW)
    assert claims[CTI] == grant.grant_id
    assert holder_point(claims) == point(tenant)
    assert (claims[KIND], claims[MAY_SHARE], claims[-70002]) == ("lease", False, 3)
    assert refused_by_another_key(encoded, COSE_SIGN1_TAG, point(tenant))


def test_every_link_of_a_share_chain_verifies_with_the_key_its_parent_names(
    landlord: SigningKey,
) -> None:
    owner, friend, friends_partner = (SigningKey.generate() for _ in range(3))
    root = issue_grant(lease(owner, kind=GrantKind.EKEY, subject="owner", may_share=True), landlord)
    share = issue_share(
        decode_grant(root),
        owner,
        ShareTerms(
            recipient="friend",
            recipient_key=friend.public_key,
            not_before=NOW + DAY,
            expires=NOW + 2 * DAY,
            max_uses=None,
            mode=ShareMode.CO_USE,
            may_share=True,
        ),
        grant_id=os.urandom(16),
        now=NOW,
    )
    reshare = issue_share(
        decode_grant(share),
        friend,
        ShareTerms(
            recipient="partner",
            recipient_key=friends_partner.public_key,
            not_before=NOW + DAY,
            expires=NOW + DAY + 3600,
            max_uses=1,
            mode=ShareMode.CO_USE,
            may_share=False,
        ),
        grant_id=os.urandom(16),
        now=NOW,
    )

    _, root_claims = verified_sign1(root, point(landlord))
    chain = [(root, root_claims)]
    for link in (share, reshare):
        parent, parent_claims = chain[-1]
        # Signed by the key the parent names in its cnf, naming the parent by its SHA-256.
        key_id, claims = verified_sign1(link, holder_point(parent_claims))
        assert key_id == hashlib.sha256(holder_point(parent_claims)).digest()[:16]
        assert claims[PARENT] == hashlib.sha256(parent).digest()
        assert (claims[KIND], claims[SHARE_MODE]) == ("share", "co_use")
        assert claims[ISS] == parent_claims[SUB]
        assert claims[AUD] == parent_claims[AUD] == LOCK
        assert parent_claims[NBF] <= claims[NBF] < claims[EXP] <= parent_claims[EXP]
        chain.append((link, claims))
    assert holder_point(chain[-1][1]) == point(friends_partner)
    assert refused_by_another_key(reshare, COSE_SIGN1_TAG, point(owner))


def signed_records(landlord: SigningKey, tenant: SigningKey) -> list[tuple[str, bytes, SigningKey]]:
    """(record type, record, signer) for each kind of signed record a lock or the cloud reads."""
    manager = SigningKey.generate()
    appointment = appoint_manager(
        Appointment(lock=LOCK, manager_key=manager.public_key, expires=NOW + DAY), landlord
    )
    command = LockCommand(
        lock=LOCK,
        action=CommandAction.REVOKE,
        grant_id=os.urandom(16),
        until=NOW + DAY,
        nonce=os.urandom(16),
    )
    consent = ConsentRecord(
        tenant="tenant-0042",
        purposes=frozenset({Purpose.CAPTURE, Purpose.STORE}),
        lock=LOCK,
        template_id=os.urandom(16),
        given_at=NOW,
    )
    erase = EraseTemplate(
        building="building-7",
        lock=LOCK,
        template_id=os.urandom(16),
        consent=os.urandom(32),
        command_id=os.urandom(16),
        issued_at=NOW,
    )
    payment = PaymentRecord(
        contract=os.urandom(32),
        tenant="tenant-0042",
        due=datetime.date(2026, 2, 1),
        amount=95_000,
        currency="EUR",
        paid_at=NOW,
        reference="rent-2026-02",
    )
    # A command travels as CBOR [command record, appointment or h''] (lock_command.py).
    by_landlord, alone = cbor2.loads(sign_command(command, landlord))
    by_manager, carried = cbor2.loads(sign_command(command, manager, appointment))
    assert (alone, carried) == (b"", appointment)
    withdrawal = ConsentWithdrawal(
        consent=os.urandom(32), template_id=consent.template_id, withdrawn_at=NOW + DAY
    )
    confirmation = EraseConfirmation(
        building="building-7",
        lock=LOCK,
        template_id=erase.template_id,
        command=os.urandom(32),
        held=True,
        erased_at=NOW,
    )
    listing = ListingRecord(
        listing_id="listing-12",
        flat="Flat 12",
        landlord="landlord-7",
        details_digest=os.urandom(32),
        listed_at=NOW,
    )
    identity_check = IdentityCheckRecord(
        tenant=os.urandom(32),
        tenant_key=os.urandom(32),
        method=CheckMethod.PASSPORT,
        checked_at=NOW,
        checked_by="station-1",
    )
    credit_request = CreditRequest(
        landlord="landlord-7",
        landlord_key=landlord.public_key,
        landlord_sealing_key=SigningKey.generate().public_key,
        tenant="tenant-0042",
        tenant_key=kid(tenant),
        nonce=os.urandom(16),
        issued_at=NOW,
        expires=NOW + DAY,
    )
    lock_key = SigningKey.generate()
    station = KnownStation(
        "front-desk", SigningKey.generate().public_key, SigningKey.generate().public_key
    )
    authorisation = StationAuthorisation(
        building="building-7", lock=LOCK, station=station, issued_at=NOW
    )
    delegation = BookingDelegation(
        delegation_id=os.urandom(16),
        lock=LOCK,
        flat="Flat 12",
        landlord="landlord-7",
        hub_key=SigningKey.generate().public_key,
        kind=GrantKind.VIEWING,
        max_stay_s=14 * DAY,
        horizon_s=90 * DAY,
        not_before=NOW,
        expires=NOW + 365 * DAY,
    )
    return [
        ("station-authorisation", sign_authorisation(authorisation, landlord), landlord),
        ("booking_delegation", sign_delegation(delegation, landlord), landlord),
        ("biometric-consent-withdrawal", sign_withdrawal(withdrawal, tenant), tenant),
        ("erase-confirmation", sign_confirmation(confirmation, lock_key), lock_key),
        ("listing", sign_listing(listing, landlord), landlord),
        ("identity-check", sign_identity_check(identity_check, manager), manager),
        ("credit-request", sign_credit_request(credit_request, landlord), landlord),
        ("lock-manager", appointment, landlord),
        ("lock-command", by_landlord, landlord),
        ("lock-command", by_manager, manager),
        ("biometric-consent", sign_consent(consent, tenant), tenant),
        ("erase-template", sign_erase(erase, landlord), landlord),
        ("rent-payment", sign_payment(payment, tenant), tenant),
    ]


def test_signed_records_are_cose_sign1_by_their_signer_pycose_verifies(
    landlord: SigningKey, tenant: SigningKey
) -> None:
    checked = []
    for record_type, record, signer in signed_records(landlord, tenant):
        key_id, fields = verified_sign1(record, point(signer))

        assert key_id == kid(signer)
        assert isinstance(fields, dict)
        assert fields["type"] == record_type
        assert refused_by_another_key(record, COSE_SIGN1_TAG, point(SigningKey.generate()))
        checked.append(record_type)
    assert len(checked) == 13


def test_an_installation_record_is_signed_by_the_landlord_it_names(
    landlord: SigningKey,
) -> None:
    lock_key, sealing = SigningKey.generate(), SigningKey.generate()
    record = sign_installation(
        InstallationRecord(
            lock_id=LOCK,
            flat="Flat 12",
            landlord="landlord-7",
            landlord_key=landlord.public_key,
            lock_key=lock_key.public_key,
            lock_sealing_key=sealing.public_key,
            installed_at=NOW,
        ),
        landlord,
    )

    key_id, payload = verified_sign1(record, point(landlord))

    assert key_id == kid(landlord)
    assert point(landlord) in _byte_strings(payload)
    assert LOCK in _texts(payload)


def test_a_countersigned_document_is_a_cose_sign_pycose_verifies_for_both_parties(
    landlord: SigningKey, tenant: SigningKey
) -> None:
    document = b"tenancy of Flat 12 from 2026-02-01, 950.00 EUR a month"
    parties = (landlord.public_key, tenant.public_key)
    signed = countersigned(
        document,
        landlord=sign_document(document, landlord, parties=parties),
        tenant=sign_document(document, tenant, parties=parties),
    )

    assert verified_sign(signed, [point(landlord), point(tenant)]) == document
    assert refused_by_another_key(signed, COSE_SIGN_TAG, point(tenant))


def _byte_strings(item: object) -> list[bytes]:
    if isinstance(item, bytes):
        return [item]
    values = item.values() if isinstance(item, dict) else item if isinstance(item, list) else []
    return [found for value in values for found in _byte_strings(value)]


def _texts(item: object) -> list[str]:
    if isinstance(item, str):
        return [item]
    values = item.values() if isinstance(item, dict) else item if isinstance(item, list) else []
    return [found for value in values for found in _texts(value)]
