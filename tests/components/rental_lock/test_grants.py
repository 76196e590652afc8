"""Grants through Home Assistant, as a landlord installs them and a tenant uses them."""

from __future__ import annotations

import base64
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from buildinghub.credentials import (
    MAX_GRANT_BYTES,
    GrantKind,
    SigningKey,
    cose,
    decode_grant,
    issue_grant,
)
from buildinghub.radio.cluster import CHUNK_SIZE
from buildinghub_sim.building import SimulatedBuilding, SimulatedFlat
from custom_components.rental_lock.const import DOMAIN
from tests.components.settling import settle

from .conftest import DAY, HOUR, START, AppointHub, IssueGrant, make_resident

EVENT = "event.flat_1a_door_access"
PIN = "482913"


def b64(grant: bytes) -> str:
    """As the landlord's app exports a grant."""
    return base64.urlsafe_b64encode(grant).decode().rstrip("=")


async def install(hass: HomeAssistant, grant: bytes, **extra: str) -> dict[str, object]:
    response = await hass.services.async_call(
        DOMAIN,
        "install_grant",
        {"grant": b64(grant), **extra},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    return dict(response)


async def try_pin(hass: HomeAssistant, flat: SimulatedFlat, pin: str) -> dict[str, object]:
    """A person types a PIN at the door; returns what the access event entity shows."""
    flat.lock.keypad(pin)
    await settle(hass)
    state = hass.states.get(EVENT)
    assert state is not None
    return dict(state.attributes)


@pytest.mark.usefixtures("init_integration")
async def test_viewing_grant_opens_inside_its_window_only(
    hass: HomeAssistant,
    building: SimulatedBuilding,
    flat: SimulatedFlat,
    issue: IssueGrant,
    freezer: FrozenDateTimeFactory,
) -> None:
    grant = issue(flat, start=HOUR, end=2 * HOUR, pin=PIN)
    sent_before = building.medium.stats.to_device.frames

    response = await install(hass, grant)

    grant_id = decode_grant(grant).grant.grant_id
    assert response["flat"] == "Flat 1A"
    assert response["grant_id"] == grant_id.hex()
    assert grant_id in flat.lock.firmware.grants
    chunks = -(-len(grant) // CHUNK_SIZE)
    assert building.medium.stats.to_device.frames - sent_before >= chunks + 2
    assert building.medium.stats.to_device.refused == 0

    before = await try_pin(hass, flat, PIN)
    assert before["event_type"] == "access_denied"
    assert before["reason"] == "not_yet_valid"
    assert before["holder"] == flat.viewer

    freezer.move_to(START + timedelta(hours=1, seconds=1))
    inside = await try_pin(hass, flat, PIN)
    assert inside["event_type"] == "access_granted"
    assert inside["holder"] == flat.viewer
    assert inside["method"] == "keypad"

    freezer.move_to(START + timedelta(hours=2))
    after = await try_pin(hass, flat, PIN)
    assert after["event_type"] == "access_denied"
    assert after["reason"] == "expired"


@pytest.mark.usefixtures("init_integration")
async def test_wrong_pin_is_denied_as_unknown_credential(
    hass: HomeAssistant, flat: SimulatedFlat, issue: IssueGrant
) -> None:
    await install(hass, issue(flat, pin=PIN))

    attempt = await try_pin(hass, flat, "000000")

    assert attempt["event_type"] == "access_denied"
    assert attempt["reason"] == "unknown_credential"
    assert attempt["holder"] is None


@pytest.mark.usefixtures("init_integration")
async def test_grant_shows_in_calendar_and_active_grants(
    hass: HomeAssistant, flat: SimulatedFlat, issue: IssueGrant
) -> None:
    await install(hass, issue(flat, kind=GrantKind.LEASE, end=180 * DAY, subject=flat.tenant))

    calendar = hass.states.get("calendar.flat_1a_door_grants")
    assert calendar is not None
    assert calendar.state == "on"
    assert calendar.attributes["message"] == "Lease: Tenant (flat-1a)"
    assert hass.states.get("sensor.flat_1a_door_active_grants").state == "1"  # type: ignore[union-attr]


async def month_of_grants(hass: HomeAssistant) -> list[dict[str, Any]]:
    """Flat 1A's grant calendar for the coming month, as the calendar page asks for it."""
    answer = await hass.services.async_call(
        "calendar",
        "get_events",
        {"entity_id": "calendar.flat_1a_door_grants", "duration": {"days": 31}},
        blocking=True,
        return_response=True,
    )
    assert answer is not None
    events: list[dict[str, Any]] = answer["calendar.flat_1a_door_grants"]["events"]  # type: ignore[index, assignment]
    return events


def _forged(grant: bytes) -> bytes:
    """The same claims, signed by someone who is not the landlord, under the landlord's kid."""
    signed = decode_grant(grant)
    intruder = SigningKey.generate()
    return cose.sign1(
        cose.decode_sign1(grant, max_size=MAX_GRANT_BYTES).payload, intruder, signed.kid
    )


@pytest.mark.usefixtures("init_integration")
@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda issue, building, flat: _forged(issue(flat, pin=PIN)), "bad_signature"),
        (
            lambda issue, building, flat: building.issue_grant(
                flat,
                kind=GrantKind.VIEWING,
                subject="viewer:x",
                not_before=0,
                expires=1,
                holder_key=SigningKey.generate().public_key,
            ),
            "expired",
        ),
        (
            lambda issue, building, flat: _other_lock_grant(building, flat),
            "wrong_audience",
        ),
        (lambda issue, building, flat: b"\x00" * (MAX_GRANT_BYTES + 1), "oversized"),
        (lambda issue, building, flat: b"\xd2\x84\x40", "malformed"),
    ],
    ids=["forged", "expired", "wrong_lock", "oversized", "malformed"],
)
async def test_bad_grants_are_refused_with_their_reason_and_change_nothing(
    hass: HomeAssistant,
    building: SimulatedBuilding,
    flat: SimulatedFlat,
    issue: IssueGrant,
    make: object,
    reason: str,
) -> None:
    grant = make(issue, building, flat)  # type: ignore[operator]
    before = {f.name: dict(f.lock.firmware.grants) for f in building.flats}

    with pytest.raises(ServiceValidationError) as caught:
        await install(hass, grant)

    assert caught.value.translation_key == f"grant_{reason}"
    assert {f.name: dict(f.lock.firmware.grants) for f in building.flats} == before
    assert hass.states.get("sensor.flat_1a_door_active_grants").state == "0"  # type: ignore[union-attr]


def _other_lock_grant(building: SimulatedBuilding, flat: SimulatedFlat) -> bytes:
    """Signed by this flat's landlord for a lock that is not on this hub."""
    other = building.issue_grant(
        flat,
        kind=GrantKind.VIEWING,
        subject="viewer:x",
        not_before=int(START.timestamp()),
        expires=int(START.timestamp()) + HOUR,
        holder_key=SigningKey.generate().public_key,
    )
    signed = decode_grant(other)
    return issue_grant(replace(signed.grant, audience="door-99"), building.landlords[flat.landlord])


@pytest.mark.usefixtures("init_integration")
async def test_tampered_chunk_is_refused_by_the_lock_and_stores_nothing(
    hass: HomeAssistant, building: SimulatedBuilding, flat: SimulatedFlat, issue: IssueGrant
) -> None:
    grant = issue(flat, pin=PIN)
    building.medium.tamper_next(lambda frame: frame)  # transfer_begin crosses intact
    building.medium.tamper_next(lambda frame: frame[:-1] + bytes([frame[-1] ^ 0x01]))

    with pytest.raises(HomeAssistantError) as caught:
        await install(hass, grant)

    assert caught.value.translation_key == "lock_refused_grant"
    assert caught.value.translation_placeholders == {"reason": "digest_mismatch"}
    assert flat.lock.firmware.grants == {}
    assert hass.states.get("sensor.flat_1a_door_active_grants").state == "0"  # type: ignore[union-attr]
    grant_id = decode_grant(grant).grant.grant_id.hex()
    assert ir.async_get(hass).async_get_issue(DOMAIN, f"grant_refused_{grant_id}") is not None


@pytest.mark.usefixtures("init_integration")
async def test_lost_chunk_is_resent_and_the_grant_arrives(
    hass: HomeAssistant, building: SimulatedBuilding, flat: SimulatedFlat, issue: IssueGrant
) -> None:
    grant = issue(flat, pin=PIN)
    building.medium.tamper_next(lambda frame: frame)
    building.medium.drop_next(1, error=True)

    await install(hass, grant)

    assert decode_grant(grant).grant.grant_id in flat.lock.firmware.grants
    assert building.medium.stats.to_device.dropped == 1


async def test_lease_survives_a_restart_and_the_lock_purges_it_while_the_hub_is_stopped(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    flat: SimulatedFlat,
    issue: IssueGrant,
    freezer: FrozenDateTimeFactory,
) -> None:
    lease = issue(flat, kind=GrantKind.LEASE, end=30 * DAY, pin=PIN, subject=flat.tenant)
    await install(hass, lease)
    grant_id = decode_grant(lease).grant.grant_id

    assert await hass.config_entries.async_unload(init_integration.entry_id)
    assert await hass.config_entries.async_setup(init_integration.entry_id)
    await hass.async_block_till_done()
    calendar = hass.states.get("calendar.flat_1a_door_grants")
    assert calendar is not None
    assert calendar.attributes["message"] == "Lease: Tenant (flat-1a)"
    assert (await try_pin(hass, flat, PIN))["event_type"] == "access_granted"

    assert await hass.config_entries.async_unload(init_integration.entry_id)
    ended = START + timedelta(days=30, minutes=2)
    freezer.move_to(ended)
    async_fire_time_changed(hass, ended)
    await hass.async_block_till_done()

    assert grant_id not in flat.lock.firmware.grants
    assert flat.lock.keypad(PIN).reason == "unknown_credential"


@pytest.mark.usefixtures("init_integration")
async def test_revoked_grant_stops_at_once_and_cannot_be_installed_again(
    hass: HomeAssistant, flat: SimulatedFlat, issue: IssueGrant, appoint_hub: AppointHub
) -> None:
    grant = issue(flat, pin=PIN)
    await install(hass, grant)
    grant_id = decode_grant(grant).grant.grant_id
    await appoint_hub(flat)

    await hass.services.async_call(
        DOMAIN, "revoke_grant", {"grant_id": grant_id.hex()}, blocking=True
    )

    assert grant_id not in flat.lock.firmware.grants
    assert (await try_pin(hass, flat, PIN))["reason"] == "unknown_credential"
    with pytest.raises(ServiceValidationError) as caught:
        await install(hass, grant)
    assert caught.value.translation_key == "grant_revoked"


@pytest.mark.usefixtures("init_integration")
async def test_purge_action_removes_expired_grants_from_hub_and_lock(
    hass: HomeAssistant, flat: SimulatedFlat, issue: IssueGrant, freezer: FrozenDateTimeFactory
) -> None:
    await install(hass, issue(flat, end=HOUR, pin=PIN))
    freezer.move_to(START + timedelta(hours=1))

    response = await hass.services.async_call(
        DOMAIN, "purge_expired", {}, blocking=True, return_response=True
    )

    assert response == {"purged": 1}
    assert flat.lock.firmware.grants == {}
    calendar = hass.states.get("calendar.flat_1a_door_grants")
    assert calendar is not None
    assert calendar.state == "off"


@pytest.mark.usefixtures("init_integration")
async def test_garbage_grant_text_is_refused_clearly(hass: HomeAssistant) -> None:
    with pytest.raises(ServiceValidationError) as caught:
        await hass.services.async_call(
            DOMAIN, "install_grant", {"grant": "not base64 !!"}, blocking=True, return_response=True
        )
    assert caught.value.translation_key == "grant_not_base64"


@pytest.mark.usefixtures("init_integration")
async def test_the_calendar_titles_a_grant_with_its_holder_and_shows_a_lease_as_whole_days(
    hass: HomeAssistant, flat: SimulatedFlat, issue: IssueGrant
) -> None:
    tess = await make_resident(hass, "Tess")
    lease = issue(flat, kind=GrantKind.LEASE, end=180 * DAY, subject=flat.tenant)
    await install(hass, lease, user_id=tess.id)
    await install(hass, issue(flat, start=HOUR, end=3 * HOUR))  # a viewing later, no user
    await hass.async_block_till_done()

    state = hass.states.get("calendar.flat_1a_door_grants")
    assert state is not None
    assert state.attributes["message"] == "Lease: Tess"
    events = {e["summary"]: e for e in await month_of_grants(hass)}
    assert set(events) == {"Lease: Tess", "Viewing: Viewer (flat-1a)"}
    assert "T" not in events["Lease: Tess"]["start"], "a 180-day lease is an all-day event"
    assert "T" in events["Viewing: Viewer (flat-1a)"]["start"], "a 2-hour viewing keeps its hours"


@pytest.mark.usefixtures("init_integration")
async def test_a_lease_and_its_keypad_pin_on_the_same_window_are_one_calendar_entry(
    hass: HomeAssistant, flat: SimulatedFlat, issue: IssueGrant
) -> None:
    for pin in (None, PIN):
        await install(
            hass, issue(flat, kind=GrantKind.LEASE, end=30 * DAY, pin=pin, subject=flat.tenant)
        )

    events = await month_of_grants(hass)
    assert [e["summary"] for e in events] == ["Lease: Tenant (flat-1a)"]
    assert hass.states.get("sensor.flat_1a_door_active_grants").state == "2"  # type: ignore[union-attr]
