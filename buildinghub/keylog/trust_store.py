"""The ledger as a grant verifier's trust store (credentials.verifier.TrustStore).

A grant's issuer is trusted when the hub's mirror of the ledger has the grant's kid as an
active landlord key: the issuer name is the key's subject. A revoked or rotated key stops
verifying new grants at the next sync. While the view is frozen by a fork the mirror cannot
sync, so keys already trusted keep working and no new key becomes trusted (SPEC K3).
"""

from buildinghub.credentials.verifier import TrustedIssuer

from .entries import Role
from .key_state import KeyStatus
from .mirror import LedgerMirror


class LedgerTrustStore:
    """Trusted issuers = the active landlord keys in the hub's mirror of the ledger."""

    __slots__ = ("_mirror", "_roles", "_subject")

    def __init__(
        self,
        mirror: LedgerMirror,
        roles: frozenset[Role] = frozenset({Role.LANDLORD}),
        *,
        subject: str | None = None,
    ) -> None:
        """Trust grants signed by active keys of roles (landlords by default) in mirror.

        ``subject`` limits the trust to keys registered under that name: a lock trusts its
        own landlord's current key (rotations included), not every landlord's.
        """
        self._mirror = mirror
        self._roles = roles
        self._subject = subject

    def issuer_key(self, kid: bytes) -> TrustedIssuer | None:
        """The issuer whose active key has this kid, or None."""
        record = self._mirror.state.key(kid)
        if record is None or record.status is not KeyStatus.ACTIVE:
            return None
        if record.role not in self._roles:
            return None
        if self._subject is not None and record.subject != self._subject:
            return None
        return TrustedIssuer(record.subject, record.key)
