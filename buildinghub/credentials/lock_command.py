"""Commands that take rights away at a lock: revoke a grant, freeze or unfreeze a member (S5).

A command is a signed record (signed_record) naming the lock, the action, the target grant,
until when a revocation must be remembered, and a nonce the lock itself issued: the lock
takes each nonce once, so a recorded command cannot be replayed, and the lock id in it keeps
it from being used on another lock. Who may sign one:

- the landlord (or bay owner) key of the lock's installation record;
- a manager key that landlord appointed for this lock (an Appointment, signed by the
  landlord, travelling with every command the manager signs, so the lock keeps nothing);
- on a bay, for a revocation only, a key the target's own share chain names: its holder
  giving it back, or the sharer of a co-use share taking back what it lent.

The lock checks all of this itself; the hub runs the same checks before anything goes on air.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum

import cbor2

from .delegation import Chain
from .errors import (
    BadSignature,
    GrantExpired,
    MalformedGrant,
    UnauthorisedCommand,
    WrongAudience,
)
from .grant import GRANT_ID_LENGTH, ShareMode
from .installation import InstallationRecord
from .keys import PublicKey, SigningKey
from .possession import CHALLENGE_LENGTH
from .signed_record import (
    MalformedRecord,
    SignedRecord,
    blob,
    public_key,
    read_record,
    sign_record,
    text,
    uint,
)
from .strict_cbor import loads_one

MAX_RECORD_BYTES = 512
MAX_COMMAND_BYTES = 2 * MAX_RECORD_BYTES + 16
_COMMAND = "lock-command"
_APPOINTMENT = "lock-manager"
_COMMAND_FIELDS = ("lock", "action", "grant_id", "until", "nonce")
_APPOINTMENT_FIELDS = ("lock", "manager_key", "expires")


class CommandAction(StrEnum):
    """What a command asks of the lock."""

    REVOKE = "revoke"
    FREEZE = "freeze"
    UNFREEZE = "unfreeze"


@dataclass(frozen=True, slots=True, kw_only=True)
class LockCommand:
    """Do ``action`` to grant ``grant_id`` on lock ``lock``; remember a revocation until
    ``until``; ``nonce`` is the lock's own, fresh challenge."""

    lock: str
    action: CommandAction
    grant_id: bytes
    until: int
    nonce: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class Appointment:
    """The landlord lets ``manager_key`` sign commands for lock ``lock`` until ``expires``."""

    lock: str
    manager_key: PublicKey
    expires: int


def appoint_manager(appointment: Appointment, landlord_key: SigningKey) -> bytes:
    """The landlord (bay owner) signs an appointment."""
    fields = {
        "lock": appointment.lock,
        "manager_key": appointment.manager_key.to_bytes(),
        "expires": appointment.expires,
    }
    return sign_record(_APPOINTMENT, fields, landlord_key, max_size=MAX_RECORD_BYTES)


def verify_appointment(data: bytes, installation: InstallationRecord, *, now: int) -> Appointment:
    """An appointment by this lock's landlord, for this lock, not expired."""
    signed, appointment = _read_appointment(data)
    try:
        signed.verify(installation.landlord_key)
    except BadSignature as err:
        raise UnauthorisedCommand(
            f"the manager appointment is not signed by the landlord of lock "
            f"{installation.lock_id}: {err}"
        ) from None
    if appointment.lock != installation.lock_id:
        raise WrongAudience(
            f"the manager appointment is for lock {appointment.lock}, not {installation.lock_id}"
        )
    if appointment.expires <= now:
        raise GrantExpired("the manager appointment has ended: the landlord must renew it")
    return appointment


def read_appointment(data: bytes) -> Appointment:
    """What an appointment says, read strictly but not yet trusted."""
    return _read_appointment(data)[1]


def _read_appointment(data: bytes) -> tuple[SignedRecord, Appointment]:
    signed = read_record(
        data, record_type=_APPOINTMENT, fields=_APPOINTMENT_FIELDS, max_size=MAX_RECORD_BYTES
    )
    appointment = Appointment(
        lock=text(signed.fields, "lock"),
        manager_key=public_key(signed.fields, "manager_key"),
        expires=uint(signed.fields, "expires"),
    )
    return signed, appointment


def sign_command(command: LockCommand, key: SigningKey, appointment: bytes | None = None) -> bytes:
    """A command signed by ``key``, with the appointment that authorises it, if any."""
    fields = {
        "lock": command.lock,
        "action": command.action.value,
        "grant_id": command.grant_id,
        "until": command.until,
        "nonce": command.nonce,
    }
    record = sign_record(_COMMAND, fields, key, max_size=MAX_RECORD_BYTES)
    return cbor2.dumps([record, appointment or b""])


def verify_command(
    data: bytes,
    installation: InstallationRecord,
    *,
    now: int,
    holders: Callable[[bytes], Iterable[PublicKey]] = lambda _grant_id: (),
) -> LockCommand:
    """The lock's check (and the hub's): well formed, for this lock, signed with authority.

    ``holders``: the keys the target grant's own share chain gives a say over it, by its id
    (see :func:`chain_authorities`); for a revocation only. The nonce is the caller's to consume.
    """
    record, appointment = _read_envelope(data)
    signed = _read_command(record)
    command = _command(signed)
    if command.lock != installation.lock_id:
        raise WrongAudience(f"the command is for lock {command.lock}, not {installation.lock_id}")
    authorities = [installation.landlord_key]
    if appointment:
        authorities.append(verify_appointment(appointment, installation, now=now).manager_key)
    if command.action is CommandAction.REVOKE:
        authorities.extend(holders(command.grant_id))
    key = next((k for k in authorities if k.kid == signed.kid), None)
    if key is None:
        raise UnauthorisedCommand(
            f"a {command.action} command for lock {installation.lock_id} must be signed by "
            f"its landlord or a manager the landlord appointed; key {signed.kid.hex()} is "
            f"neither"
        )
    signed.verify(key)
    return command


def decode_command(data: bytes) -> LockCommand:
    """What a command asks, read strictly but not yet trusted (see :func:`verify_command`)."""
    record, _appointment = _read_envelope(data)
    return _command(_read_command(record))


def chain_authorities(chains: Iterable[Chain], grant_id: bytes) -> list[PublicKey]:
    """Who besides the owner may revoke the link ``grant_id`` of one of ``chains``: its holder
    (giving it back) and, for a co-use share, the holder of the link above (taking back what
    it lent; a transfer is final)."""
    for chain in chains:
        ids = chain.grant_ids()
        if grant_id in ids:
            index = ids.index(grant_id)
            link = chain.links[index].grant
            keys = [link.holder_key]
            if link.share_mode is ShareMode.CO_USE and index > 0:
                keys.append(chain.links[index - 1].grant.holder_key)
            return keys
    return []


def _read_envelope(data: bytes) -> tuple[bytes, bytes]:
    if len(data) > MAX_COMMAND_BYTES:
        raise MalformedRecord(
            f"a lock command is at most {MAX_COMMAND_BYTES} bytes, got {len(data)}"
        )
    try:
        value = loads_one(data, "the lock command", max_depth=2)
    except MalformedGrant as err:
        raise MalformedRecord(str(err)) from None
    if (
        type(value) is not list
        or len(value) != 2
        or not all(type(part) is bytes for part in value)
        or not value[0]
        or cbor2.dumps(value) != data
    ):
        raise MalformedRecord("a lock command is [signed command, appointment or h'']")
    return value[0], value[1]


def _read_command(record: bytes) -> SignedRecord:
    return read_record(
        record, record_type=_COMMAND, fields=_COMMAND_FIELDS, max_size=MAX_RECORD_BYTES
    )


def _command(signed: SignedRecord) -> LockCommand:
    try:
        action = CommandAction(text(signed.fields, "action"))
    except ValueError:
        raise MalformedRecord(f"action must be one of {', '.join(CommandAction)}") from None
    return LockCommand(
        lock=text(signed.fields, "lock"),
        action=action,
        grant_id=blob(signed.fields, "grant_id", length=GRANT_ID_LENGTH),
        until=uint(signed.fields, "until"),
        nonce=blob(signed.fields, "nonce", length=CHALLENGE_LENGTH),
    )
