"""Removable media: a sealed bundle exported to a stick is imported at the lock's port, and a
site that forbids biometrics on radio never hands a template to the radio."""

import hashlib
import json
import os
from dataclasses import replace
from pathlib import Path

import pytest

from buildinghub.biometrics.consent import ConsentBook, ConsentRecord, Purpose, sign_consent
from buildinghub.biometrics.delivery import (
    Channel,
    MediaDelivery,
    RadioDelivery,
    SitePolicy,
    deliver_with_consent,
    delivery_for,
)
from buildinghub.biometrics.errors import MediaRefused, NoConsent, RadioForbidden
from buildinghub.biometrics.lock_templates import LockTemplates
from buildinghub.biometrics.media import (
    MAX_ENTRIES,
    MEDIA_FOLDER,
    export_bundle,
    import_bundles,
)
from buildinghub.biometrics.sealing import EnrollingStation, TemplateBinding, seal_template
from buildinghub.credentials.keys import SigningKey
from buildinghub.credentials.signed_record import MalformedRecord

from .conftest import (
    BUILDING,
    LOCK,
    NOW,
    OTHER_LOCK,
    TEMPLATE,
    TEMPLATE_ID,
    Lock,
    make_lock_templates,
)

MEDIA_ONLY = SitePolicy(biometrics_over_radio=False)
RADIO_ALLOWED = SitePolicy(biometrics_over_radio=True)


class RadioLink:
    """The hub's radio side: what it carries goes to a lock's template memory, and is counted."""

    def __init__(self, lock: LockTemplates) -> None:
        self.lock = lock
        self.carried: list[bytes] = []

    async def send_template(self, lock: str, bundle: bytes) -> None:
        self.carried.append(bundle)
        self.lock.import_bundle(bundle)


def _manifest(medium: Path) -> tuple[Path, dict[str, object]]:
    (path,) = (medium / MEDIA_FOLDER).glob("*.manifest.json")
    return path, json.loads(path.read_text())


def test_an_exported_bundle_is_imported_at_the_locks_port(
    tmp_path: Path, bundle: bytes, lock_templates: LockTemplates
) -> None:
    export_bundle(bundle, tmp_path)

    result = lock_templates.import_from_port(tmp_path)

    assert result.imported == (TEMPLATE_ID,)
    assert result.refused == ()
    assert lock_templates.template(TEMPLATE_ID) == TEMPLATE


def test_the_export_is_a_bundle_and_a_manifest_describing_it(tmp_path: Path, bundle: bytes) -> None:
    manifest_path = export_bundle(bundle, tmp_path)

    manifest = json.loads(manifest_path.read_text())
    bundle_path = manifest_path.with_name(str(manifest["bundle"]))
    assert bundle_path.read_bytes() == bundle
    assert manifest["lock"] == LOCK
    assert manifest["template_id"] == TEMPLATE_ID.hex()
    assert manifest["size"] == len(bundle)
    assert sorted(os.listdir(tmp_path / MEDIA_FOLDER)) == sorted(
        [bundle_path.name, manifest_path.name]
    )  # no temporary file is left behind


async def test_in_media_only_mode_no_template_goes_to_the_radio(
    tmp_path: Path,
    bundle: bytes,
    lock: Lock,
    station: EnrollingStation,
    hub_key: SigningKey,
) -> None:
    radio = RadioLink(make_lock_templates(lock, station, hub_key))

    delivery = delivery_for(MEDIA_ONLY, radio=radio, medium=tmp_path)
    receipt = await delivery.deliver(bundle)

    assert isinstance(delivery, MediaDelivery)
    assert receipt.channel is Channel.MEDIA
    assert radio.carried == []
    at_the_port = make_lock_templates(lock, station, hub_key)
    assert at_the_port.import_from_port(tmp_path).imported == (TEMPLATE_ID,)


def test_a_radio_delivery_cannot_be_made_where_the_site_forbids_it(
    lock_templates: LockTemplates,
) -> None:
    with pytest.raises(RadioForbidden) as refused:
        RadioDelivery(RadioLink(lock_templates), MEDIA_ONLY)

    assert refused.value.reason == "radio_forbidden"


def test_a_media_only_site_without_a_medium_is_told_to_mount_one(
    lock_templates: LockTemplates,
) -> None:
    with pytest.raises(RadioForbidden, match="USB stick or SD card"):
        delivery_for(MEDIA_ONLY, radio=RadioLink(lock_templates))


async def test_where_radio_is_allowed_the_bundle_goes_by_radio_to_its_lock(
    bundle: bytes, lock_templates: LockTemplates
) -> None:
    radio = RadioLink(lock_templates)

    receipt = await delivery_for(RADIO_ALLOWED, radio=radio).deliver(bundle)

    assert receipt.channel is Channel.RADIO
    assert receipt.lock == LOCK
    assert radio.carried == [bundle]
    assert lock_templates.template(TEMPLATE_ID) == TEMPLATE


def test_bundles_for_other_locks_on_the_same_medium_are_left_alone(
    tmp_path: Path,
    bundle: bytes,
    binding: TemplateBinding,
    other_lock: Lock,
    station: EnrollingStation,
    lock_templates: LockTemplates,
) -> None:
    other = replace(binding, lock=OTHER_LOCK, template_id=bytes(16))
    export_bundle(
        seal_template(
            TEMPLATE, other, lock_sealing_key=other_lock.sealing_key.public_key, station=station
        ),
        tmp_path,
    )
    export_bundle(bundle, tmp_path)

    result = lock_templates.import_from_port(tmp_path)

    assert result.imported == (TEMPLATE_ID,)
    assert result.refused == ()


def test_a_bundle_imported_twice_from_the_port_is_refused_as_a_replay(
    tmp_path: Path, bundle: bytes, lock_templates: LockTemplates
) -> None:
    export_bundle(bundle, tmp_path)
    lock_templates.import_from_port(tmp_path)

    again = lock_templates.import_from_port(tmp_path)

    assert again.imported == ()
    assert [(refusal.entry, refusal.reason) for refusal in again.refused] == [
        (TEMPLATE_ID.hex(), "replayed_template")
    ]


def test_a_truncated_bundle_is_refused_before_it_is_parsed(
    tmp_path: Path, bundle: bytes, lock_templates: LockTemplates
) -> None:
    manifest_path, manifest = _manifest(export_bundle(bundle, tmp_path).parent.parent)
    manifest_path.with_name(str(manifest["bundle"])).write_bytes(bundle[:-10])

    result = lock_templates.import_from_port(tmp_path)

    assert result.imported == ()
    (refusal,) = result.refused
    assert refusal.entry == manifest_path.name
    assert refusal.reason == "media_refused"
    assert "truncated or swapped" in refusal.message


def test_a_manifest_that_lies_about_its_bundle_is_refused(
    tmp_path: Path, bundle: bytes, binding: TemplateBinding, lock: Lock, station: EnrollingStation
) -> None:
    export_bundle(bundle, tmp_path)
    manifest_path, manifest = _manifest(tmp_path)
    # Another template's bundle (for this lock) under this manifest's names, sizes and hash.
    swapped = seal_template(
        TEMPLATE,
        replace(binding, template_id=bytes(16)),
        lock_sealing_key=lock.sealing_key.public_key,
        station=station,
    )
    manifest_path.with_name(str(manifest["bundle"])).write_bytes(swapped)
    manifest_path.write_text(
        json.dumps(manifest | {"size": len(swapped), "sha256": hashlib.sha256(swapped).hexdigest()})
    )

    found = import_bundles(tmp_path, building=BUILDING, lock=LOCK)

    assert found.bundles == ()
    assert "does not match its manifest" in found.refused[0].message


@pytest.mark.parametrize(
    ("edit", "why"),
    [
        (lambda text: text.replace('"version": 1', '"version": 2'), "version 1"),
        (lambda text: text.replace("{", '{"extra": 0, ', 1), "exactly the keys"),
        (lambda text: text.replace("{", '{"epoch": 1, ', 1), "repeats a key"),
        (lambda text: text.replace('"epoch": 1', '"epoch": "1"'), "epoch"),
        (lambda text: text.replace('"epoch": 1', '"epoch": 9'), "file names do not match"),
        (lambda text: text[:-1], "not JSON"),
        (lambda text: text + " " * 1024, "more than 1024"),
    ],
    ids=["version", "extra-key", "repeated-key", "text-epoch", "renamed", "not-json", "oversized"],
)
def test_a_malformed_manifest_is_refused_with_its_reason(
    tmp_path: Path, bundle: bytes, edit: object, why: str
) -> None:
    export_bundle(bundle, tmp_path)
    manifest_path, _ = _manifest(tmp_path)
    manifest_path.write_text(edit(manifest_path.read_text()))  # type: ignore[operator]

    found = import_bundles(tmp_path, building=BUILDING, lock=LOCK)

    assert found.bundles == ()
    assert why in found.refused[0].message


def test_a_symlinked_bundle_is_not_followed(tmp_path: Path, bundle: bytes) -> None:
    export_bundle(bundle, tmp_path)
    manifest_path, manifest = _manifest(tmp_path)
    bundle_path = manifest_path.with_name(str(manifest["bundle"]))
    elsewhere = tmp_path / "elsewhere.bundle"
    bundle_path.rename(elsewhere)
    bundle_path.symlink_to(elsewhere)

    found = import_bundles(tmp_path, building=BUILDING, lock=LOCK)

    assert found.bundles == ()
    assert "not a regular file" in found.refused[0].message


def test_a_medium_without_the_template_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(MediaRefused, match=MEDIA_FOLDER) as refused:
        import_bundles(tmp_path, building=BUILDING, lock=LOCK)

    assert refused.value.reason == "media_refused"


def test_a_medium_with_too_many_manifests_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / MEDIA_FOLDER
    folder.mkdir()
    for index in range(MAX_ENTRIES + 1):
        (folder / f"template-{index:032x}-e1.manifest.json").write_text("{}")

    with pytest.raises(MediaRefused, match="more than 64"):
        import_bundles(tmp_path, building=BUILDING, lock=LOCK)


def test_a_file_named_unlike_an_export_is_refused(tmp_path: Path, bundle: bytes) -> None:
    export_bundle(bundle, tmp_path)
    (tmp_path / MEDIA_FOLDER / "evil.manifest.json").write_text("{}")

    found = import_bundles(tmp_path, building=BUILDING, lock=LOCK)

    assert [refusal.message for refusal in found.refused] == [
        "the manifest's file name is not one an export writes"
    ]
    assert len(found.bundles) == 1


def test_exporting_something_that_is_not_a_bundle_writes_nothing(tmp_path: Path) -> None:
    with pytest.raises(MalformedRecord):
        export_bundle(b"not a bundle", tmp_path)

    assert not (tmp_path / MEDIA_FOLDER).exists()


async def test_nothing_is_sent_without_a_consent_to_send_it(
    tmp_path: Path,
    bundle: bytes,
    lock_templates: LockTemplates,
    consent_book: ConsentBook,
    signed_consent: bytes,
    consent: ConsentRecord,
    tenant_key: SigningKey,
) -> None:
    radio = RadioLink(lock_templates)
    delivery = delivery_for(RADIO_ALLOWED, radio=radio)
    consent_book.record(signed_consent)  # capture and store only

    with pytest.raises(NoConsent):
        await deliver_with_consent(delivery, bundle, consents=consent_book, now=NOW)
    assert radio.carried == []

    to_send = replace(consent, purposes=frozenset({Purpose.SEND}))
    consent_book.record(sign_consent(to_send, tenant_key))
    receipt = await deliver_with_consent(delivery, bundle, consents=consent_book, now=NOW)

    assert receipt.channel is Channel.RADIO
    assert radio.carried == [bundle]
