"""The ledger as a grant verifier's trust store (credentials.verifier.TrustStore).

A grant's issuer is trusted when the hub's mirror of the ledger has the grant's kid as an
active landlord key: the issuer name is the key's subject. For a lock, ``for_installation``
trusts only the landlord its installation record names, in the building it is installed in
(landlord_trust.trusted_landlord): a namesake registered in another building is refused. A
revoked or rotated key stops verifying new grants at the next sync. While the view is frozen
by a fork the mirror cannot sync, so keys already trusted keep working and no new key becomes
trusted (SPEC K3).
"""

from typing import Self

from buildinghub.credentials.installation import InstallationRecord
from buildinghub.credentials.verifier import TrustedIssuer

from .entries import Role
from .errors import KeylogError
from .key_record import KeyStatus
from .landlord_trust import trusted_landlord
from .mirror import LedgerMirror


class LedgerTrustStore:
    """Trusted issuers = the active landlord keys in the hub's mirror of the ledger."""

    __slots__ = ("_building", "_installation", "_mirror", "_roles", "_subject")

    def __init__(
        self,
        mirror: LedgerMirror,
        roles: frozenset[Role] = frozenset({Role.LANDLORD}),
        *,
        subject: str | None = None,
    ) -> None:
        """Trust grants signed by active keys of roles (landlords by default) in mirror.

        ``subject`` limits the trust to keys registered under that name in any building: use
        ``for_installation`` for a lock, which also checks the building.
        """
        self._mirror = mirror
        self._roles = roles
        self._subject = subject
        self._installation: InstallationRecord | None = None
        self._building: str | None = None

    @classmethod
    def for_installation(
        cls, mirror: LedgerMirror, installation: InstallationRecord, *, building: str | None = None
    ) -> Self:
        """Trust the landlord of one lock: the installation record's name, in its building
        (``building`` when the hub knows it, else the lock key's building in the ledger)."""
        store = cls(mirror, subject=installation.landlord)
        store._installation = installation
        store._building = building
        return store

    def issuer_key(self, kid: bytes) -> TrustedIssuer | None:
        """The issuer whose active key has this kid, or None."""
        state = self._mirror.state
        if self._installation is not None:
            try:
                record = trusted_landlord(state, kid, self._installation, building=self._building)
            except KeylogError:
                return None
            return TrustedIssuer(record.subject, record.key)
        record_or_none = state.key(kid)
        if record_or_none is None or record_or_none.status is not KeyStatus.ACTIVE:
            return None
        if record_or_none.role not in self._roles:
            return None
        if self._subject is not None and record_or_none.subject != self._subject:
            return None
        return TrustedIssuer(record_or_none.subject, record_or_none.key)
