"""Which landlord key a lock's grants and records may come from (SPEC S2, R3).

A landlord is trusted for a lock by the subject AND the building of the lock's installation:
the name the installation record gives, in the building the lock is installed in. A name alone
is not enough: another building's hub can register a key under the same name in its own
building (the ledger scopes names by building), and that key must never open this building's
doors. The building of an installation is the building the ledger has the installed lock key
in, unless the caller knows it (a hub knows the building it serves).

    trusted_landlord(state, kid, installation)   the KeyRecord, or LandlordNotTrusted
    installation_building(state, installation)   the lock's building in the ledger

Hubs (buildinghub.keylog.trust_store.LedgerTrustStore.for_installation), locks and people's
clients (buildinghub.keylog.person_ledger.ProvenKeys.landlord_of_lock) all decide with these.
"""

from buildinghub.credentials.installation import InstallationRecord

from .entries import Role
from .errors import KeylogError, LandlordNotTrusted
from .key_record import KeyRecord
from .key_state import KeyState

_LANDLORD = frozenset({Role.LANDLORD})
_LOCK = frozenset({Role.LOCK})


def installation_building(state: KeyState, installation: InstallationRecord) -> str:
    """The building the installed lock's key is registered in, under the record's lock id."""
    try:
        lock = state.active_key(installation.lock_key.kid, _LOCK)
    except KeylogError as err:
        raise LandlordNotTrusted(
            f"lock {installation.lock_id!r} is not in the key ledger, so its building is not "
            f"known: {err}"
        ) from None
    if lock.subject != installation.lock_id:
        raise LandlordNotTrusted(
            f"the installation names lock {installation.lock_id!r}, the ledger has that key as "
            f"{lock.subject!r}"
        )
    return lock.building


def trusted_landlord(
    state: KeyState, kid: bytes, installation: InstallationRecord, *, building: str | None = None
) -> KeyRecord:
    """The active landlord key with this kid, if the ledger has it under the installation's
    landlord name in the installation's building (``building``, or the lock's in the ledger).

    Raises LandlordNotTrusted (or UnknownKey, KeyNotActive) naming what does not match.
    """
    record = state.active_key(kid, _LANDLORD)
    if record.subject != installation.landlord:
        raise LandlordNotTrusted(
            f"key {kid.hex()} is {record.subject!r}'s, and lock {installation.lock_id!r} is "
            f"installed for {installation.landlord!r}"
        )
    expected = installation_building(state, installation) if building is None else building
    if record.building != expected:
        raise LandlordNotTrusted(
            f"key {kid.hex()} is {record.subject!r} of {record.building!r}; lock "
            f"{installation.lock_id!r} is installed in {expected!r}: a namesake of another "
            f"building is not this landlord"
        )
    return record
