"""What the ledger says about one key: role, owner, public name, building, status, history."""

from dataclasses import dataclass
from enum import StrEnum

from buildinghub.credentials.keys import PublicKey

from .entries import Role


class KeyStatus(StrEnum):
    """Where a key is in its life."""

    ACTIVE = "active"
    ROTATED = "rotated"
    REVOKED = "revoked"


@dataclass(frozen=True, slots=True)
class KeyRecord:
    """What the ledger says about one key.

    ``identity_check`` is the index of the identity-check entry (SPEC R1) that bound a tenant
    key to its owner hash; a tenant key without one is only a claim. Rotations carry it over.
    """

    kid: bytes
    key: PublicKey
    role: Role
    owner: bytes
    subject: str
    building: str
    status: KeyStatus
    registered_index: int
    registered_at: int
    changed_index: int | None = None
    changed_at: int | None = None
    replaced_by: bytes | None = None
    identity_check: int | None = None

    @property
    def vouched(self) -> bool:
        """Whether someone answers for the owner hash: a hub for every role but tenants (it
        registers them), an authorised station's identity check for a tenant."""
        return self.role is not Role.TENANT or self.identity_check is not None
