"""Signed lock commands, made as the landlord's (or a manager's, or a holder's) app makes them."""

from __future__ import annotations

from buildinghub.credentials import SigningKey
from buildinghub.credentials.lock_command import CommandAction, LockCommand, sign_command
from buildinghub_sim.door_lock_firmware import DoorLockFirmware

DAY = 24 * 3600


def command(
    firmware: DoorLockFirmware,
    key: SigningKey,
    grant_id: bytes,
    action: CommandAction = CommandAction.REVOKE,
    *,
    until: int | None = None,
    appointment: bytes | None = None,
    lock: str | None = None,
    nonce: bytes | None = None,
) -> bytes:
    """A command for ``firmware`` signed by ``key`` over a fresh nonce of the lock's."""
    return sign_command(
        LockCommand(
            lock=lock or firmware.lock_id,
            action=action,
            grant_id=grant_id,
            until=firmware.clock.now() + 30 * DAY if until is None else until,
            nonce=firmware.challenge() if nonce is None else nonce,
        ),
        key,
        appointment,
    )
