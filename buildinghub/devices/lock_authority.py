"""The hub's authority over its locks (S5): the landlords' appointments of its manager key,
and signed commands (revoke, freeze, unfreeze) made, checked and sent with them.

A landlord or bay owner appoints the hub's key for one lock with a signed Appointment; the
hub keeps it and sends it with every command it signs for that lock. A command the hub signs
with another key it holds (a driver's holder key giving a share back, the listing key taking
back a booking's share) goes without one. Every command is checked here exactly as the lock
will check it (lock_command.verify_command), before anything goes on air; only then is the
lock asked for the nonce the command is signed over.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from typing import Protocol

from buildinghub.credentials import Clock, PublicKey, SigningKey, UnauthorisedCommand
from buildinghub.credentials.installation import InstallationRecord
from buildinghub.credentials.lock_command import (
    Appointment,
    CommandAction,
    LockCommand,
    read_appointment,
    sign_command,
    verify_appointment,
    verify_command,
)
from buildinghub.credentials.possession import CHALLENGE_LENGTH

# A grant the hub never held has an end it cannot know: its revocation is kept this long.
REVOCATION_MEMORY_S = 400 * 24 * 3600


class CommandLink(Protocol):
    """What a lock client offers for commands (Zigbee and BLE clients alike)."""

    async def challenge(self) -> bytes:
        """A fresh nonce from the lock."""
        ...

    async def send_command(self, command: bytes, action: CommandAction) -> None:
        """Deliver a signed command; raises the lock's refusal."""
        ...


class LockAuthority:
    """Appointments of the hub's manager key, by lock id."""

    def __init__(self, clock: Clock) -> None:
        """Appointments expire by ``clock``."""
        self._clock = clock
        self._appointments: dict[str, bytes] = {}

    def appoint(
        self, data: bytes, installation: InstallationRecord, manager_key: PublicKey
    ) -> Appointment:
        """Keep a landlord's appointment of ``manager_key`` for the lock of ``installation``."""
        appointment = verify_appointment(data, installation, now=self._clock.now())
        if appointment.manager_key != manager_key:
            raise UnauthorisedCommand(
                f"the appointment names key {appointment.manager_key.kid.hex()}, not this "
                f"hub's manager key {manager_key.kid.hex()}"
            )
        self._appointments[installation.lock_id] = data
        return appointment

    def appointment(self, lock_id: str) -> Appointment | None:
        """The appointment held for a lock, if any (checked again at each use)."""
        data = self._appointments.get(lock_id)
        return None if data is None else read_appointment(data)

    def command(  # noqa: PLR0917 - the fields of one command
        self,
        installation: InstallationRecord,
        action: CommandAction,
        grant_id: bytes,
        until: int,
        key: SigningKey,
        nonce: bytes,
        holders: Sequence[PublicKey] = (),
    ) -> bytes:
        """The signed command, checked as the lock will check it (raises its refusal)."""
        data = self._appointments.get(installation.lock_id)
        if data is not None and read_appointment(data).manager_key != key.public_key:
            data = None
        command = LockCommand(
            lock=installation.lock_id, action=action, grant_id=grant_id, until=until, nonce=nonce
        )
        signed = sign_command(command, key, data)
        verify_command(signed, installation, now=self._clock.now(), holders=lambda _: holders)
        return signed

    async def async_send(
        self,
        link: CommandLink,
        installation: InstallationRecord,
        action: CommandAction,
        grant_id: bytes,
        *,
        key: SigningKey,
        until: int | None = None,
        holders: Sequence[PublicKey] = (),
    ) -> None:
        """Check, then sign over the lock's fresh nonce and deliver one command."""
        end = self._clock.now() + REVOCATION_MEMORY_S if until is None else until
        fields = (installation, action, grant_id, end, key)
        self.command(*fields, bytes(CHALLENGE_LENGTH), holders)  # refused here: nothing on air
        nonce = await link.challenge()
        await link.send_command(self.command(*fields, nonce, holders), action)

    def to_json(self) -> dict[str, str]:
        """Lock id -> appointment (base64): signed bytes only."""
        return {lock: base64.b64encode(data).decode() for lock, data in self._appointments.items()}

    def load_json(self, data: Mapping[str, str]) -> None:
        """Restore :meth:`to_json`'s form (each is verified again whenever it is used)."""
        self._appointments = {lock: base64.b64decode(text) for lock, text in data.items()}
