"""Fingerprint objects between the hub and the simulated lock, over the real zigpy stack."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from buildinghub.biometrics.delivery import Channel, SitePolicy, delivery_for
from buildinghub.biometrics.erase import EraseTemplate, sign_erase
from buildinghub.biometrics.sealing import (
    EnrollingStation,
    TemplateBinding,
    read_bundle,
    seal_template,
)
from buildinghub.credentials import SigningKey
from buildinghub.credentials.sealing import SealingKey
from buildinghub.devices.door_lock import LockRefused
from buildinghub.devices.door_lock_protocol import AccessMethod
from buildinghub.devices.door_lock_templates import LockTemplateLink
from buildinghub_sim.fingers import finger_template
from buildinghub_sim.medium import LinkDirection

from . import test_door_lock_radio
from .test_door_lock_radio import NOW, Site, next_event

site = test_door_lock_radio.site  # the running two-flat building and the hub's client

STATION = "hub-station"


def station() -> EnrollingStation:
    return EnrollingStation(STATION, SigningKey.generate(), SealingKey.generate())


def link_of(site: Site) -> LockTemplateLink:
    return LockTemplateLink(
        site.client, lock=site.flat.lock_id, lock_key=site.firmware.signing_key.public_key
    )


def bundle(site: Site, enrolling: EnrollingStation, *, person: str, epoch: int = 1) -> bytes:
    binding = TemplateBinding(
        building=site.building.name,
        lock=site.flat.lock_id,
        tenant=site.flat.tenant,
        template_id=os.urandom(16),
        epoch=epoch,
    )
    return seal_template(
        finger_template(person),
        binding,
        lock_sealing_key=site.firmware.sealing_key.public_key,
        station=enrolling,
    )


async def authorised(site: Site) -> EnrollingStation:
    enrolling = station()
    record = site.building.authorise_station(site.flat, enrolling.known_as(), NOW)
    await link_of(site).authorise_station(record)
    return enrolling


async def test_a_template_sent_by_radio_opens_for_the_tenants_finger(site: Site) -> None:
    site.firmware.apply_grant(site.lease(subject=site.flat.tenant).encoded)
    enrolling = await authorised(site)

    sealed = bundle(site, enrolling, person="Tess")
    carried: list[bytes] = []
    stop = site.medium.add_tap(lambda _direction, data: carried.append(data))

    await link_of(site).send_template(site.flat.lock_id, sealed)
    stop()
    event = await next_event(
        site.client, lambda: site.flat.lock.fingerprint(finger_template("Tess"))
    )

    assert (event.method, event.granted) == (AccessMethod.FINGERPRINT, True)
    # The sniffer the media test relies on does hear the sealed envelope when radio is allowed.
    assert read_bundle(sealed).sealed[:16] in b"".join(carried)


async def test_an_authorisation_from_another_flats_landlord_is_refused(site: Site) -> None:
    enrolling = station()
    record = site.building.authorise_station(site.flat, enrolling.known_as(), NOW)
    other = site.building.flats[1]
    forged = site.building.authorise_station(other, enrolling.known_as(), NOW)

    with pytest.raises(LockRefused) as refused:
        await link_of(site).authorise_station(forged)

    assert refused.value.reason == "unknown_station"
    await link_of(site).authorise_station(record)


async def test_a_replayed_bundle_is_refused_by_the_lock(site: Site) -> None:
    enrolling = await authorised(site)
    sealed = bundle(site, enrolling, person="Tess")
    await link_of(site).send_template(site.flat.lock_id, sealed)

    with pytest.raises(LockRefused) as refused:
        await link_of(site).send_template(site.flat.lock_id, sealed)

    assert refused.value.reason == "replayed_template"


async def test_a_media_only_lock_refuses_a_bundle_by_radio(site: Site) -> None:
    enrolling = await authorised(site)
    assert site.firmware.biometrics is not None
    site.firmware.biometrics.radio_templates = False

    with pytest.raises(LockRefused) as refused:
        await link_of(site).send_template(site.flat.lock_id, bundle(site, enrolling, person="T"))

    assert refused.value.reason == "radio_forbidden"
    assert site.firmware.biometrics.templates.template_ids() == frozenset()


async def test_an_erase_by_radio_comes_back_with_the_locks_signed_confirmation(
    site: Site,
) -> None:
    enrolling = await authorised(site)
    sealed = bundle(site, enrolling, person="Tess")
    await link_of(site).send_template(site.flat.lock_id, sealed)
    assert site.firmware.biometrics is not None
    (template_id,) = site.firmware.biometrics.templates.template_ids()
    command = EraseTemplate(
        building=site.building.name,
        lock=site.flat.lock_id,
        template_id=template_id,
        consent=os.urandom(32),
        command_id=os.urandom(16),
        issued_at=NOW,
    )

    confirmation = await link_of(site).erase_template(sign_erase(command, enrolling.signing_key))

    assert (confirmation.template_id, confirmation.held) == (template_id, True)
    assert site.firmware.biometrics.templates.template_ids() == frozenset()


async def test_in_media_mode_the_radio_never_carries_template_bytes(
    site: Site,
    tmp_path: Path,
) -> None:
    carried: list[bytes] = []

    def sniff(_direction: LinkDirection, data: bytes) -> None:
        carried.append(data)

    stop = site.medium.add_tap(sniff)
    site.firmware.apply_grant(site.lease(subject=site.flat.tenant).encoded)
    enrolling = await authorised(site)
    assert site.firmware.biometrics is not None
    site.firmware.biometrics.radio_templates = False
    sealed = bundle(site, enrolling, person="Tess")
    stick = tmp_path / "usb"
    stick.mkdir()

    delivery = delivery_for(
        SitePolicy(biometrics_over_radio=False), radio=link_of(site), medium=stick
    )
    receipt = await delivery.deliver(sealed)
    site.building.ports = tmp_path / "ports"
    shutil.copytree(stick, site.building.port(site.flat))
    imported = await site.building.import_from_port(site.flat)
    event = await next_event(
        site.client, lambda: site.flat.lock.fingerprint(finger_template("Tess"))
    )
    stop()

    assert receipt.channel is Channel.MEDIA
    assert len(imported.imported) == 1
    assert event.granted
    assert carried, "the sniffer heard the station authorisation and the access event"
    # The bundle's header (building, lock, station names) is public and the authorisation
    # carries the same words; its envelope and the template must never be on the air.
    air = b"".join(carried)
    for secret in (read_bundle(sealed).sealed, finger_template("Tess")):
        slices = {secret[i : i + 16] for i in range(len(secret) - 16)}
        assert not any(piece in air for piece in slices)
