"""Erase on withdrawal (SPEC R8): a signed EraseTemplate command and the lock's signed confirmation.

The hub (or the cloud connector) signs an EraseTemplate naming the building, the lock, the
template id and the withdrawn consent's digest. The lock checks it is signed by a key it trusts
and is for this lock, erases every epoch of that template, and answers with an
EraseConfirmation signed by its own ES256 key, naming the command by its digest and saying
whether it held the template. The hub verifies the confirmation against the lock's key and the
command it sent, so a confirmation cannot be forged or reused for another command. Erasing is
idempotent: a repeated command gets a fresh confirmation that says nothing was held.
"""

from collections.abc import Iterable
from dataclasses import asdict, dataclass

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

from .consent import TEMPLATE_ID_LENGTH
from .errors import EraseRefused, WrongLock

MAX_ERASE_BYTES = 512
COMMAND_ID_LENGTH = 16
_DIGEST_LENGTH = 32
_COMMAND = "erase-template"
_CONFIRMATION = "erase-confirmation"
_COMMAND_FIELDS = ("building", "lock", "template_id", "consent", "command_id", "issued_at")
_CONFIRMATION_FIELDS = ("building", "lock", "template_id", "command", "held", "erased_at")


@dataclass(frozen=True, slots=True, kw_only=True)
class EraseTemplate:
    """Erase this template from this lock, because this consent was withdrawn."""

    building: str
    lock: str
    template_id: bytes
    consent: bytes
    command_id: bytes
    issued_at: int


@dataclass(frozen=True, slots=True, kw_only=True)
class EraseConfirmation:
    """The lock erased the template named by the command with this digest."""

    building: str
    lock: str
    template_id: bytes
    command: bytes
    held: bool
    erased_at: int


def sign_erase(command: EraseTemplate, issuer_key: SigningKey) -> bytes:
    """The hub or cloud signs an erase command."""
    return sign_record(_COMMAND, asdict(command), issuer_key, max_size=MAX_ERASE_BYTES)


def verify_erase(
    data: bytes, *, building: str, lock: str, issuers: Iterable[PublicKey]
) -> tuple[EraseTemplate, bytes]:
    """The lock's check: a trusted signer, this lock. Returns the command and its digest."""
    signed = _read_command(data)
    _verify_by_one_of(signed, issuers)
    command = EraseTemplate(
        building=text(signed.fields, "building"),
        lock=text(signed.fields, "lock"),
        template_id=blob(signed.fields, "template_id", length=TEMPLATE_ID_LENGTH),
        consent=blob(signed.fields, "consent", length=_DIGEST_LENGTH),
        command_id=blob(signed.fields, "command_id", length=COMMAND_ID_LENGTH),
        issued_at=uint(signed.fields, "issued_at"),
    )
    if command.building != building or command.lock != lock:
        raise WrongLock(
            f"the erase command is for lock {command.lock} in {command.building}, not this lock"
        )
    return command, signed.digest


def sign_confirmation(confirmation: EraseConfirmation, lock_key: SigningKey) -> bytes:
    """The lock signs its erase confirmation."""
    return sign_record(_CONFIRMATION, asdict(confirmation), lock_key, max_size=MAX_ERASE_BYTES)


def verify_confirmation(data: bytes, *, command: bytes, lock_key: PublicKey) -> EraseConfirmation:
    """The hub's check: the lock signed it, for exactly the command the hub sent (its digest)."""
    signed = read_record(
        data, record_type=_CONFIRMATION, fields=_CONFIRMATION_FIELDS, max_size=MAX_ERASE_BYTES
    )
    try:
        signed.verify(lock_key)
    except BadSignature as err:
        raise EraseRefused(f"the erase confirmation is not the lock's: {err}") from None
    held = signed.fields["held"]
    if type(held) is not bool:
        raise MalformedRecord("held must be true or false")
    confirmation = EraseConfirmation(
        building=text(signed.fields, "building"),
        lock=text(signed.fields, "lock"),
        template_id=blob(signed.fields, "template_id", length=TEMPLATE_ID_LENGTH),
        command=blob(signed.fields, "command", length=_DIGEST_LENGTH),
        held=held,
        erased_at=uint(signed.fields, "erased_at"),
    )
    sent = _read_command(command)
    if confirmation.command != sent.digest or (
        confirmation.building,
        confirmation.lock,
        confirmation.template_id,
    ) != (sent.fields["building"], sent.fields["lock"], sent.fields["template_id"]):
        raise EraseRefused("the erase confirmation answers another command")
    return confirmation


def command_digest(data: bytes) -> bytes:
    """The digest an erase confirmation names its command by (its signed content)."""
    return _read_command(data).digest


def _read_command(data: bytes) -> SignedRecord:
    return read_record(data, record_type=_COMMAND, fields=_COMMAND_FIELDS, max_size=MAX_ERASE_BYTES)


def _verify_by_one_of(signed: SignedRecord, issuers: Iterable[PublicKey]) -> None:
    for key in issuers:
        if key.kid == signed.kid:
            try:
                signed.verify(key)
            except BadSignature as err:
                raise EraseRefused(f"the erase command does not verify: {err}") from None
            return
    raise EraseRefused(
        f"the erase command is signed by key {signed.kid.hex()}, which this lock does not trust"
    )
