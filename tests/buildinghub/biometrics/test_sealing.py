"""Templates sealed to one lock: only that lock opens them, once per epoch, from a known station."""

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from buildinghub.biometrics.errors import (
    SealedTemplateRefused,
    StaleEpoch,
    TemplateReplayed,
    UnknownStation,
    WrongLock,
)
from buildinghub.biometrics.sealing import (
    MAX_TEMPLATE_BYTES,
    EnrollingStation,
    TemplateBinding,
    TemplateOpener,
    TemplateReplayGuard,
    read_bundle,
    seal_template,
)
from buildinghub.credentials.envelope import seal
from buildinghub.credentials.errors import BadSignature, CredentialError
from buildinghub.credentials.keys import SigningKey
from buildinghub.credentials.sealing import SealingKey
from buildinghub.credentials.signed_record import sign_record
from tests.buildinghub.tampering import flip

from .conftest import BUILDING, LOCK, TEMPLATE, TEMPLATE_ID, TENANT, Lock


def _opener(
    lock: Lock, station: EnrollingStation, guard: TemplateReplayGuard | None = None
) -> TemplateOpener:
    return TemplateOpener(
        building=BUILDING,
        lock=lock.name,
        sealing_key=lock.sealing_key,
        stations=[station.known_as()],
        guard=guard or TemplateReplayGuard(),
    )


def _seal(binding: TemplateBinding, lock: Lock, station: EnrollingStation) -> bytes:
    return seal_template(
        TEMPLATE, binding, lock_sealing_key=lock.sealing_key.public_key, station=station
    )


def _forged_bundle(
    header: TemplateBinding, sealed_for: TemplateBinding, lock: Lock, station: EnrollingStation
) -> bytes:
    """A bundle whose signed header says `header` but whose envelope was sealed for `sealed_for`."""
    envelope = seal(
        TEMPLATE,
        lock.sealing_key.public_key,
        info=sealed_for.info(),
        sender=station.sealing_key,
    )
    fields = {
        "building": header.building,
        "lock": header.lock,
        "tenant": header.tenant,
        "template_id": header.template_id,
        "epoch": header.epoch,
        "station": station.name,
        "sealed": envelope,
    }
    return sign_record("sealed-template", fields, station.signing_key, max_size=4096)


def test_the_target_lock_opens_the_template_with_its_binding(
    lock: Lock, station: EnrollingStation, bundle: bytes, binding: TemplateBinding
) -> None:
    opened = _opener(lock, station).open(bundle)

    assert opened.template == TEMPLATE
    assert opened.binding == binding
    assert opened.station == station.name


def test_the_bundle_does_not_carry_the_template_in_the_clear(bundle: bytes) -> None:
    assert TEMPLATE[8:40] not in bundle


def test_a_template_sealed_for_another_lock_is_refused_by_this_lock(
    lock: Lock, other_lock: Lock, station: EnrollingStation, binding: TemplateBinding
) -> None:
    for_other = _seal(replace(binding, lock=other_lock.name), other_lock, station)

    with pytest.raises(WrongLock, match=other_lock.name):
        _opener(lock, station).open(for_other)


def test_a_template_sealed_for_another_lock_does_not_open_even_with_a_rewritten_header(
    lock: Lock, other_lock: Lock, station: EnrollingStation, binding: TemplateBinding
) -> None:
    # Sealed to the other lock's key for the other lock, then re-labelled (and re-signed by the
    # station) as if for this lock: the envelope does not open here.
    other_binding = replace(binding, lock=other_lock.name)
    relabelled = _forged_bundle(binding, other_binding, other_lock, station)

    with pytest.raises(SealedTemplateRefused) as refused:
        _opener(lock, station).open(relabelled)

    assert refused.value.reason == "unsealable_template"


def test_the_other_locks_key_cannot_open_a_template_sealed_to_this_lock(
    lock: Lock, other_lock: Lock, station: EnrollingStation, binding: TemplateBinding
) -> None:
    # The other lock, misconfigured with this lock's name, still lacks this lock's key.
    impostor = Lock(lock.name, other_lock.signing_key, other_lock.sealing_key)

    with pytest.raises(SealedTemplateRefused):
        _opener(impostor, station).open(_seal(binding, lock, station))


@pytest.mark.parametrize(
    "change",
    [{"tenant": "tenant-0043"}, {"template_id": bytes(16)}, {"epoch": 2}, {"building": "b8"}],
    ids=["tenant", "template-id", "epoch", "building"],
)
def test_each_bound_value_is_checked_by_the_envelope(
    lock: Lock, station: EnrollingStation, binding: TemplateBinding, change: dict[str, object]
) -> None:
    header = replace(binding, **change)  # type: ignore[arg-type]
    opener = TemplateOpener(
        building=header.building,
        lock=lock.name,
        sealing_key=lock.sealing_key,
        stations=[station.known_as()],
        guard=TemplateReplayGuard(),
    )

    with pytest.raises(SealedTemplateRefused):
        opener.open(_forged_bundle(header, binding, lock, station))


def test_a_bundle_from_an_unknown_station_is_refused(
    lock: Lock, station: EnrollingStation, binding: TemplateBinding
) -> None:
    stranger = EnrollingStation(station.name, SigningKey.generate(), SealingKey.generate())

    with pytest.raises(UnknownStation, match="does not know") as refused:
        _opener(lock, station).open(_seal(binding, lock, stranger))

    assert refused.value.reason == "unknown_station"


def test_a_bundle_signed_by_the_station_but_not_sealed_by_it_does_not_open(
    lock: Lock, station: EnrollingStation, binding: TemplateBinding
) -> None:
    # Auth mode: a signing key alone (stolen, say) does not make a bundle the lock opens.
    half = EnrollingStation(station.name, station.signing_key, SealingKey.generate())

    with pytest.raises(SealedTemplateRefused):
        _opener(lock, station).open(_seal(binding, lock, half))


def test_a_forged_station_signature_is_refused(
    lock: Lock, station: EnrollingStation, bundle: bytes
) -> None:
    with pytest.raises(BadSignature):
        _opener(lock, station).open(flip(bundle, len(bundle) * 8 - 1))


def test_the_same_template_id_and_epoch_is_refused_the_second_time(
    lock: Lock, station: EnrollingStation, bundle: bytes
) -> None:
    opener = _opener(lock, station)
    opener.open(bundle)

    with pytest.raises(TemplateReplayed) as refused:
        opener.open(bundle)

    assert refused.value.reason == "replayed_template"


def test_a_resealed_copy_of_an_imported_epoch_is_a_replay(
    lock: Lock, station: EnrollingStation, bundle: bytes, binding: TemplateBinding
) -> None:
    opener = _opener(lock, station)
    opener.open(bundle)

    with pytest.raises(TemplateReplayed):
        opener.open(_seal(binding, lock, station))


def test_a_newer_epoch_replaces_and_an_older_one_is_stale(
    lock: Lock, station: EnrollingStation, binding: TemplateBinding
) -> None:
    opener = _opener(lock, station)
    opener.open(_seal(replace(binding, epoch=3), lock, station))

    assert opener.open(_seal(replace(binding, epoch=4), lock, station)).binding.epoch == 4
    with pytest.raises(StaleEpoch, match="older than the imported epoch 4") as refused:
        opener.open(_seal(replace(binding, epoch=2), lock, station))
    assert refused.value.reason == "stale_epoch"


def test_a_refused_bundle_does_not_use_up_its_epoch(
    lock: Lock, station: EnrollingStation, binding: TemplateBinding
) -> None:
    opener = _opener(lock, station)
    with pytest.raises(SealedTemplateRefused):
        opener.open(_forged_bundle(binding, replace(binding, lock="x"), lock, station))

    assert opener.open(_seal(binding, lock, station)).binding == binding


def test_the_replay_guard_survives_a_restart_from_its_snapshot(
    lock: Lock, station: EnrollingStation, bundle: bytes
) -> None:
    guard = TemplateReplayGuard()
    _opener(lock, station, guard).open(bundle)

    restarted = _opener(lock, station, TemplateReplayGuard(guard.snapshot()))

    with pytest.raises(TemplateReplayed):
        restarted.open(bundle)


def test_a_bundle_reads_back_its_binding_without_any_key(
    bundle: bytes, binding: TemplateBinding, station: EnrollingStation
) -> None:
    parsed = read_bundle(bundle)

    assert parsed.binding == binding
    assert parsed.station == station.name
    assert parsed.kid == station.signing_key.public_key.kid


@pytest.mark.parametrize("size", [0, MAX_TEMPLATE_BYTES + 1])
def test_a_template_of_impossible_size_is_not_sealed(
    lock: Lock, station: EnrollingStation, binding: TemplateBinding, size: int
) -> None:
    with pytest.raises(ValueError, match="a template is 1 to"):
        seal_template(
            bytes(size), binding, lock_sealing_key=lock.sealing_key.public_key, station=station
        )


def test_the_info_is_canonical_cbor_binding_every_value(binding: TemplateBinding) -> None:
    assert binding.info() == (
        b"\x86\x77buildinghub-template-v1"
        + b"\x6a" + BUILDING.encode()
        + b"\x75" + LOCK.encode()
        + b"\x6b" + TENANT.encode()
        + b"\x50" + TEMPLATE_ID
        + b"\x01"
    )  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_no_single_bit_change_of_a_sealed_bundle_is_accepted(
    lock: Lock, station: EnrollingStation, bundle: bytes, data: st.DataObject
) -> None:
    bit = data.draw(st.integers(0, len(bundle) * 8 - 1), label="bit")

    with pytest.raises(CredentialError):
        _opener(lock, station).open(flip(bundle, bit))
