"""Fingerprints at the reference door lock: stations, sealed templates, the sensor, erase, purge."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest

from buildinghub.biometrics.erase import (
    EraseConfirmation,
    EraseTemplate,
    sign_erase,
    verify_confirmation,
)
from buildinghub.biometrics.errors import (
    EraseRefused,
    RadioForbidden,
    SealedTemplateRefused,
    StaleAuthorisation,
    StaleEpoch,
    TemplateReplayed,
    UnknownStation,
    WrongLock,
)
from buildinghub.biometrics.media import export_bundle
from buildinghub.biometrics.sealing import EnrollingStation, TemplateBinding, seal_template
from buildinghub.biometrics.station import StationAuthorisation, sign_authorisation
from buildinghub.credentials import SigningKey
from buildinghub.credentials.sealing import SealingKey
from buildinghub.devices.door_lock_protocol import AccessMethod
from buildinghub_sim.door_lock_biometrics import LockBiometrics
from buildinghub_sim.door_lock_firmware import DEFAULT_BUILDING, DoorLockFirmware
from buildinghub_sim.fingers import finger_template

from .test_door_lock_firmware import DAY, HOUR, LOCK, NOW, Clock, Landlord

TENANT = "tenant:flat-1a"
FRIEND = "friend:of-flat-1a"


def new_station(name: str = "hub-station") -> EnrollingStation:
    return EnrollingStation(name, SigningKey.generate(), SealingKey.generate())


def authorise(
    landlord: Landlord, station: EnrollingStation, *, issued_at: int = NOW, **changes: str
) -> bytes:
    authorisation = StationAuthorisation(
        building=DEFAULT_BUILDING, lock=LOCK, station=station.known_as(), issued_at=issued_at
    )
    return sign_authorisation(replace(authorisation, **changes), landlord.key)


def bundle_for(
    lock: DoorLockFirmware,
    station: EnrollingStation,
    *,
    person: str,
    tenant: str = TENANT,
    template_id: bytes | None = None,
    epoch: int = 1,
) -> bytes:
    binding = TemplateBinding(
        building=DEFAULT_BUILDING,
        lock=lock.lock_id,
        tenant=tenant,
        template_id=template_id or os.urandom(16),
        epoch=epoch,
    )
    return seal_template(
        finger_template(person),
        binding,
        lock_sealing_key=lock.sealing_key.public_key,
        station=station,
    )


def biometrics_of(firmware: DoorLockFirmware) -> LockBiometrics:
    assert firmware.biometrics is not None
    return firmware.biometrics


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def firmware(clock: Clock) -> DoorLockFirmware:
    return DoorLockFirmware(LOCK, clock=clock)


@pytest.fixture
def landlord(firmware: DoorLockFirmware) -> Landlord:
    landlord = Landlord(firmware)
    firmware.install(landlord.record())
    return landlord


@pytest.fixture
def station(firmware: DoorLockFirmware, landlord: Landlord) -> EnrollingStation:
    station = new_station()
    biometrics_of(firmware).authorise_station(authorise(landlord, station))
    return station


@pytest.fixture
def tenant_key() -> SigningKey:
    return SigningKey.generate()


# -- station authorisations --------------------------------------------------------------


def test_the_landlord_authorises_a_station(firmware: DoorLockFirmware, landlord: Landlord) -> None:
    station = new_station()

    authorised = biometrics_of(firmware).authorise_station(authorise(landlord, station))

    assert authorised.station == station.known_as()
    assert biometrics_of(firmware).templates.stations == (station.known_as(),)


def test_an_authorisation_signed_by_anyone_else_is_refused(
    firmware: DoorLockFirmware, landlord: Landlord
) -> None:
    stranger = Landlord(firmware, SigningKey.generate())

    with pytest.raises(UnknownStation):
        biometrics_of(firmware).authorise_station(authorise(stranger, new_station()))

    assert biometrics_of(firmware).templates.stations == ()


@pytest.mark.parametrize("field", ["lock", "building"])
def test_an_authorisation_for_another_lock_is_refused(
    firmware: DoorLockFirmware, landlord: Landlord, field: str
) -> None:
    with pytest.raises(WrongLock):
        biometrics_of(firmware).authorise_station(
            authorise(landlord, new_station(), **{field: "elsewhere"})
        )


def test_an_older_authorisation_of_a_station_is_refused(
    firmware: DoorLockFirmware, landlord: Landlord
) -> None:
    newer = new_station()
    biometrics_of(firmware).authorise_station(authorise(landlord, newer, issued_at=NOW))

    with pytest.raises(StaleAuthorisation):
        biometrics_of(firmware).authorise_station(
            authorise(landlord, new_station(), issued_at=NOW - DAY)
        )

    assert biometrics_of(firmware).templates.stations == (newer.known_as(),)


# -- at the door -------------------------------------------------------------------------


def test_the_enrolled_tenants_finger_opens_under_their_grant(
    firmware: DoorLockFirmware,
    landlord: Landlord,
    station: EnrollingStation,
    tenant_key: SigningKey,
) -> None:
    grant = firmware.apply_grant(landlord.grant(holder=tenant_key, subject=TENANT))
    biometrics_of(firmware).import_by_radio(bundle_for(firmware, station, person="Tess"))

    event = firmware.fingerprint(finger_template("Tess"))

    assert (event.method, event.granted, event.reason) == (
        AccessMethod.FINGERPRINT,
        True,
        "granted",
    )
    assert event.grant_id == grant.signed.grant.grant_id
    assert not firmware.locked


def test_a_friends_enrolled_finger_is_refused_and_reported_under_the_tenants_grant(
    firmware: DoorLockFirmware,
    landlord: Landlord,
    station: EnrollingStation,
    tenant_key: SigningKey,
) -> None:
    grant = firmware.apply_grant(landlord.grant(holder=tenant_key, subject=TENANT))
    biometrics_of(firmware).import_by_radio(
        bundle_for(firmware, station, person="Fred", tenant=FRIEND)
    )
    heard = []
    firmware.add_listener(heard.append)

    event = firmware.fingerprint(finger_template("Fred"))

    assert (event.granted, event.reason) == (False, "not_enrolled_tenant")
    assert event.grant_id == grant.signed.grant.grant_id
    assert heard == [event]
    assert firmware.locked


def test_a_finger_no_template_matches_is_no_match(
    firmware: DoorLockFirmware,
    landlord: Landlord,
    station: EnrollingStation,
    tenant_key: SigningKey,
) -> None:
    firmware.apply_grant(landlord.grant(holder=tenant_key, subject=TENANT))
    biometrics_of(firmware).import_by_radio(bundle_for(firmware, station, person="Tess"))

    event = firmware.fingerprint(finger_template("Tess", "left thumb"))

    assert (event.granted, event.reason, event.grant_id) == (False, "no_match", None)


def test_the_tenants_finger_outside_their_grant_window_is_refused(
    firmware: DoorLockFirmware,
    clock: Clock,
    landlord: Landlord,
    station: EnrollingStation,
    tenant_key: SigningKey,
) -> None:
    firmware.apply_grant(
        landlord.grant(
            holder=tenant_key, subject=TENANT, not_before=NOW + DAY, expires=NOW + 9 * DAY
        )
    )
    biometrics_of(firmware).import_by_radio(bundle_for(firmware, station, person="Tess"))

    event = firmware.fingerprint(finger_template("Tess"))

    assert (event.granted, event.reason) == (False, "not_yet_valid")


# -- sealed bundles ----------------------------------------------------------------------


def test_a_bundle_from_a_station_the_landlord_did_not_authorise_is_refused(
    firmware: DoorLockFirmware, landlord: Landlord, station: EnrollingStation
) -> None:
    with pytest.raises(UnknownStation):
        biometrics_of(firmware).import_by_radio(
            bundle_for(firmware, new_station("rogue"), person="Tess")
        )

    assert biometrics_of(firmware).templates.template_ids() == frozenset()


def test_a_bundle_sealed_for_another_lock_is_refused(
    firmware: DoorLockFirmware, clock: Clock, landlord: Landlord, station: EnrollingStation
) -> None:
    other = DoorLockFirmware("door-02", clock=clock)
    Landlord(other, landlord.key)  # the same landlord, the neighbouring door

    with pytest.raises(WrongLock):
        biometrics_of(firmware).import_by_radio(bundle_for(other, station, person="Tess"))


def test_a_bundle_sealed_to_another_locks_key_does_not_open(
    firmware: DoorLockFirmware, clock: Clock, landlord: Landlord, station: EnrollingStation
) -> None:
    impostor = DoorLockFirmware(LOCK, clock=clock)  # same id, another device's key

    with pytest.raises(SealedTemplateRefused):
        biometrics_of(firmware).import_by_radio(bundle_for(impostor, station, person="Tess"))


def test_a_replayed_or_older_template_is_refused(
    firmware: DoorLockFirmware, landlord: Landlord, station: EnrollingStation
) -> None:
    template_id = os.urandom(16)
    first = bundle_for(firmware, station, person="Tess", template_id=template_id, epoch=2)
    biometrics_of(firmware).import_by_radio(first)

    with pytest.raises(TemplateReplayed):
        biometrics_of(firmware).import_by_radio(first)
    with pytest.raises(StaleEpoch):
        biometrics_of(firmware).import_by_radio(
            bundle_for(firmware, station, person="Tess", template_id=template_id, epoch=1)
        )


def test_a_media_only_lock_refuses_templates_by_radio(clock: Clock, tmp_path: Path) -> None:
    firmware = DoorLockFirmware(LOCK, clock=clock, radio_templates=False)
    landlord = Landlord(firmware)
    firmware.install(landlord.record())
    station = new_station()
    biometrics_of(firmware).authorise_station(authorise(landlord, station))
    bundle = bundle_for(firmware, station, person="Tess")

    with pytest.raises(RadioForbidden):
        biometrics_of(firmware).import_by_radio(bundle)
    export_bundle(bundle, tmp_path)
    imported = biometrics_of(firmware).templates.import_from_port(tmp_path)

    assert len(imported.imported) == 1
    assert biometrics_of(firmware).match(finger_template("Tess")) is not None


# -- erase -------------------------------------------------------------------------------


def erase_command(template_id: bytes, key: SigningKey, lock: str = LOCK) -> bytes:
    command = EraseTemplate(
        building=DEFAULT_BUILDING,
        lock=lock,
        template_id=template_id,
        consent=os.urandom(32),
        command_id=os.urandom(16),
        issued_at=NOW,
    )
    return sign_erase(command, key)


def test_the_station_erases_a_template_and_the_lock_confirms_with_its_signature(
    firmware: DoorLockFirmware,
    landlord: Landlord,
    station: EnrollingStation,
    tenant_key: SigningKey,
) -> None:
    firmware.apply_grant(landlord.grant(holder=tenant_key, subject=TENANT))
    template_id = os.urandom(16)
    biometrics_of(firmware).import_by_radio(
        bundle_for(firmware, station, person="Tess", template_id=template_id)
    )
    command = erase_command(template_id, station.signing_key)

    answer = biometrics_of(firmware).erase(command)

    confirmation = verify_confirmation(
        answer, command=command, lock_key=firmware.signing_key.public_key
    )
    assert confirmation == EraseConfirmation(
        building=DEFAULT_BUILDING,
        lock=LOCK,
        template_id=template_id,
        command=confirmation.command,
        held=True,
        erased_at=NOW,
    )
    assert biometrics_of(firmware).last_confirmation == answer
    assert firmware.fingerprint(finger_template("Tess")).reason == "no_match"


def test_an_erase_from_an_unknown_key_erases_nothing(
    firmware: DoorLockFirmware, landlord: Landlord, station: EnrollingStation
) -> None:
    template_id = os.urandom(16)
    biometrics_of(firmware).import_by_radio(
        bundle_for(firmware, station, person="Tess", template_id=template_id)
    )

    with pytest.raises(EraseRefused):
        biometrics_of(firmware).erase(erase_command(template_id, SigningKey.generate()))

    assert biometrics_of(firmware).templates.template_ids() == {template_id}


def test_the_landlord_may_erase_too(
    firmware: DoorLockFirmware, landlord: Landlord, station: EnrollingStation
) -> None:
    template_id = os.urandom(16)
    biometrics_of(firmware).import_by_radio(
        bundle_for(firmware, station, person="Tess", template_id=template_id)
    )

    biometrics_of(firmware).erase(erase_command(template_id, landlord.key))

    assert biometrics_of(firmware).templates.template_ids() == frozenset()


# -- expiry purge (R6) -------------------------------------------------------------------


def test_purging_an_expired_grant_drops_its_tenants_templates_only(
    firmware: DoorLockFirmware,
    clock: Clock,
    landlord: Landlord,
    station: EnrollingStation,
    tenant_key: SigningKey,
) -> None:
    firmware.apply_grant(landlord.grant(holder=tenant_key, subject=TENANT, expires=NOW + HOUR))
    firmware.apply_grant(landlord.grant(holder=SigningKey.generate(), subject="tenant:two"))
    biometrics_of(firmware).import_by_radio(bundle_for(firmware, station, person="Tess"))
    biometrics_of(firmware).import_by_radio(
        bundle_for(firmware, station, person="Tom", tenant="tenant:two")
    )
    clock.time = NOW + HOUR

    assert firmware.purge_expired() == 1

    assert biometrics_of(firmware).match(finger_template("Tess")) is None
    assert biometrics_of(firmware).match(finger_template("Tom")) is not None


def test_a_renewed_lease_keeps_the_tenants_finger(
    firmware: DoorLockFirmware,
    clock: Clock,
    landlord: Landlord,
    station: EnrollingStation,
    tenant_key: SigningKey,
) -> None:
    firmware.apply_grant(landlord.grant(holder=tenant_key, subject=TENANT, expires=NOW + HOUR))
    firmware.apply_grant(
        landlord.grant(holder=tenant_key, subject=TENANT, not_before=NOW + HOUR - 60)
    )
    biometrics_of(firmware).import_by_radio(bundle_for(firmware, station, person="Tess"))
    clock.time = NOW + HOUR

    firmware.purge_expired()

    assert firmware.fingerprint(finger_template("Tess")).granted


def test_an_erased_templates_bundle_still_on_a_stick_is_refused_later(
    firmware: DoorLockFirmware, landlord: Landlord, station: EnrollingStation, tmp_path: Path
) -> None:
    """Consent withdrawn while the exported stick was still in the office drawer."""
    template_id = os.urandom(16)
    export_bundle(bundle_for(firmware, station, person="Tess", template_id=template_id), tmp_path)
    answer = biometrics_of(firmware).erase(erase_command(template_id, station.signing_key))
    assert answer

    inserted = biometrics_of(firmware).templates.import_from_port(tmp_path)

    assert inserted.imported == ()
    assert [refusal.reason for refusal in inserted.refused] == ["replayed_template"]
    assert biometrics_of(firmware).match(finger_template("Tess")) is None
