"""Which enrolling stations a lock trusts: a station authorisation signed by the landlord.

A lock knows one landlord key, from the installation record written at its port (SPEC R3). The
landlord authorises an enrolling station (the building hub, or a desk reader) for one lock with
a signed record naming the building, the lock, the station's name and its two public keys (one
signs bundles and erase commands, one authenticates the HPKE sealing), and when it was issued.
The lock verifies it against its landlord key and from then on opens bundles from that station
and takes erase commands from it. A newer authorisation of the same station name replaces the
older one; an older one is refused, so a copy of a superseded record cannot bring back old keys.
"""

from dataclasses import dataclass

from buildinghub.credentials.errors import BadSignature
from buildinghub.credentials.keys import PublicKey, SigningKey
from buildinghub.credentials.signed_record import (
    SignedRecord,
    public_key,
    read_record,
    sign_record,
    text,
    uint,
)

from .errors import UnknownStation, WrongLock
from .sealing import KnownStation

MAX_AUTHORISATION_BYTES = 512
_RECORD = "station-authorisation"
_FIELDS = ("building", "lock", "station", "signing_key", "sealing_key", "issued_at")


@dataclass(frozen=True, slots=True, kw_only=True)
class StationAuthorisation:
    """The landlord lets this station enrol fingerprints for this lock."""

    building: str
    lock: str
    station: KnownStation
    issued_at: int


def sign_authorisation(authorisation: StationAuthorisation, landlord_key: SigningKey) -> bytes:
    """The landlord signs a station authorisation."""
    fields = {
        "building": authorisation.building,
        "lock": authorisation.lock,
        "station": authorisation.station.name,
        "signing_key": authorisation.station.signing_key.to_bytes(),
        "sealing_key": authorisation.station.sealing_key.to_bytes(),
        "issued_at": authorisation.issued_at,
    }
    return sign_record(_RECORD, fields, landlord_key, max_size=MAX_AUTHORISATION_BYTES)


def read_authorisation(data: bytes) -> StationAuthorisation:
    """Parse a station authorisation strictly, WITHOUT checking who signed it."""
    fields = _read(data).fields
    return StationAuthorisation(
        building=text(fields, "building"),
        lock=text(fields, "lock"),
        station=KnownStation(
            text(fields, "station"),
            public_key(fields, "signing_key"),
            public_key(fields, "sealing_key"),
        ),
        issued_at=uint(fields, "issued_at"),
    )


def verify_authorisation(
    data: bytes, *, building: str, lock: str, landlord_key: PublicKey
) -> StationAuthorisation:
    """The lock's check: signed by its landlord, for this building and this lock."""
    try:
        _read(data).verify(landlord_key)
    except BadSignature as err:
        raise UnknownStation(
            f"the station authorisation is not signed by this lock's landlord: {err}"
        ) from None
    authorisation = read_authorisation(data)
    if authorisation.building != building or authorisation.lock != lock:
        raise WrongLock(
            f"the station authorisation is for lock {authorisation.lock} in "
            f"{authorisation.building}, not for this lock ({lock} in {building})"
        )
    return authorisation


def _read(data: bytes) -> SignedRecord:
    return read_record(data, record_type=_RECORD, fields=_FIELDS, max_size=MAX_AUTHORISATION_BYTES)
