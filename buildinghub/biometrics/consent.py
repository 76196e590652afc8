"""Consent first (SPEC R8): no template is captured, stored or sent without a signed consent.

A ConsentRecord names the tenant, what may be done with one template (capture, store, send) and
for which lock, and is signed by the tenant's ES256 key. Withdrawal is a second record, signed
by the same key, that names the consent by its digest; the consent itself is never changed, so
both records can be kept as evidence. A ConsentBook holds both and answers one question: may
template T be used for purpose P at lock L now. It refuses with NoConsent or ConsentWithdrawn.
A template id belongs to the key and the lock of its first consent in the book
(template_owner, SPEC S1): another key's consent naming it, or one for another lock, is refused
with TemplateNotYours and nothing is recorded.

A hub binds by key only (SPEC S1, S3): ``ConsentBook.by_key(signer_keys)`` verifies each record
with the key its own kid names, if signer_keys vouches for that kid as a tenant's, and takes a
withdrawal only from the key that owns the template; a display name decides nothing there.
"""

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum

from buildinghub.credentials.errors import BadSignature
from buildinghub.credentials.keys import PublicKey, SigningKey
from buildinghub.credentials.signed_record import (
    MalformedRecord,
    SignedRecord,
    blob,
    read_record,
    sign_record,
    text,
    uint,
)

from .errors import ConsentWithdrawn, NoConsent, TemplateNotYours
from .template_owner import (
    MAX_CONSENTS_PER_TEMPLATE,
    MAX_TEMPLATES_PER_TENANT,
    TemplateOwner,
    check_room,
    claim_template,
)

TEMPLATE_ID_LENGTH = 16
MAX_CONSENT_BYTES = 512
_DIGEST_LENGTH = 32
_CONSENT = "biometric-consent"
_WITHDRAWAL = "biometric-consent-withdrawal"
_CONSENT_FIELDS = ("tenant", "purposes", "lock", "template_id", "given_at")
_WITHDRAWAL_FIELDS = ("consent", "template_id", "withdrawn_at")


class Purpose(StrEnum):
    """What a consent allows to be done with a template."""

    CAPTURE = "capture"
    STORE = "store"
    SEND = "send"


@dataclass(frozen=True, slots=True, kw_only=True)
class ConsentRecord:
    """A tenant's consent for one template at one lock."""

    tenant: str
    purposes: frozenset[Purpose]
    lock: str
    template_id: bytes
    given_at: int

    def __post_init__(self) -> None:
        if len(self.template_id) != TEMPLATE_ID_LENGTH:
            raise ValueError(f"a template id is {TEMPLATE_ID_LENGTH} bytes")
        if not self.purposes:
            raise ValueError("a consent names at least one purpose")


@dataclass(frozen=True, slots=True, kw_only=True)
class ConsentWithdrawal:
    """The tenant withdraws the consent with this digest."""

    consent: bytes
    template_id: bytes
    withdrawn_at: int


@dataclass(frozen=True, slots=True)
class Consent:
    """A verified consent in the book, with when it was withdrawn (None while it holds)."""

    record: ConsentRecord
    digest: bytes
    withdrawn_at: int | None = None

    def holds(self, now: int) -> bool:
        """Whether the consent was given and not yet withdrawn at time now."""
        return self.record.given_at <= now and (
            self.withdrawn_at is None or now < self.withdrawn_at
        )


def sign_consent(record: ConsentRecord, tenant_key: SigningKey) -> bytes:
    """The tenant signs the consent."""
    fields = {
        "tenant": record.tenant,
        "purposes": sorted(purpose.value for purpose in record.purposes),
        "lock": record.lock,
        "template_id": record.template_id,
        "given_at": record.given_at,
    }
    return sign_record(_CONSENT, fields, tenant_key, max_size=MAX_CONSENT_BYTES)


def sign_withdrawal(withdrawal: ConsentWithdrawal, tenant_key: SigningKey) -> bytes:
    """The tenant signs the withdrawal of a consent."""
    fields = {
        "consent": withdrawal.consent,
        "template_id": withdrawal.template_id,
        "withdrawn_at": withdrawal.withdrawn_at,
    }
    return sign_record(_WITHDRAWAL, fields, tenant_key, max_size=MAX_CONSENT_BYTES)


type SignerKeys = Callable[[bytes], PublicKey | None]
"""The tenant key with this kid, if the caller vouches for it (its ledger, its grants)."""


class ConsentBook:
    """Verified consents and withdrawals; the gate before any template is used.

    tenant_keys maps a tenant to the key the book trusts for them (the key ledger's answer).
    """

    def __init__(self, tenant_keys: Mapping[str, PublicKey]) -> None:
        """Start empty, trusting tenant_keys."""
        self._tenant_keys = tenant_keys
        self._signer_keys: SignerKeys | None = None
        self._consents: dict[bytes, Consent] = {}
        self._owners: dict[bytes, TemplateOwner] = {}

    @classmethod
    def by_key(cls, signer_keys: SignerKeys) -> ConsentBook:
        """A book that trusts keys, not names: each record is verified with the key its kid
        names, when signer_keys vouches for it; a withdrawal must be signed by the key that
        owns the template (TemplateNotYours otherwise)."""
        book = cls({})
        book._signer_keys = signer_keys
        return book

    def record(self, data: bytes) -> Consent:
        """Verify a signed consent and keep it; MalformedRecord, BadSignature or (another
        key's template, or another lock) TemplateNotYours otherwise."""
        signed = _read_consent(data)
        record = ConsentRecord(
            tenant=text(signed.fields, "tenant"),
            purposes=_purposes(signed.fields["purposes"]),
            lock=text(signed.fields, "lock"),
            template_id=blob(signed.fields, "template_id", length=TEMPLATE_ID_LENGTH),
            given_at=uint(signed.fields, "given_at"),
        )
        signed.verify(self._key(record.tenant, signed.kid))
        claim = TemplateOwner(record.template_id, signed.kid, record.lock)
        owner = claim_template(self._owners.get(record.template_id), claim)
        if signed.digest not in self._consents:
            self._check_room(record.template_id, signed.kid)
        self._owners[record.template_id] = owner
        consent = self._consents.get(signed.digest) or Consent(record, signed.digest)
        self._consents[signed.digest] = consent
        return consent

    def withdraw(self, data: bytes) -> Consent:
        """Verify a signed withdrawal and apply it; returns the consent, now withdrawn.

        The caller then erases the template everywhere it went (hub, cloud store, lock).
        Withdrawing again keeps the first time of withdrawal.
        """
        signed, withdrawal = _read_withdrawal(data)
        digest, template_id, withdrawn_at = (
            withdrawal.consent,
            withdrawal.template_id,
            withdrawal.withdrawn_at,
        )
        consent = self._consents.get(digest)
        if consent is None or consent.record.template_id != template_id:
            raise NoConsent("the withdrawal names a consent this book does not hold")
        if self._signer_keys is not None and signed.kid != self._owners[template_id].tenant:
            raise TemplateNotYours(
                f"template {template_id.hex()} belongs to another tenant's key: only the key "
                f"that consented to it withdraws that consent"
            )
        signed.verify(self._key(consent.record.tenant, signed.kid))
        if withdrawn_at < consent.record.given_at:
            raise MalformedRecord("a consent cannot be withdrawn before it was given")
        if consent.withdrawn_at is None:
            consent = Consent(consent.record, digest, withdrawn_at)
            self._consents[digest] = consent
        return consent

    def _check_room(self, template_id: bytes, kid: bytes) -> None:
        """Bounds per party (SPEC S6): templates per key, consents per template (withdrawn
        ones count: they are kept as evidence). TooManyTemplates, nothing recorded."""
        held = sum(c.record.template_id == template_id for c in self._consents.values())
        check_room(held, MAX_CONSENTS_PER_TEMPLATE, "consents per template")
        if template_id not in self._owners:
            owned = sum(owner.tenant == kid for owner in self._owners.values())
            check_room(owned, MAX_TEMPLATES_PER_TENANT, "templates per tenant key")

    def owner(self, template_id: bytes) -> TemplateOwner | None:
        """Whose template this is (the key and the lock of its first consent), if known."""
        return self._owners.get(template_id)

    def get(self, digest: bytes) -> Consent | None:
        """The consent with this digest, if the book holds it."""
        return self._consents.get(digest)

    def check(self, template_id: bytes, *, lock: str, purpose: Purpose, now: int) -> Consent:
        """The consent that allows purpose for template_id at lock now, or a refusal."""
        matching = [
            consent
            for consent in self._consents.values()
            if consent.record.template_id == template_id
            and consent.record.lock == lock
            and purpose in consent.record.purposes
        ]
        for consent in matching:
            if consent.holds(now):
                return consent
        if any(consent.withdrawn_at is not None for consent in matching):
            raise ConsentWithdrawn(
                f"the consent to {purpose.value} template {template_id.hex()} for lock "
                f"{lock} was withdrawn: the template must be erased, not used"
            )
        raise NoConsent(
            f"no consent to {purpose.value} template {template_id.hex()} for lock {lock}: "
            f"the tenant must sign one first"
        )

    def __iter__(self) -> Iterator[Consent]:
        """Every consent in the book, withdrawn ones included."""
        return iter(tuple(self._consents.values()))

    def _key(self, tenant: str, kid: bytes) -> PublicKey:
        if self._signer_keys is None:
            return self._tenant_key(tenant)
        key = self._signer_keys(kid)
        if key is None:
            raise BadSignature(
                f"key {kid.hex()} is not a tenant key this book trusts: the tenant signs with "
                f"the key of their grant (or the one the key ledger has for them)"
            )
        return key

    def _tenant_key(self, tenant: str) -> PublicKey:
        key = self._tenant_keys.get(tenant)
        if key is None:
            raise BadSignature(f"no key is known for tenant {tenant}: look it up in the key ledger")
        return key


def consent_digest(data: bytes) -> bytes:
    """What names a signed consent (a withdrawal names it by this): the digest of its signed
    content, read WITHOUT verifying it."""
    return _read_consent(data).digest


def read_withdrawal(data: bytes) -> ConsentWithdrawal:
    """Parse a signed withdrawal strictly, WITHOUT verifying it (ConsentBook.withdraw does)."""
    return _read_withdrawal(data)[1]


def _read_consent(data: bytes) -> SignedRecord:
    return read_record(
        data, record_type=_CONSENT, fields=_CONSENT_FIELDS, max_size=MAX_CONSENT_BYTES
    )


def _read_withdrawal(data: bytes) -> tuple[SignedRecord, ConsentWithdrawal]:
    signed = read_record(
        data, record_type=_WITHDRAWAL, fields=_WITHDRAWAL_FIELDS, max_size=MAX_CONSENT_BYTES
    )
    withdrawal = ConsentWithdrawal(
        consent=blob(signed.fields, "consent", length=_DIGEST_LENGTH),
        template_id=blob(signed.fields, "template_id", length=TEMPLATE_ID_LENGTH),
        withdrawn_at=uint(signed.fields, "withdrawn_at"),
    )
    return signed, withdrawal


def _purposes(value: object) -> frozenset[Purpose]:
    choices = {purpose.value for purpose in Purpose}
    if (
        type(value) is not list
        or not value
        or not all(type(item) is str and item in choices for item in value)
        or value != sorted(set(value))
    ):
        raise MalformedRecord(
            f"purposes must be a sorted, non-empty list without repeats of {sorted(choices)}"
        )
    return frozenset(Purpose(item) for item in value)
