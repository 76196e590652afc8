"""Fingerprints through Home Assistant: consent, identity-checked enrolment, delivery, erasure."""

from __future__ import annotations

import base64
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import Context, Event, HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError, Unauthorized
from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from buildinghub.biometrics.sealing import KnownStation
from buildinghub.credentials import SigningKey
from buildinghub_ha.const import CONF_RADIO_PATH
from buildinghub_sim.building import SimulatedBuilding, SimulatedFlat
from buildinghub_sim.door_lock_biometrics import LockBiometrics
from buildinghub_sim.fingers import finger_template
from custom_components.rental_lock.const import (
    CONF_BIOMETRICS_OVER_RADIO,
    CONF_MEDIA_PATH,
    DOMAIN,
    EVENT_TEMPLATE_ERASED,
)
from custom_components.rental_lock.diagnostics import async_get_config_entry_diagnostics
from tests.blueprints.helpers import async_notifications

from .conftest import HOUR, IssueGrant, make_resident
from .tenants import (
    Tenant,
    at_the_door,
    authorise,
    b64,
    call,
    consented,
    consented_and_enrolled,
    enrol,
    key_from,
    lease,
    lock_templates,
)
from .test_access_blueprint import _use_blueprint

# -- the whole flow by radio ------------------------------------------------------------


@pytest.mark.usefixtures("init_integration")
async def test_the_tenant_consents_the_admin_enrols_and_her_finger_opens(
    hass: HomeAssistant, tenant: Tenant
) -> None:
    template_id = os.urandom(16)
    consent = tenant.consent(template_id)

    recorded = await call(hass, "record_consent", {"consent": consent}, user=tenant.user)
    enrolled = await enrol(hass, tenant, template_id, lock="Flat 1A")  # or its id, door-01
    shown = await at_the_door(hass, tenant.flat, "Tess")

    assert recorded == {
        "template_id": template_id.hex(),
        "tenant": tenant.flat.tenant,
        "lock": tenant.flat.lock_id,
        "purposes": ["capture", "send", "store"],
        "given_at": tenant.start,
        "withdrawn_at": None,
    }
    assert enrolled == {
        "flat": "Flat 1A",
        "template_id": template_id.hex(),
        "tenant": tenant.flat.tenant,
        "epoch": 1,
        "channel": "radio",
        "path": None,
        "verified_by": "Ana (landlord)",
        "document_kind": "passport",
    }
    assert lock_templates(tenant.flat) == {template_id}
    assert (shown["event_type"], shown["method"], shown["holder"]) == (
        "access_granted",
        "fingerprint",
        tenant.flat.tenant,
    )


@pytest.mark.usefixtures("init_integration")
async def test_a_friends_finger_is_refused_and_the_landlord_sees_why(
    hass: HomeAssistant,
    building: SimulatedBuilding,
    tenant: Tenant,
    issue: IssueGrant,
) -> None:
    """The tenant of 1B is enrolled at 1A's lock (identity checked), yet holds no grant there."""
    neighbour_flat = building.flats[1]
    friend = Tenant(
        neighbour_flat,
        SigningKey.generate(),
        await make_resident(hass, "Friend"),
        "Fred",
        tenant.start,
    )
    await lease(hass, issue, neighbour_flat, friend.key, friend.user)
    template_id = os.urandom(16)
    await call(
        hass, "record_consent", {"consent": friend.consent(template_id, lock=tenant.flat.lock_id)}
    )
    await enrol(hass, friend, template_id, lock=tenant.flat.lock_id)

    shown = await at_the_door(hass, tenant.flat, "Fred")

    assert (shown["event_type"], shown["method"], shown["reason"]) == (
        "access_denied",
        "fingerprint",
        "not_enrolled_tenant",
    )
    assert shown["holder"] == tenant.flat.tenant  # the tenancy the friend's finger was tried on
    assert tenant.flat.lock.firmware.locked
    stranger = await at_the_door(hass, tenant.flat, "Someone else")
    assert (stranger["event_type"], stranger["reason"]) == ("access_denied", "no_match")


# -- refusals -----------------------------------------------------------------------------


async def refused_enrolment(hass: HomeAssistant, tenant: Tenant, template_id: bytes) -> str:
    """Enrol and expect a refusal that leaves the lock as it was; returns its translation key."""
    before = lock_templates(tenant.flat)
    with pytest.raises(ServiceValidationError) as caught:
        await enrol(hass, tenant, template_id)
    assert lock_templates(tenant.flat) == before
    assert caught.value.translation_key is not None
    return caught.value.translation_key


async def refused(hass: HomeAssistant, service: str, data: dict[str, Any]) -> str:
    with pytest.raises(ServiceValidationError) as caught:
        await hass.services.async_call(DOMAIN, service, data, blocking=True, return_response=True)
    assert caught.value.translation_key is not None
    return caught.value.translation_key


@pytest.mark.usefixtures("init_integration")
async def test_no_finger_is_enrolled_without_a_consent(hass: HomeAssistant, tenant: Tenant) -> None:
    assert await refused_enrolment(hass, tenant, os.urandom(16)) == "biometric_no_consent"


@pytest.mark.usefixtures("init_integration")
async def test_a_consent_for_another_lock_does_not_enrol_this_one(
    hass: HomeAssistant, building: SimulatedBuilding, tenant: Tenant
) -> None:
    template_id = os.urandom(16)
    other_lock = building.flats[1].lock_id
    await call(hass, "record_consent", {"consent": tenant.consent(template_id, lock=other_lock)})

    assert await refused_enrolment(hass, tenant, template_id) == "biometric_wrong_lock"


@pytest.mark.usefixtures("init_integration")
async def test_a_lock_that_does_not_trust_the_station_is_refused_before_anything_is_sealed(
    hass: HomeAssistant,
    building: SimulatedBuilding,
    issue: IssueGrant,
    tenant_key: SigningKey,
    resident: MockUser,
    start_time: int,
) -> None:
    flat = building.flats[0]
    await lease(hass, issue, flat, tenant_key, resident)
    tenant = Tenant(flat, tenant_key, resident, "Tess", start_time)
    template_id = os.urandom(16)
    await call(hass, "record_consent", {"consent": tenant.consent(template_id)})

    assert await refused_enrolment(hass, tenant, template_id) == "biometric_unknown_station"


@pytest.mark.usefixtures("init_integration")
async def test_an_authorisation_signed_by_another_landlord_is_refused(
    hass: HomeAssistant, building: SimulatedBuilding, flat: SimulatedFlat, start_time: int
) -> None:
    keys = await call(hass, "station_keys", {})
    station = KnownStation(
        keys["station"], key_from(keys["signing_key"]), key_from(keys["sealing_key"])
    )
    forged = building.authorise_station(building.flats[1], station, start_time)  # 1B's landlord

    key = await refused(
        hass, "authorise_station", {"lock": flat.lock_id, "authorisation": b64(forged)}
    )

    assert key == "biometric_unknown_station"
    assert flat.lock.firmware.biometrics is not None
    assert flat.lock.firmware.biometrics.templates.stations == ()


@pytest.mark.usefixtures("init_integration")
async def test_a_consent_signed_by_someone_else_is_refused(
    hass: HomeAssistant, tenant: Tenant
) -> None:
    forger = Tenant(tenant.flat, SigningKey.generate(), tenant.user, "Tess", tenant.start)

    key = await refused(hass, "record_consent", {"consent": forger.consent(os.urandom(16))})

    assert key == "biometric_bad_signature"


@pytest.mark.usefixtures("init_integration")
async def test_garbage_is_refused_clearly(hass: HomeAssistant, tenant: Tenant) -> None:
    assert (
        await refused(hass, "record_consent", {"consent": "not base64 !!"})
        == "biometric_not_base64"
    )
    assert (
        await refused(hass, "record_consent", {"consent": b64(b"\x00" * 40)})
        == "biometric_malformed_record"
    )
    with pytest.raises(ServiceValidationError) as caught:
        await enrol(hass, tenant, os.urandom(16), lock="door-99")
    assert caught.value.translation_key == "biometric_unknown_lock"
    assert (
        await refused(
            hass,
            "enrol_fingerprint",
            {
                "lock": tenant.flat.lock_id,
                "user_id": tenant.user.id,
                "template_id": "not-hex",
                "verified_by": "Ana (landlord)",
                "document_kind": "passport",
                "simulated_finger": "Tess",
            },
        )
        == "biometric_template_id_not_hex"
    )
    with pytest.raises(ServiceValidationError) as caught:
        await enrol(hass, tenant, os.urandom(16), template="", simulated_finger=None)
    assert caught.value.translation_key == "biometric_template_size"
    assert lock_templates(tenant.flat) == frozenset()


@pytest.mark.usefixtures("init_integration")
async def test_only_an_administrator_enrols(hass: HomeAssistant, tenant: Tenant) -> None:
    template_id = os.urandom(16)
    await call(hass, "record_consent", {"consent": tenant.consent(template_id)}, user=tenant.user)

    with pytest.raises(Unauthorized):
        await hass.services.async_call(
            DOMAIN,
            "enrol_fingerprint",
            {
                "lock": tenant.flat.lock_id,
                "user_id": tenant.user.id,
                "template_id": template_id.hex(),
                "verified_by": "self",
                "document_kind": "passport",
                "simulated_finger": "Tess",
            },
            blocking=True,
            return_response=True,
            context=Context(user_id=tenant.user.id),
        )

    assert lock_templates(tenant.flat) == frozenset()


# -- withdrawal ---------------------------------------------------------------------------


@pytest.mark.usefixtures("init_integration")
async def test_withdrawing_erases_at_the_hub_and_the_lock_with_a_signed_confirmation(
    hass: HomeAssistant, tenant: Tenant
) -> None:
    template_id, consent = await consented_and_enrolled(hass, tenant)
    erased: list[Event] = []
    hass.bus.async_listen(EVENT_TEMPLATE_ERASED, erased.append)

    answer = await call(
        hass,
        "withdraw_consent",
        {"withdrawal": tenant.withdrawal(consent, template_id)},
        user=tenant.user,
    )
    await hass.async_block_till_done()

    assert answer["confirmation"] == {
        "lock": tenant.flat.lock_id,
        "building": "Simulated building",
        "template_id": template_id.hex(),
        "held": True,
        "erased_at": answer["confirmation"]["erased_at"],
    }
    assert answer["consent"]["withdrawn_at"] == tenant.start
    assert [event.data["template_id"] for event in erased] == [template_id.hex()]
    assert erased[0].data["held"] is True
    assert lock_templates(tenant.flat) == frozenset()
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    assert entry.runtime_data.hub.biometrics.templates == {}
    shown = await at_the_door(hass, tenant.flat, "Tess")
    assert (shown["event_type"], shown["reason"]) == ("access_denied", "no_match")
    assert await refused_enrolment(hass, tenant, template_id) == "biometric_consent_withdrawn"


@pytest.mark.usefixtures("init_integration")
async def test_another_resident_cannot_withdraw_someone_elses_consent(
    hass: HomeAssistant, tenant: Tenant
) -> None:
    template_id, consent = await consented_and_enrolled(hass, tenant)
    other = await make_resident(hass, "Neighbour")

    with pytest.raises(Unauthorized):
        await call(
            hass,
            "withdraw_consent",
            {"withdrawal": tenant.withdrawal(consent, template_id)},
            user=other,
        )

    assert lock_templates(tenant.flat) == {template_id}


# -- restart and expiry -------------------------------------------------------------------


async def test_a_restart_keeps_consents_station_and_templates(
    hass: HomeAssistant, init_integration: MockConfigEntry, tenant: Tenant
) -> None:
    template_id, consent = await consented_and_enrolled(hass, tenant)
    keys = await call(hass, "station_keys", {})

    assert await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()

    assert await call(hass, "station_keys", {}) == keys
    answer = await call(
        hass,
        "withdraw_consent",
        {"withdrawal": tenant.withdrawal(consent, template_id)},
        user=tenant.user,
    )
    assert answer["confirmation"]["held"] is True
    assert lock_templates(tenant.flat) == frozenset()


async def test_an_expired_lease_takes_the_tenants_finger_with_it(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    building: SimulatedBuilding,
    flat: SimulatedFlat,
    issue: IssueGrant,
    tenant_key: SigningKey,
    resident: MockUser,
    start_time: int,
    freezer: FrozenDateTimeFactory,
) -> None:
    await lease(hass, issue, flat, tenant_key, resident, end=2 * HOUR)
    await authorise(hass, building, flat, start_time)
    tenant = Tenant(flat, tenant_key, resident, "Tess", start_time)
    template_id = os.urandom(16)
    await call(hass, "record_consent", {"consent": tenant.consent(template_id)})
    await enrol(hass, tenant, template_id)

    freezer.tick(2 * HOUR + 1)
    purged = await call(hass, "purge_expired", {})

    assert purged == {"purged": 1}
    assert init_integration.runtime_data.hub.biometrics.templates == {}
    assert lock_templates(flat) == frozenset()


# -- removable media (a site that forbids biometrics on radio) ---------------------------


@pytest.fixture
def media_entry(building: SimulatedBuilding, tmp_path: Path) -> MockConfigEntry:
    """A hub whose site moves fingerprints only on a USB stick mounted at tmp/usb."""
    (tmp_path / "usb").mkdir()
    for flat in building.flats:
        assert flat.lock.firmware.biometrics is not None
        flat.lock.firmware.biometrics.radio_templates = False
    building.ports = tmp_path / "ports"
    return MockConfigEntry(
        domain=DOMAIN,
        title="Simulated building",
        data={CONF_RADIO_PATH: building.path},
        options={CONF_BIOMETRICS_OVER_RADIO: False, CONF_MEDIA_PATH: str(tmp_path / "usb")},
        unique_id=building.path,
    )


@pytest.fixture
async def media_hub(hass: HomeAssistant, media_entry: MockConfigEntry) -> MockConfigEntry:
    media_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(media_entry.entry_id)
    await hass.async_block_till_done()
    return media_entry


@pytest.mark.usefixtures("media_hub")
async def test_on_a_media_only_site_the_bundle_goes_by_usb_stick_and_never_by_radio(
    hass: HomeAssistant, building: SimulatedBuilding, tenant: Tenant, tmp_path: Path
) -> None:
    carried: list[bytes] = []
    stop = building.medium.add_tap(lambda _direction, data: carried.append(data))
    template_id = os.urandom(16)
    await call(hass, "record_consent", {"consent": tenant.consent(template_id)})

    enrolled = await enrol(hass, tenant, template_id)
    assert lock_templates(tenant.flat) == frozenset()  # not yet: the stick is in the office
    shutil.copytree(tmp_path / "usb", building.port(tenant.flat))
    imported = await building.import_from_port(tenant.flat)
    shown = await at_the_door(hass, tenant.flat, "Tess")
    stop()

    assert (enrolled["channel"], Path(enrolled["path"]).parent.parent) == (
        "media",
        tmp_path / "usb",
    )
    assert imported.imported == (template_id,)
    assert (shown["event_type"], shown["method"]) == ("access_granted", "fingerprint")
    air = b"".join(carried)
    template = finger_template("Tess")
    bundle = next((tmp_path / "usb").rglob("*.bundle")).read_bytes()
    for secret in (template, bundle[-200:]):  # the envelope and signature end the bundle
        assert not any(secret[i : i + 16] in air for i in range(len(secret) - 16))


@pytest.mark.usefixtures("media_hub")
async def test_an_old_stick_inserted_again_is_refused_by_the_lock(
    hass: HomeAssistant, building: SimulatedBuilding, tenant: Tenant, tmp_path: Path
) -> None:
    template_id = os.urandom(16)
    await call(hass, "record_consent", {"consent": tenant.consent(template_id)})
    await enrol(hass, tenant, template_id)
    old_stick = tmp_path / "old-stick"
    shutil.copytree(tmp_path / "usb", old_stick)
    await enrol(hass, tenant, template_id)  # re-enrolled: epoch 2 on the office stick
    shutil.copytree(tmp_path / "usb", building.port(tenant.flat), dirs_exist_ok=True)
    assert (await building.import_from_port(tenant.flat)).imported
    shutil.rmtree(building.port(tenant.flat))
    shutil.copytree(old_stick, building.port(tenant.flat))

    again = await building.import_from_port(tenant.flat)

    assert again.imported == ()
    assert [refusal.reason for refusal in again.refused] == ["stale_epoch"]


async def test_diagnostics_show_the_station_and_templates_without_keys_or_names(
    hass: HomeAssistant, init_integration: MockConfigEntry, tenant: Tenant
) -> None:
    template_id = os.urandom(16)
    await call(hass, "record_consent", {"consent": tenant.consent(template_id)})
    await enrol(hass, tenant, template_id)
    biometrics = init_integration.runtime_data.hub.biometrics

    diagnostics = await async_get_config_entry_diagnostics(hass, init_integration)

    text = json.dumps(diagnostics)
    fingerprints = diagnostics["fingerprints"]
    assert fingerprints["station_key_id"] == biometrics.station.signing_key.public_key.kid.hex()
    assert fingerprints["templates"][0]["template_id"] == template_id.hex()
    assert fingerprints["templates"][0]["tenant"] == "**REDACTED**"
    assert fingerprints["consents"][0]["tenant"] == "**REDACTED**"
    assert tenant.flat.tenant not in text
    assert "PRIVATE KEY" not in text
    held = biometrics.templates[template_id.hex()]
    assert held.bundle not in text


@pytest.mark.usefixtures("init_integration")
async def test_the_landlord_is_notified_when_a_friends_finger_is_refused(
    hass: HomeAssistant,
    building: SimulatedBuilding,
    tenant: Tenant,
    issue: IssueGrant,
    hass_ws_client: WebSocketGenerator,
) -> None:
    landlord = await hass_ws_client(hass)
    await _use_blueprint(hass, include_refusals=True)
    user = await make_resident(hass, "Friend")
    friend = Tenant(building.flats[1], SigningKey.generate(), user, "Fred", tenant.start)
    await lease(hass, issue, friend.flat, friend.key, friend.user)
    template_id = os.urandom(16)
    consent = friend.consent(template_id, lock=tenant.flat.lock_id)
    await call(hass, "record_consent", {"consent": consent})
    await enrol(hass, friend, template_id, lock=tenant.flat.lock_id)

    await at_the_door(hass, tenant.flat, "Fred")

    notes = await async_notifications(landlord)
    assert notes == [("Flat 1A Door", "Refused at the door (fingerprint): not enrolled tenant.")]


async def test_the_options_set_a_media_only_site_and_need_a_media_path(
    hass: HomeAssistant, init_integration: MockConfigEntry, tmp_path: Path
) -> None:
    flow = await hass.config_entries.options.async_init(init_integration.entry_id)

    result = await hass.config_entries.options.async_configure(
        flow["flow_id"], {CONF_BIOMETRICS_OVER_RADIO: False}
    )
    assert result["errors"] == {CONF_MEDIA_PATH: "invalid_media_path"}
    result = await hass.config_entries.options.async_configure(
        flow["flow_id"], {CONF_BIOMETRICS_OVER_RADIO: False, CONF_MEDIA_PATH: "relative/usb"}
    )
    assert result["errors"] == {CONF_MEDIA_PATH: "invalid_media_path"}
    result = await hass.config_entries.options.async_configure(
        flow["flow_id"], {CONF_BIOMETRICS_OVER_RADIO: False, CONF_MEDIA_PATH: str(tmp_path)}
    )
    await hass.async_block_till_done()

    assert result["type"] == "create_entry"
    biometrics = init_integration.runtime_data.hub.biometrics
    assert (biometrics.policy.biometrics_over_radio, biometrics.media_path) == (False, tmp_path)


async def test_a_withdrawal_while_the_lock_is_offline_erases_it_once_the_lock_is_back(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    building: SimulatedBuilding,
    tenant: Tenant,
) -> None:
    template_id, consent = await consented_and_enrolled(hass, tenant)
    erased: list[Event] = []
    hass.bus.async_listen(EVENT_TEMPLATE_ERASED, erased.append)
    building.medium.set_online(tenant.flat.lock.ieee, False)

    with pytest.raises(HomeAssistantError) as caught:
        await call(
            hass, "withdraw_consent", {"withdrawal": tenant.withdrawal(consent, template_id)}
        )

    assert caught.value.translation_key == "biometric_erase_pending"
    assert init_integration.runtime_data.hub.biometrics.templates == {}  # the hub's copy is gone
    assert lock_templates(tenant.flat) == {template_id}
    building.medium.set_online(tenant.flat.lock.ieee, True)
    await call(hass, "purge_expired", {})
    await hass.async_block_till_done()

    assert lock_templates(tenant.flat) == frozenset()
    assert [(event.data["template_id"], event.data["held"]) for event in erased] == [
        (template_id.hex(), True)
    ]


@pytest.mark.usefixtures("init_integration")
async def test_a_template_from_a_real_reader_is_given_as_base64(
    hass: HomeAssistant, tenant: Tenant
) -> None:
    template_id, _ = await consented(hass, tenant)
    scan = base64.b64encode(finger_template("Tess")).decode()  # the reader's software output

    enrolled = await enrol(hass, tenant, template_id, template=scan, simulated_finger=None)
    shown = await at_the_door(hass, tenant.flat, "Tess")

    assert enrolled["epoch"] == 1
    assert shown["event_type"] == "access_granted"


@pytest.mark.usefixtures("init_integration")
async def test_an_enrolment_without_a_capture_is_refused(
    hass: HomeAssistant, tenant: Tenant
) -> None:
    template_id, _ = await consented(hass, tenant)

    with pytest.raises(ServiceValidationError) as caught:
        await enrol(hass, tenant, template_id, simulated_finger=None)

    assert caught.value.translation_key == "biometric_no_capture"
    assert lock_templates(tenant.flat) == frozenset()


async def test_a_lock_that_lost_its_memory_gets_the_station_and_templates_back_at_start(
    hass: HomeAssistant, init_integration: MockConfigEntry, tenant: Tenant
) -> None:
    await consented_and_enrolled(hass, tenant)
    firmware = tenant.flat.lock.firmware
    assert firmware.installation is not None
    firmware.biometrics = LockBiometrics(  # a power loss wiped the lock's fingerprint memory
        building=firmware.building,
        installation=firmware.installation,
        signing_key=firmware.signing_key,
        sealing_key=firmware.sealing_key,
        clock=firmware.clock,
        radio_templates=True,
    )
    assert (await at_the_door(hass, tenant.flat, "Tess"))["reason"] == "no_match"

    assert await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()

    assert (await at_the_door(hass, tenant.flat, "Tess"))["event_type"] == "access_granted"
