"""What a Building Hub door lock and the hub say to each other, byte for byte.

Used by both sides: the hub's :mod:`buildinghub.devices.door_lock` client and
the reference firmware in :mod:`buildinghub_sim`.

Access events ride on the standard DoorLock ``operation_event_notification``;
its free ``data`` string carries ``method|reason|grant id`` so the hub can say
who tried, how, and why it was refused. The PIN field is always empty: a PIN
never crosses the radio in the clear.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import cbor2
from zigpy.zcl.clusters.closures import OperationEvent, OperationEventSource

from buildinghub.credentials import SignedGrant, SigningKey, prove

GRANT_ID_SIZE = 16
NONCE_SIZE = 16
PROOF_SIZE = 64
UNLOCK_OPERATION = "unlock"
# Reasons that mean "right credential, wrong time" map to the schedule event code.
SCHEDULE_REASONS = frozenset({"not_yet_valid", "expired"})


class AccessMethod(StrEnum):
    """How someone tried the door."""

    KEYPAD = "keypad"
    FINGERPRINT = "fingerprint"
    REMOTE = "remote"
    MANUAL = "manual"


_SOURCE = {
    AccessMethod.KEYPAD: OperationEventSource.Keypad,
    AccessMethod.REMOTE: OperationEventSource.RF,
    AccessMethod.MANUAL: OperationEventSource.Manual,
    AccessMethod.FINGERPRINT: OperationEventSource.Indeterminate,
}


class ProtocolError(ValueError):
    """A frame from the other side does not follow this protocol."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AccessEvent:
    """One attempt at the door, as the lock decided it."""

    method: AccessMethod
    granted: bool
    reason: str
    grant_id: bytes | None
    at: int

    def event_code(self) -> OperationEvent:
        """The standard DoorLock operation event code for this attempt."""
        if self.granted:
            return OperationEvent.Unlock
        if self.reason in SCHEDULE_REASONS:
            return OperationEvent.UnlockFailureInvalidSchedule
        return OperationEvent.UnlockFailureInvalidPINorID

    def source(self) -> OperationEventSource:
        """The standard DoorLock operation event source for this attempt."""
        return _SOURCE[self.method]

    def data(self) -> str:
        """The ``data`` string of the notification."""
        grant = self.grant_id.hex() if self.grant_id else ""
        return f"{self.method}|{self.reason}|{grant}"


def parse_event_data(data: str, *, granted: bool, at: int) -> AccessEvent:
    """Read the ``data`` string of an operation event notification."""
    parts = data.split("|")
    if len(parts) != 3:
        raise ProtocolError("access event data must be method|reason|grant")
    method, reason, grant = parts
    try:
        access_method = AccessMethod(method)
        grant_id = bytes.fromhex(grant) if grant else None
    except ValueError as err:
        raise ProtocolError(f"access event data is not valid: {err}") from None
    if grant_id is not None and len(grant_id) != GRANT_ID_SIZE:
        raise ProtocolError("access event names a grant id of the wrong size")
    if not reason or len(reason) > 32:
        raise ProtocolError("access event reason is missing or too long")
    return AccessEvent(
        method=access_method, granted=granted, reason=reason, grant_id=grant_id, at=at
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class UnlockRequest:
    """A remote unlock: which grant, the lock's nonce, a counter and the holder's proof."""

    grant_id: bytes
    nonce: bytes
    counter: int
    proof: bytes

    def encode(self) -> bytes:
        """CBOR array, sent as an ``unlock`` transfer."""
        return cbor2.dumps([self.grant_id, self.nonce, self.counter, self.proof])

    @classmethod
    def decode(cls, data: bytes) -> UnlockRequest:
        """Parse strictly: four fields of the right types and sizes, nothing else."""
        try:
            value = cbor2.loads(data)
        except (cbor2.CBORDecodeError, ValueError, TypeError, EOFError) as err:
            raise ProtocolError(f"unlock request is not CBOR: {err}") from None
        if not isinstance(value, list) or len(value) != 4:
            raise ProtocolError("unlock request must be a list of four fields")
        grant_id, nonce, counter, proof = value
        if not (
            isinstance(grant_id, bytes)
            and len(grant_id) == GRANT_ID_SIZE
            and isinstance(nonce, bytes)
            and len(nonce) == NONCE_SIZE
            and isinstance(counter, int)
            and not isinstance(counter, bool)
            and 0 < counter < 2**32
            and isinstance(proof, bytes)
            and len(proof) == PROOF_SIZE
        ):
            raise ProtocolError("unlock request fields have the wrong types or sizes")
        if cbor2.dumps(value) != data:
            raise ProtocolError("unlock request has trailing or non-canonical bytes")
        return cls(grant_id=grant_id, nonce=nonce, counter=counter, proof=proof)


def answer_challenge(
    signed: SignedGrant, holder_key: SigningKey, nonce: bytes, counter: int
) -> UnlockRequest:
    """Sign the lock's nonce for this grant with its holder key: the remote unlock."""
    proof = prove(
        holder_key,
        nonce=nonce,
        verifier_id=signed.grant.audience,
        operation=UNLOCK_OPERATION,
        grant_digest=signed.digest,
        counter=counter,
    )
    return UnlockRequest(grant_id=signed.grant.grant_id, nonce=nonce, counter=counter, proof=proof)
