"""Rent (SPEC R10): due dates from the contract's schedule, and payment records the tenant signs.

Rent is due on the contract's due day of every month of the lease; in a shorter month it is due
on the month's last day (due day 31 falls on 28 or 29 February, 30 April...). Only due dates
inside the lease (start to end, both included) count.

A PaymentRecord names the contract (by digest), the due date it pays, the amount in minor units
and its currency, when it was paid and the payer's reference; the tenant signs it (ES256). It is
stored encrypted to the tenant (HPKE Base mode to the tenant's sealing key, info binding the
contract, which names the tenant), so the store keeps it without reading it and only the
tenant opens it.
"""

import calendar
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Final

import cbor2

from buildinghub.credentials.envelope import EnvelopeRefused, open_envelope, seal
from buildinghub.credentials.keys import PublicKey, SigningKey
from buildinghub.credentials.sealing import SealingKey
from buildinghub.credentials.signed_record import blob, read_record, sign_record, text, uint

from .contract import LeaseTerms, SignedContract, iso_date
from .errors import PaymentRefused

MAX_PAYMENT_BYTES: Final = 512
_PAYMENT: Final = "rent-payment"
_FIELDS: Final = ("contract", "tenant", "due", "amount", "currency", "paid_at", "reference")
_INFO_TAG: Final = "buildinghub-payment-v1"
_DIGEST_LENGTH: Final = 32


@dataclass(frozen=True, slots=True, kw_only=True)
class PaymentRecord:
    """One rent payment, as the tenant states and signs it."""

    contract: bytes
    tenant: str
    due: date
    amount: int
    currency: str
    paid_at: int
    reference: str

    @property
    def on_time(self) -> bool:
        """Paid by the end of its due date (UTC)."""
        return self.paid_at < _end_of_day(self.due)


def due_date(year: int, month: int, due_day: int) -> date:
    """The due day in that month, or the month's last day when the month is shorter."""
    return date(year, month, min(due_day, calendar.monthrange(year, month)[1]))


def due_dates(terms: LeaseTerms) -> Iterator[date]:
    """Every due date of the lease, in order."""
    year, month = terms.start.year, terms.start.month
    while (year, month) <= (terms.end.year, terms.end.month):
        due = due_date(year, month, terms.due_day)
        if terms.start <= due <= terms.end:
            yield due
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def next_due(terms: LeaseTerms, today: date) -> date | None:
    """The first due date on or after today, or None once the lease has no more."""
    return next((due for due in due_dates(terms) if due >= today), None)


def sign_payment(payment: PaymentRecord, tenant_key: SigningKey) -> bytes:
    """The tenant signs a payment record."""
    fields = {
        "contract": payment.contract,
        "tenant": payment.tenant,
        "due": payment.due.isoformat(),
        "amount": payment.amount,
        "currency": payment.currency,
        "paid_at": payment.paid_at,
        "reference": payment.reference,
    }
    return sign_record(_PAYMENT, fields, tenant_key, max_size=MAX_PAYMENT_BYTES)


def payment_contract(data: bytes) -> bytes:
    """The digest of the contract a payment record names, read WITHOUT trusting the record."""
    signed = read_record(data, record_type=_PAYMENT, fields=_FIELDS, max_size=MAX_PAYMENT_BYTES)
    return blob(signed.fields, "contract", length=_DIGEST_LENGTH)


def verify_payment(data: bytes, contract: SignedContract) -> PaymentRecord:
    """Check a payment record: signed by the contract's tenant, for a due date of the contract."""
    signed = read_record(data, record_type=_PAYMENT, fields=_FIELDS, max_size=MAX_PAYMENT_BYTES)
    payment = PaymentRecord(
        contract=blob(signed.fields, "contract", length=_DIGEST_LENGTH),
        tenant=text(signed.fields, "tenant"),
        due=iso_date(signed.fields, "due"),
        amount=uint(signed.fields, "amount"),
        currency=text(signed.fields, "currency", max_length=3),
        paid_at=uint(signed.fields, "paid_at"),
        reference=text(signed.fields, "reference"),
    )
    terms = contract.terms
    signed.verify(terms.tenant_key)
    if payment.contract != contract.digest or payment.tenant != terms.tenant:
        raise PaymentRefused("the payment names another contract or tenant")
    if payment.currency != terms.currency or payment.amount < 1:
        raise PaymentRefused(f"a payment is a positive amount in the contract's {terms.currency}")
    if payment.due not in set(due_dates(terms)):
        raise PaymentRefused(f"{payment.due.isoformat()} is not a due date of the contract")
    return payment


def seal_for_tenant(signed_payment: bytes, tenant_sealing_key: PublicKey, contract: bytes) -> bytes:
    """Encrypt a signed payment record to the tenant, for storage (HPKE Base mode)."""
    return seal(signed_payment, tenant_sealing_key, info=_info(contract))


def open_payment(
    sealed: bytes, tenant_sealing_key: SealingKey, contract: SignedContract
) -> tuple[PaymentRecord, bytes]:
    """The tenant opens a stored payment and checks it; returns it and its signed bytes."""
    try:
        signed = open_envelope(
            sealed, tenant_sealing_key, info=_info(contract.digest), max_plaintext=MAX_PAYMENT_BYTES
        )
    except EnvelopeRefused as err:
        raise PaymentRefused(f"the stored payment does not open: {err}") from None
    return verify_payment(signed, contract), signed


def _info(contract: bytes) -> bytes:
    return cbor2.dumps([_INFO_TAG, contract], canonical=True)


def _end_of_day(day: date) -> int:
    return int(calendar.timegm(day.timetuple())) + 86_400
