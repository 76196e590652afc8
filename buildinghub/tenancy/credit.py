"""The tenant's credit file (SPEC R10-R12): built and shared by the tenant, read by one landlord.

A CreditFile holds the tenant's signed contracts, their signed payment records and their
countersigned move-out inspections, exactly as signed, so a reader checks each one; the tenant
signs the whole (a signed record, "credit-file"). It names the tenant by name and identity
digest only (never an identity number).

A landlord asks with a CreditRequest signed by its key: the landlord's name and keys (signing,
and sealing: where the answer goes), the tenant asked about BY THEIR LEDGER KEY (the key id;
their name is only a label, SPEC S3), a 16-byte nonce and a validity window of at most a day.
The tenant's client checks the request against the landlord key the key ledger gives, answers
only a request naming its own key, refuses an expired request or a nonce it already answered
(CreditRequestBook), and seals the signed file to the request's sealing key (HPKE Base mode,
info binding the request's digest). Only that landlord opens it, only as the answer to that
request. A file counts each payment and inspection once, by its signed content (SPEC S4).
"""

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Final

import cbor2

from buildinghub.credentials.envelope import EnvelopeRefused, open_envelope, seal
from buildinghub.credentials.keys import KID_LENGTH, PublicKey, SigningKey
from buildinghub.credentials.sealing import SealingKey
from buildinghub.credentials.signed_record import (
    MalformedRecord,
    SignedRecord,
    blob,
    public_key,
    read_record,
    sign_record,
    text,
    uint,
)
from buildinghub.keylog.identity import LOOKUP_HASH_LENGTH

from .contract import SignedContract, verify_contract
from .errors import CreditFileRefused, RequestExpired, RequestReplayed
from .inspection import SignedInspection, inspection_contract, verify_inspection
from .rent import PaymentRecord, payment_contract, verify_payment

MAX_CREDIT_FILE_BYTES: Final = 256 * 1024
MAX_REQUEST_BYTES: Final = 512
MAX_REQUEST_LIFETIME: Final = 86_400
REQUEST_CLOCK_SKEW: Final = 300
NONCE_LENGTH: Final = 16
_FILE: Final = "credit-file"
_FILE_FIELDS: Final = (
    "tenant",
    "tenant_identity",
    "created_at",
    "contracts",
    "payments",
    "inspections",
)
_REQUEST: Final = "credit-request"
_REQUEST_FIELDS: Final = (
    "landlord",
    "landlord_key",
    "landlord_sealing_key",
    "tenant",
    "tenant_key",
    "nonce",
    "issued_at",
    "expires",
)
_INFO_TAG: Final = "buildinghub-credit-v1"


@dataclass(frozen=True, slots=True)
class CreditFile:
    """A tenant's verified history: contracts, payments and move-out inspections."""

    tenant: str
    tenant_identity: bytes = field(repr=False)
    created_at: int
    contracts: tuple[SignedContract, ...]
    payments: tuple[PaymentRecord, ...]
    inspections: tuple[SignedInspection, ...]

    @property
    def payments_on_time(self) -> int:
        """How many payments were made by the end of their due date."""
        return sum(payment.on_time for payment in self.payments)

    @property
    def payments_late(self) -> int:
        """How many payments were made after their due date."""
        return len(self.payments) - self.payments_on_time

    @property
    def deductions(self) -> int:
        """Everything deducted from deposits at move-out, in minor units."""
        return sum(
            finding.deduction
            for inspection in self.inspections
            for finding in inspection.report.findings
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class CreditRequest:
    """A landlord's request for one tenant's credit file: the tenant is ``tenant_key`` (a key
    id in the ledger); ``tenant`` and ``landlord`` are labels for people to read."""

    landlord: str
    landlord_key: PublicKey
    landlord_sealing_key: PublicKey
    tenant: str
    tenant_key: bytes
    nonce: bytes
    issued_at: int
    expires: int


def build_credit_file(
    *,
    tenant_key: SigningKey,
    created_at: int,
    contracts: Sequence[bytes],
    payments: Sequence[bytes],
    inspections: Sequence[bytes],
) -> bytes:
    """Check every record (as a reader will) and sign the file as the tenant."""
    if not contracts:
        raise CreditFileRefused("a credit file starts from at least one signed contract")
    first = verify_contract(contracts[0]).terms
    fields = {
        "tenant": first.tenant,
        "tenant_identity": first.tenant_identity,
        "created_at": created_at,
        "contracts": list(contracts),
        "payments": list(payments),
        "inspections": list(inspections),
    }
    encoded = sign_record(_FILE, fields, tenant_key, max_size=MAX_CREDIT_FILE_BYTES)
    read_credit_file(encoded, tenant_key=tenant_key.public_key)
    return encoded


def read_credit_file(data: bytes, *, tenant_key: PublicKey) -> CreditFile:
    """Verify a credit file: the tenant's signature, then every record in it."""
    signed = read_record(
        data, record_type=_FILE, fields=_FILE_FIELDS, max_size=MAX_CREDIT_FILE_BYTES
    )
    signed.verify(tenant_key)
    tenant = text(signed.fields, "tenant")
    identity = blob(signed.fields, "tenant_identity", length=LOOKUP_HASH_LENGTH)
    contracts = {
        contract.digest: contract
        for contract in map(verify_contract, _blobs(signed.fields["contracts"], "contracts"))
    }
    for contract in contracts.values():
        terms = contract.terms
        if (terms.tenant, terms.tenant_identity, terms.tenant_key) != (
            tenant,
            identity,
            tenant_key,
        ):
            raise CreditFileRefused("a contract in the file is another tenant's")
    payments = tuple(
        verify_payment(payment, _contract(payment_contract(payment), contracts))
        for payment in _blobs(signed.fields["payments"], "payments")
    )
    inspections = tuple(
        verify_inspection(inspection, _contract(inspection_contract(inspection), contracts))
        for inspection in _blobs(signed.fields["inspections"], "inspections")
    )
    # One payment signed twice (or its signature re-encoded) is one payment: its content.
    _once(payments, "payment")
    _once([inspection.digest for inspection in inspections], "inspection")
    return CreditFile(
        tenant,
        identity,
        uint(signed.fields, "created_at"),
        tuple(contracts.values()),
        payments,
        inspections,
    )


def sign_credit_request(request: CreditRequest, landlord_key: SigningKey) -> bytes:
    """The landlord signs a credit request."""
    if landlord_key.public_key != request.landlord_key:
        raise ValueError("the request must name the key that signs it")
    if len(request.nonce) != NONCE_LENGTH:
        raise ValueError(f"the nonce is {NONCE_LENGTH} random bytes")
    if len(request.tenant_key) != KID_LENGTH:
        raise ValueError(f"the tenant is named by their key id ({KID_LENGTH} bytes)")
    fields = {
        "landlord": request.landlord,
        "landlord_key": request.landlord_key.to_bytes(),
        "landlord_sealing_key": request.landlord_sealing_key.to_bytes(),
        "tenant": request.tenant,
        "tenant_key": request.tenant_key,
        "nonce": request.nonce,
        "issued_at": request.issued_at,
        "expires": request.expires,
    }
    return sign_record(_REQUEST, fields, landlord_key, max_size=MAX_REQUEST_BYTES)


def verify_credit_request(data: bytes, *, landlord_key: PublicKey) -> tuple[CreditRequest, bytes]:
    """Check a request is signed by landlord_key (the ledger's); returns it and its digest."""
    signed = _read_request(data)
    request = CreditRequest(
        landlord=text(signed.fields, "landlord"),
        landlord_key=public_key(signed.fields, "landlord_key"),
        landlord_sealing_key=public_key(signed.fields, "landlord_sealing_key"),
        tenant=text(signed.fields, "tenant"),
        tenant_key=blob(signed.fields, "tenant_key", length=KID_LENGTH),
        nonce=blob(signed.fields, "nonce", length=NONCE_LENGTH),
        issued_at=uint(signed.fields, "issued_at"),
        expires=uint(signed.fields, "expires"),
    )
    if request.landlord_key != landlord_key:
        raise CreditFileRefused("the request names a key that is not the landlord's in the ledger")
    signed.verify(landlord_key)
    if not 0 < request.expires - request.issued_at <= MAX_REQUEST_LIFETIME:
        raise MalformedRecord(
            f"a credit request is valid for at most {MAX_REQUEST_LIFETIME} seconds"
        )
    return request, signed.digest


class CreditRequestBook:
    """The tenant client's memory of answered requests: each nonce once, until it expires."""

    def __init__(self) -> None:
        """Start with no request answered."""
        self._answered: dict[bytes, int] = {}

    def admit(self, request: CreditRequest, *, now: int) -> None:
        """Refuse an expired or replayed request; otherwise remember its nonce."""
        self._answered = {
            nonce: expires for nonce, expires in self._answered.items() if expires > now
        }
        if not request.issued_at - REQUEST_CLOCK_SKEW <= now < request.expires:
            raise RequestExpired(
                "the credit request is not valid now: ask the landlord for a new one"
            )
        if request.nonce in self._answered:
            raise RequestReplayed("this credit request was already answered")
        self._answered[request.nonce] = request.expires


def answer_credit_request(
    request_data: bytes,
    *,
    landlord_key: PublicKey,
    credit_file: bytes,
    tenant_key: PublicKey,
    book: CreditRequestBook,
    now: int,
) -> bytes:
    """The tenant's client: verify the request, then seal the file to that landlord only."""
    request, digest = verify_credit_request(request_data, landlord_key=landlord_key)
    read_credit_file(credit_file, tenant_key=tenant_key)
    if request.tenant_key != tenant_key.kid:
        raise CreditFileRefused(
            f"the request asks about the tenant with key {request.tenant_key.hex()}, not this one"
        )
    book.admit(request, now=now)
    return seal(credit_file, request.landlord_sealing_key, info=_info(digest))


def open_credit_answer(
    sealed: bytes,
    *,
    request_data: bytes,
    landlord_key: PublicKey,
    landlord_sealing_key: SealingKey,
    tenant_key: PublicKey,
) -> CreditFile:
    """The landlord opens the answer to its own request and verifies the file."""
    _, digest = verify_credit_request(request_data, landlord_key=landlord_key)
    try:
        credit_file = open_envelope(
            sealed,
            landlord_sealing_key,
            info=_info(digest),
            max_plaintext=MAX_CREDIT_FILE_BYTES,
        )
    except EnvelopeRefused as err:
        raise CreditFileRefused(f"the credit file does not open: {err}") from None
    return read_credit_file(credit_file, tenant_key=tenant_key)


def _info(request_digest: bytes) -> bytes:
    return cbor2.dumps([_INFO_TAG, request_digest], canonical=True)


def _blobs(value: object, name: str) -> list[bytes]:
    if type(value) is not list or not all(type(item) is bytes for item in value):
        raise MalformedRecord(f"{name} must be a list of signed records")
    return value


def _once(contents: Sequence[Hashable], what: str) -> None:
    if len(set(contents)) != len(contents):
        raise CreditFileRefused(f"the file holds the same {what} twice")


def _contract(digest: bytes, contracts: dict[bytes, SignedContract]) -> SignedContract:
    contract = contracts.get(digest)
    if contract is None:
        raise CreditFileRefused("a record in the file names a contract the file does not hold")
    return contract


def credit_request_key(data: bytes) -> PublicKey:
    """The landlord key a credit request names, read WITHOUT trusting the request."""
    return public_key(_read_request(data).fields, "landlord_key")


def credit_request_id(data: bytes) -> bytes:
    """A request's id: the digest of its signed content (read WITHOUT trusting it)."""
    return _read_request(data).digest


def _read_request(data: bytes) -> SignedRecord:
    return read_record(
        data, record_type=_REQUEST, fields=_REQUEST_FIELDS, max_size=MAX_REQUEST_BYTES
    )
