"""What the people's command line does with the cloud: register, submit, pay, ask and answer.

Each function takes the person's home (keys and profile) and their TenancyClient, checks
everything it can before anything leaves the machine, and returns what to print.
"""

from __future__ import annotations

import base64
import os
import time
from datetime import date
from typing import Any

from buildinghub.credentials.keys import KID_LENGTH
from buildinghub.keylog.atomic_file import write_atomically
from buildinghub.keylog.client import LedgerClient
from buildinghub.keylog.entries import KeyRegistration, RecordKind, Role, SignedRecord
from buildinghub.keylog.errors import KeylogError
from buildinghub.keylog.key_record import KeyRecord
from buildinghub.keylog.person_home import PersonHome
from buildinghub.keylog.person_ledger import ProvenKeys
from buildinghub.keylog.records import CheckMethod, IdentityCheckRecord, sign_identity_check

from .client import TenancyClient
from .contract import SignedContract
from .credit import (
    MAX_REQUEST_LIFETIME,
    CreditRequest,
    CreditRequestBook,
    answer_credit_request,
    build_credit_file,
    credit_request_key,
    open_credit_answer,
    sign_credit_request,
    verify_credit_request,
)
from .errors import TenancyRefused
from .rent import PaymentRecord, open_payment
from .stored_payment import read_stored_payment, stored_payment

REQUESTS_DIRECTORY = "credit-requests"


async def register(
    home: PersonHome, ledger: LedgerClient, now: int, *, building: str
) -> dict[str, Any]:
    """Register the home's key in the key ledger under building (a landlord's or a station's
    through that building's vouching hub; a tenant's is a claim until a station checks it)."""
    subject = home.identity.hex() if home.role is Role.TENANT else home.name
    entry = KeyRegistration(
        home.role, home.signing_key.public_key, home.identity, subject, now, building=building
    )
    if home.role is Role.TENANT:
        index = await ledger.register_tenant(entry, home.signing_key)
    else:
        index = await ledger.register(entry, home.signing_key)
    return {"registered": home.role.value, "subject": subject, "building": building, "index": index}


async def check_identity(
    home: PersonHome,
    ledger: LedgerClient,
    *,
    tenant_kid: bytes,
    identity: bytes,
    method: CheckMethod,
    now: int,
) -> dict[str, Any]:
    """The enrolling station (home) records that staff checked a tenant's identity document:
    it binds the tenant's key to the identity lookup hash in the ledger (SPEC R1)."""
    home.require(Role.STATION)
    check = IdentityCheckRecord(
        tenant=identity,
        tenant_key=tenant_kid,
        method=method,
        checked_at=now,
        checked_by=home.name,
    )
    signed = sign_identity_check(check, home.signing_key)
    index = await ledger.publish(SignedRecord(RecordKind.IDENTITY, signed))
    return {"checked": tenant_kid.hex(), "method": method.value, "index": index}


async def pay(
    home: PersonHome,
    client: TenancyClient,
    contract: SignedContract,
    *,
    due: date,
    amount: int,
    reference: str,
    paid_at: int,
) -> dict[str, Any]:
    """Sign a payment, seal it to the tenant's own sealing key, post it."""
    home.require(Role.TENANT)
    if contract.terms.tenant_key != home.signing_key.public_key:
        raise TenancyRefused("this contract's tenant is another key: pay from the tenant's home")
    record = PaymentRecord(
        contract=contract.digest,
        tenant=contract.terms.tenant,
        due=due,
        amount=amount,
        currency=contract.terms.currency,
        paid_at=paid_at,
        reference=reference,
    )
    # Check it as the reader will before it leaves the machine.
    data = stored_payment(record, home.signing_key, home.sealing_key.public_key)
    _, signed = open_payment(read_stored_payment(data, contract), home.sealing_key, contract)
    digest, stored = await client.submit_payment(data)
    return {
        "payment": digest,
        "stored": stored,
        "due": due.isoformat(),
        "amount": amount,
        # The signed record (not sealed) for the landlord's hub: rental_lock.record_payment.
        "record": base64.b64encode(signed).decode(),
    }


async def payments(
    home: PersonHome, client: TenancyClient, contract: SignedContract
) -> list[tuple[PaymentRecord, bytes]]:
    """The tenant's own payments of a contract, fetched, opened and checked, by due date; a
    payment stored twice (signed again, or re-sealed) counts once."""
    opened = [
        open_payment(read_stored_payment(data, contract), home.sealing_key, contract)
        for data in await client.payments(contract.digest)
    ]
    found = dict(opened)
    return sorted(found.items(), key=lambda item: (item[0].due, item[0].paid_at))


async def request_credit(
    home: PersonHome,
    client: TenancyClient,
    *,
    tenant_key: bytes,
    tenant: str,
    valid_for: int,
    now: int,
) -> dict[str, Any]:
    """Sign and post a credit request about the tenant whose ledger key id is tenant_key
    (``tenant`` is only a label); it is kept in the home to read the answer."""
    home.require(Role.LANDLORD)
    if not 0 < valid_for <= MAX_REQUEST_LIFETIME:
        raise TenancyRefused(f"a request is valid for 1 to {MAX_REQUEST_LIFETIME} seconds")
    if len(tenant_key) != KID_LENGTH:
        raise TenancyRefused(f"the tenant is named by their key id: {2 * KID_LENGTH} hex digits")
    request = CreditRequest(
        landlord=home.name,
        landlord_key=home.signing_key.public_key,
        landlord_sealing_key=home.sealing_key.public_key,
        tenant=tenant,
        tenant_key=tenant_key,
        nonce=os.urandom(16),
        issued_at=now,
        expires=now + valid_for,
    )
    data = sign_credit_request(request, home.signing_key)
    request_id = await client.request_credit(data)
    directory = home.directory / REQUESTS_DIRECTORY
    directory.mkdir(exist_ok=True)
    write_atomically(directory / f"{request_id}.cbor", data)
    return {"request_id": request_id, "tenant_key": tenant_key.hex(), "expires": request.expires}


async def answer_credit(
    home: PersonHome,
    client: TenancyClient,
    keys: ProvenKeys,
    contracts: list[SignedContract],
    *,
    only: str | None,
    now: int,
) -> list[dict[str, Any]]:
    """Answer the pending requests (or one): verify each against the landlord key in the
    ledger, build the credit file from the tenant's contracts, payments and inspections, and
    seal it to that landlord only."""
    home.require(Role.TENANT)
    pending = [p for p in await client.pending_requests() if only in (None, p.request_id)]
    if only is not None and not pending:
        raise TenancyRefused(f"no pending credit request {only} about you")
    mine = [c for c in contracts if c.terms.tenant_key == home.signing_key.public_key]
    if not mine:
        raise TenancyRefused("none of the given contracts is this tenant's")
    signed_payments: list[bytes] = []
    inspections: list[bytes] = []
    for contract in mine:
        signed_payments += [signed for _, signed in await payments(home, client, contract)]
        inspections += await client.inspections(contract.digest)
    credit_file = build_credit_file(
        tenant_key=home.signing_key,
        created_at=now,
        contracts=[c.encoded for c in mine],
        payments=signed_payments,
        inspections=inspections,
    )
    answered = []
    book = CreditRequestBook()
    for item in pending:
        named = credit_request_key(item.request)
        # Who asks is the ledger's answer (name and building of the key), never the request's.
        landlord = await keys.record(named.kid, Role.LANDLORD)
        verify_credit_request(item.request, landlord_key=landlord.key)
        sealed = answer_credit_request(
            item.request,
            landlord_key=landlord.key,
            credit_file=credit_file,
            tenant_key=home.signing_key.public_key,
            book=book,
            now=now,
        )
        await client.answer_credit(item.request_id, sealed)
        answered.append(
            {
                "request_id": item.request_id,
                "landlord": _landlord(landlord),
                "payments": len(signed_payments),
                "inspections": len(inspections),
            }
        )
    return answered


def _landlord(record: KeyRecord) -> dict[str, str]:
    return {"kid": record.kid.hex(), "name": record.subject, "building": record.building}


async def read_credit(
    home: PersonHome, client: TenancyClient, keys: ProvenKeys, request_id: str
) -> dict[str, Any]:
    """Open the answer to this landlord's own request and summarise the verified file."""
    home.require(Role.LANDLORD)
    path = home.directory / REQUESTS_DIRECTORY / f"{request_id}.cbor"
    if not path.exists():
        raise TenancyRefused(f"no request {request_id} was made from {home.directory}")
    answer = await client.credit_answer(request_id)
    if answer.request != path.read_bytes():
        raise TenancyRefused("the cloud answered with another request than the one kept here")
    tenant_key = await keys.key(answer.tenant_kid, Role.TENANT)
    credit = open_credit_answer(
        answer.sealed,
        request_data=answer.request,
        landlord_key=home.signing_key.public_key,
        landlord_sealing_key=home.sealing_key,
        tenant_key=tenant_key,
    )
    return {
        "tenant": credit.tenant,
        "tenant_kid": tenant_key.kid.hex(),
        "created_at": credit.created_at,
        "contracts": [
            {
                "landlord": c.terms.landlord,
                "landlord_kid": c.terms.landlord_key.kid.hex(),
                "building": c.terms.building,
                "flat": c.terms.flat,
                "start": c.terms.start.isoformat(),
                "end": c.terms.end.isoformat(),
                "rent": c.terms.rent,
                "currency": c.terms.currency,
                "landlord_of_the_lock": await _landlord_of_lock(keys, c),
            }
            for c in credit.contracts
        ],
        "payments": len(credit.payments),
        "payments_on_time": credit.payments_on_time,
        "payments_late": credit.payments_late,
        "inspections": len(credit.inspections),
        "deductions": credit.deductions,
    }


async def _landlord_of_lock(keys: ProvenKeys, contract: SignedContract) -> str:
    # Whether the contract's landlord key is the one the ledger trusts for its lock: by the
    # subject and building of the lock's installation record (a tenant cannot pass off a second
    # key of theirs, or another building's namesake, as a past landlord).
    terms = contract.terms
    try:
        await keys.landlord_of_lock(
            terms.landlord_key.kid, building=terms.building, lock=terms.lock
        )
    except KeylogError as err:
        return f"not verified: {err}"
    return "verified"


def now_s() -> int:
    """Unix seconds."""
    return int(time.time())
