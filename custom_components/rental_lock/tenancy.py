"""The tenancy record at the hub: each flat's signed lease contract, rent notices and payments.

The contract, its lease grant, payments and inspections are checked by the library
(buildinghub.tenancy); this module keeps what the hub needs in Home Assistant's storage and
announces rent on the contract's schedule. A flat's contract is matched to its lock by the
lock's installation record: the lock id, flat and landlord the contract names must be the
ones the landlord signed when installing that lock.

Of each payment the hub keeps only the due date it pays, the amount, whether it was on time
and the SHA-256 of the tenant-signed record: the record itself stays with the tenant.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Final

from homeassistant.core import HomeAssistant
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import async_track_utc_time_change
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from buildinghub.credentials import decode_grant, decode_sign1, verify_sign1
from buildinghub.credentials.errors import BadSignature
from buildinghub.credentials.grant import MAX_GRANT_BYTES
from buildinghub.tenancy.contract import SignedContract, check_lease_grant, verify_contract
from buildinghub.tenancy.errors import ContractMismatch, InspectionRefused, PaymentRefused
from buildinghub.tenancy.inspection import inspection_contract, verify_inspection
from buildinghub.tenancy.rent import PaymentRecord, payment_contract, verify_payment
from buildinghub.tenancy.rent_notices import (
    NoticeMarks,
    RentNotice,
    next_unpaid,
    rent_notices,
    start_marks,
)

from .const import DOMAIN

if TYPE_CHECKING:
    from .coordinator import RentalLockConfigEntry
    from .hub import RentalHub

_LOGGER = logging.getLogger(__name__)
STORAGE_VERSION: Final = 1
EVENT_RENT_PAID: Final = "rent_paid"
EVENT_INSPECTION: Final = "inspection_recorded"
# Currencies without minor units (ISO 4217 exponent 0) among those a building may use.
_NO_MINOR_UNITS: Final = frozenset({"CLP", "ISK", "JPY", "KRW", "PYG", "UGX", "VND", "XAF", "XOF"})


class LeaseRefused(ContractMismatch):
    """The contract does not fit the lock it names on this hub, or another lease holds it."""

    reason = "lease_refused"


class DuplicatePayment(PaymentRefused):
    """This due date is paid already."""

    reason = "payment_duplicate"


class UnknownContract(PaymentRefused):
    """No lease on this hub has the contract the record names."""

    reason = "unknown_contract"


def format_amount(minor: int, currency: str) -> str:
    """An amount in minor units as people write it: 95000 EUR -> "950.00"."""
    if currency in _NO_MINOR_UNITS:
        return str(minor)
    return f"{minor // 100}.{minor % 100:02d}"


@dataclass(frozen=True, slots=True)
class PaymentEntry:
    """What the hub keeps of one payment."""

    digest: str
    amount: int
    paid_at: int
    on_time: bool


@dataclass(frozen=True, slots=True)
class InspectionEntry:
    """What the hub keeps of the move-out inspection."""

    digest: str
    inspected_at: int
    deposit_returned: int
    deducted: int


@dataclass(slots=True)
class Lease:
    """One flat's contract, its payments and the notices already given."""

    contract: SignedContract
    user: str | None
    marks: NoticeMarks
    payments: dict[date, PaymentEntry] = field(default_factory=dict)
    inspection: InspectionEntry | None = None

    @property
    def lock_id(self) -> str:
        """The lock the contract names (its installation record's lock id)."""
        return self.contract.terms.lock

    def rent_data(self, due: date) -> dict[str, Any]:
        """What a rent event says: the flat, the due date and the amount the terms ask."""
        terms = self.contract.terms
        return {
            "flat": terms.flat,
            "tenant": terms.tenant,
            "due": due.isoformat(),
            "amount": format_amount(terms.rent, terms.currency),
            "currency": terms.currency,
        }


class HubTenancy:
    """The leases of one Rental Lock hub."""

    def __init__(self, hass: HomeAssistant, entry: RentalLockConfigEntry, hub: RentalHub) -> None:
        """Keep the leases of ``hub``'s locks."""
        self.hass = hass
        self.entry = entry
        self.hub = hub
        self.leases: dict[str, Lease] = {}
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.{entry.entry_id}.tenancy", private=True
        )

    async def async_start(self) -> None:
        """Load the leases, give the notices missed while stopped, then one look each day."""
        stored = await self._store.async_load()
        for lock_id, data in (stored or {}).get("leases", {}).items():
            self.leases[lock_id] = _lease_from_json(data)
        self.entry.async_on_unload(
            async_track_utc_time_change(self.hass, self._async_daily, hour=0, minute=0, second=0)
        )
        await self.async_give_notices()

    # -- leases ----------------------------------------------------------------------------

    def check_lease(self, contract_data: bytes, grant_data: bytes) -> SignedContract:
        """Verify the contract, that the grant is the one it produces, and the flat it names.

        Raises a CredentialError (the library's, or LeaseRefused) and changes nothing.
        """
        contract = verify_contract(contract_data)
        terms = contract.terms
        message = decode_sign1(grant_data, max_size=MAX_GRANT_BYTES)
        check_lease_grant(decode_grant(grant_data).grant, contract)
        try:
            verify_sign1(message, terms.landlord_key)
        except BadSignature:
            raise LeaseRefused(
                "the lease grant is not signed by the landlord who signed the contract"
            ) from None
        trusted = self.hub.book.lock_for_audience(terms.lock)
        if trusted is None:
            raise LeaseRefused(f"no lock on this hub is called {terms.lock!r}")
        installed = trusted.installation
        if (installed.flat, installed.landlord) != (terms.flat, terms.landlord):
            raise LeaseRefused(
                f"lock {terms.lock!r} guards {installed.flat!r} for {installed.landlord!r}, "
                f"not {terms.flat!r} for {terms.landlord!r} as the contract says"
            )
        held = self.leases.get(terms.lock)
        if (
            held is not None
            and held.contract.digest != contract.digest
            and held.contract.terms.end >= terms.start
        ):
            raise LeaseRefused(
                f"{terms.flat} is let until {held.contract.terms.end.isoformat()} "
                "under another contract"
            )
        return contract

    async def async_keep_lease(self, contract: SignedContract, user: str | None) -> Lease:
        """Store a checked contract whose grant the lock accepted; announce from today on."""
        held = self.leases.get(contract.terms.lock)
        if held is not None and held.contract.digest == contract.digest:
            lease = held
            lease.user = user
        else:
            lease = Lease(contract, user, start_marks(contract.terms, _today()))
            self.leases[lease.lock_id] = lease
        await self._async_save()
        await self.async_give_notices()
        return lease

    def lease_for_lock(self, lock_id: str) -> Lease | None:
        """The lease stored for this lock, if any."""
        return self.leases.get(lock_id)

    def next_due(self, lock_id: str) -> date | None:
        """The flat's next unpaid due date (None without a lease or once it has none)."""
        lease = self.leases.get(lock_id)
        if lease is None:
            return None
        return next_unpaid(lease.contract.terms, lease.marks, lease.payments)

    # -- payments and inspections ----------------------------------------------------------

    async def async_record_payment(self, data: bytes) -> tuple[Lease, PaymentRecord]:
        """Check a tenant-signed payment against its lease and keep its digest."""
        lease = self._lease_by_digest(payment_contract(data))
        if lease is None:
            raise UnknownContract("no lease on this hub has the contract the payment names")
        payment = verify_payment(data, lease.contract)
        if payment.due in lease.payments:
            raise DuplicatePayment(f"the rent due {payment.due.isoformat()} is paid already")
        lease.payments[payment.due] = PaymentEntry(
            digest=hashlib.sha256(data).hexdigest(),
            amount=payment.amount,
            paid_at=payment.paid_at,
            on_time=payment.on_time,
        )
        await self._async_save()
        self._fire(
            lease,
            EVENT_RENT_PAID,
            {
                **lease.rent_data(payment.due),
                "amount": format_amount(payment.amount, payment.currency),
                "on_time": payment.on_time,
            },
        )
        return lease, payment

    async def async_record_inspection(self, data: bytes) -> tuple[Lease, InspectionEntry]:
        """Check a countersigned move-out inspection against its lease and keep its digest."""
        lease = self._lease_by_digest(inspection_contract(data))
        if lease is None:
            raise InspectionRefused("no lease on this hub has the contract the report names")
        signed = verify_inspection(data, lease.contract)
        report = signed.report
        entry = InspectionEntry(
            digest=signed.digest.hex(),
            inspected_at=report.inspected_at,
            deposit_returned=report.deposit_returned,
            deducted=sum(finding.deduction for finding in report.findings),
        )
        lease.inspection = entry
        await self._async_save()
        currency = lease.contract.terms.currency
        self._fire(
            lease,
            EVENT_INSPECTION,
            {
                "flat": lease.contract.terms.flat,
                "tenant": lease.contract.terms.tenant,
                "inspected_at": dt_util.utc_from_timestamp(report.inspected_at).isoformat(),
                "deposit_returned": format_amount(report.deposit_returned, currency),
                "deducted": format_amount(entry.deducted, currency),
                "currency": currency,
            },
        )
        return lease, entry

    def _lease_by_digest(self, digest: bytes) -> Lease | None:
        return next((x for x in self.leases.values() if x.contract.digest == digest), None)

    # -- notices ---------------------------------------------------------------------------

    async def _async_daily(self, _now: datetime) -> None:
        await self.async_give_notices()

    async def async_give_notices(self) -> None:
        """Announce what today brings for every lease, once, and refresh what the hub shows."""
        today = _today()
        changed = False
        for lease in self.leases.values():
            notices, marks = rent_notices(
                lease.contract.terms, today, lease.marks, paid=lease.payments
            )
            if marks != lease.marks:
                lease.marks = marks
                changed = True
            for notice in notices:
                self._announce(lease, notice)
        if changed:
            await self._async_save()
        else:
            async_dispatcher_send(self.hass, self.hub.signal("tenancy"))

    def _announce(self, lease: Lease, notice: RentNotice) -> None:
        _LOGGER.debug("%s for %s, due %s", notice.kind, lease.contract.terms.flat, notice.due)
        self._fire(lease, notice.kind.value, lease.rent_data(notice.due))

    def _fire(self, lease: Lease, event_type: str, data: dict[str, Any]) -> None:
        signal = self.hub.signal("rent", lease.lock_id)
        async_dispatcher_send(self.hass, signal, event_type, data)

    async def _async_save(self) -> None:
        await self._store.async_save(
            {"leases": {lock: _lease_to_json(lease) for lock, lease in self.leases.items()}}
        )
        async_dispatcher_send(self.hass, self.hub.signal("tenancy"))


def _today() -> date:
    """Today in UTC: contracts date their days in UTC."""
    return dt_util.utcnow().date()


def _lease_to_json(lease: Lease) -> dict[str, Any]:
    return {
        "contract": base64.b64encode(lease.contract.encoded).decode(),
        "user": lease.user,
        "announced_due": _iso(lease.marks.due),
        "announced_overdue": _iso(lease.marks.overdue),
        "answers_since": _iso(lease.marks.since),
        "payments": {
            due.isoformat(): [entry.digest, entry.amount, entry.paid_at, entry.on_time]
            for due, entry in lease.payments.items()
        },
        "inspection": None
        if lease.inspection is None
        else [
            lease.inspection.digest,
            lease.inspection.inspected_at,
            lease.inspection.deposit_returned,
            lease.inspection.deducted,
        ],
    }


def _lease_from_json(data: dict[str, Any]) -> Lease:
    # What the hub stored was verified when it was stored; verifying again costs little.
    contract = verify_contract(base64.b64decode(data["contract"]))
    marks = NoticeMarks(
        _day(data["announced_due"]),
        _day(data["announced_overdue"]),
        # Absent from leases stored before it was kept: answer for every due date.
        _day(data.get("answers_since")),
    )
    lease = Lease(contract, data["user"], marks)
    lease.payments = {
        date.fromisoformat(due): PaymentEntry(*entry) for due, entry in data["payments"].items()
    }
    if data["inspection"] is not None:
        lease.inspection = InspectionEntry(*data["inspection"])
    return lease


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def _day(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)
