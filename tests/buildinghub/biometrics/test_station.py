"""Station authorisations: the landlord's word that a lock may trust an enrolling station."""

from __future__ import annotations

import pytest

from buildinghub.biometrics.errors import UnknownStation, WrongLock
from buildinghub.biometrics.sealing import EnrollingStation
from buildinghub.biometrics.station import (
    StationAuthorisation,
    read_authorisation,
    sign_authorisation,
    verify_authorisation,
)
from buildinghub.credentials import SigningKey
from buildinghub.credentials.sealing import SealingKey
from buildinghub.credentials.signed_record import MalformedRecord, sign_record

LANDLORD = SigningKey.generate()
STATION = EnrollingStation("hub-1", SigningKey.generate(), SealingKey.generate())
AUTHORISATION = StationAuthorisation(
    building="Maple Court", lock="door-01", station=STATION.known_as(), issued_at=1_767_225_600
)


def test_a_signed_authorisation_reads_back_as_signed() -> None:
    record = sign_authorisation(AUTHORISATION, LANDLORD)

    verified = verify_authorisation(
        record, building="Maple Court", lock="door-01", landlord_key=LANDLORD.public_key
    )

    assert verified == AUTHORISATION == read_authorisation(record)


def test_an_authorisation_by_another_key_is_an_unknown_station() -> None:
    record = sign_authorisation(AUTHORISATION, SigningKey.generate())

    with pytest.raises(UnknownStation):
        verify_authorisation(
            record, building="Maple Court", lock="door-01", landlord_key=LANDLORD.public_key
        )


@pytest.mark.parametrize(("building", "lock"), [("Maple Court", "door-02"), ("Elm", "door-01")])
def test_an_authorisation_for_another_lock_or_building_is_refused(building: str, lock: str) -> None:
    record = sign_authorisation(AUTHORISATION, LANDLORD)

    with pytest.raises(WrongLock):
        verify_authorisation(record, building=building, lock=lock, landlord_key=LANDLORD.public_key)


def test_a_record_with_a_broken_key_is_malformed() -> None:
    fields = {
        "building": "Maple Court",
        "lock": "door-01",
        "station": "hub-1",
        "signing_key": b"\x04" + bytes(64),
        "sealing_key": STATION.sealing_key.public_key.to_bytes(),
        "issued_at": 1,
    }
    record = sign_record("station-authorisation", fields, LANDLORD, max_size=512)

    with pytest.raises(MalformedRecord):
        read_authorisation(record)
