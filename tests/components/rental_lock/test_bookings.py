"""Access that follows a booking calendar (SPEC R16), on both kinds of lock.

The booking calendar is an iCal feed served over HTTP by an aiohttp server on loopback, as
a booking site serves it; the hub fetches it with Home Assistant's own client session. The
guest's PIN reaches the phone of the user the landlord names, through the Home Assistant
app's local push channel.
"""

from __future__ import annotations

import base64
import json
import logging
import secrets
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import probatio as vol
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import EVENT_CALL_SERVICE, EVENT_LOGGING_CHANGED
from homeassistant.core import Context, Event, HomeAssistant
from homeassistant.exceptions import ServiceValidationError, Unauthorized
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    MockUser,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    WebSocketGenerator,
)
from zigpy.zcl.clusters.closures import OperationEvent

from buildinghub.credentials import Grant, GrantKind, PublicKey, SigningKey, issue_grant
from buildinghub.credentials.booking_delegation import (
    BookingDelegation,
    encode_delegated_grant,
    read_delegation,
    sign_delegation,
)
from buildinghub.devices.door_lock import DoorLockClient, LockRefused
from buildinghub.keylog.entries import KeyRevocation
from buildinghub.radio.cluster import ObjectKind
from buildinghub_sim.building import SimulatedBuilding, SimulatedFlat
from buildinghub_sim.standard_lock import SimulatedStandardLock
from custom_components.rental_lock.const import BOOKING_SYNC_INTERVAL, DOMAIN
from custom_components.rental_lock.diagnostics import async_get_config_entry_diagnostics
from custom_components.rental_lock.guest_pins import phones_of
from tests.components.settling import settle

from .conftest import DAY, START, AppointHub, make_resident
from .phones import Phone, phone_of
from .standard_lock_site import (
    STANDARD_FLAT,
    STANDARD_IEEE,
    STANDARD_LANDLORD,
    STANDARD_LOCK_ID,
    HubKeys,
    hub_keys,
    install_standard_lock,
    installation_record,
    make_standard_lock,
)
from .test_key_ledger import LedgerCloud, ledger, register_landlord, set_up_with_ledger

__all__ = ["ledger"]  # the key ledger fixture of test_key_ledger, used by name

T0 = int(START.timestamp())
WEEK = 7 * DAY
WEBSOCKET_TRACE = "homeassistant.components.websocket_api.http.connection"
ZIGPY_TRACES = {"zigpy.zcl", "zigpy.application"}


# -- the booking site ---------------------------------------------------------------------


@dataclass
class BookingSite:
    """One iCal feed per door, edited by the test as a host edits bookings."""

    server: TestServer
    events: dict[str, dict[str, tuple[int, int, bool]]] = field(default_factory=dict)
    broken: bool = False

    def url(self, name: str) -> str:
        return str(self.server.make_url(f"/{name}.ics"))

    def book(self, name: str, uid: str, start: int, end: int, *, cancelled: bool = False) -> None:
        self.events.setdefault(name, {})[uid] = (start, end, cancelled)

    def render(self, name: str) -> str:
        lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test booking site//EN"]
        for uid, (start, end, cancelled) in self.events.get(name, {}).items():
            lines += [
                "BEGIN:VEVENT",
                f"UID:{uid}",
                f"DTSTART:{_ical(start)}",
                f"DTEND:{_ical(end)}",
                "SUMMARY:Reserved",
                *(["STATUS:CANCELLED"] if cancelled else []),
                "END:VEVENT",
            ]
        return "\r\n".join([*lines, "END:VCALENDAR", ""])


def _ical(unix: int) -> str:
    return datetime.fromtimestamp(unix, UTC).strftime("%Y%m%dT%H%M%SZ")


@pytest.fixture
async def site(socket_enabled: None) -> AsyncGenerator[BookingSite]:
    """The booking site, on loopback."""
    app = web.Application()
    server = TestServer(app, host="127.0.0.1")
    made = BookingSite(server)

    async def serve(request: web.Request) -> web.Response:
        if made.broken:
            return web.Response(status=503, text="maintenance")
        # No keep-alive: an open connection would hold the server's shutdown.
        return web.Response(
            text=made.render(request.match_info["name"]),
            content_type="text/calendar",
            headers={"Connection": "close"},
        )

    app.router.add_get("/{name}.ics", serve)
    await server.start_server()
    yield made
    await server.close()


# -- the people and the doors -------------------------------------------------------------


@dataclass
class Landlord:
    """The Home Assistant user the landlord names for guests' PINs, and their phone."""

    user: MockUser
    phone: Phone

    async def pins(self, count: int) -> list[dict[str, Any]]:
        """The next ``count`` notifications on the phone."""
        return [await self.phone.next_notification() for _ in range(count)]


@pytest.fixture
async def landlord_phone(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    hass_ws_client: WebSocketGenerator,
) -> Landlord:
    # Before the first client request freezes the HTTP router: notify needs repairs, whose
    # views are registered at its setup.
    assert await async_setup_component(hass, "notify", {})
    assert await async_setup_component(hass, "mobile_app", {})
    user = await make_resident(hass, "Host")
    phone = await phone_of(hass, user, "host", hass_client, hass_ws_client)
    # The app's registration sets its entry and notify entity up in the background.
    for _ in range(50):
        if phones_of(hass, user.id):
            return Landlord(user, phone)
        await settle(hass)
    raise AssertionError("the phone's notify entity never appeared")


@pytest.fixture
async def standard_lock(building: SimulatedBuilding) -> AsyncGenerator[SimulatedStandardLock]:
    """A keypad deadbolt (ZCL Door Lock only) that joined the building network."""
    lock = make_standard_lock(pin_users=4)
    building.medium.join(lock)
    yield lock
    lock.power_off()


@pytest.fixture
async def keys(
    hass: HomeAssistant,
    building: SimulatedBuilding,
    standard_lock: SimulatedStandardLock,
    init_integration: MockConfigEntry,
) -> HubKeys:
    """The hub running; the standard lock on the network and installed by its landlord."""
    return await install_the_standard_lock(hass, building, init_integration)


async def install_the_standard_lock(
    hass: HomeAssistant, building: SimulatedBuilding, entry: MockConfigEntry
) -> HubKeys:
    """Once the hub's radio interviewed the standard lock, its landlord's record goes in."""
    keys = await hub_keys(hass)
    network = entry.runtime_data.hub.network
    for _ in range(100):
        if any(str(d.ieee) == STANDARD_IEEE and d.is_initialized for d in network.devices()):
            break
        await settle(hass)
    else:
        raise AssertionError("the standard lock never finished joining")
    landlord = building.landlords[STANDARD_LANDLORD]
    await install_standard_lock(hass, installation_record(keys, landlord))
    await hass.async_block_till_done()
    return keys


def delegation(
    hub_key: PublicKey,
    landlord_key: SigningKey,
    *,
    lock: str = STANDARD_LOCK_ID,
    flat: str = STANDARD_FLAT,
    landlord: str = STANDARD_LANDLORD,
    max_stay: int = WEEK,
    expires: int = T0 + 90 * DAY,
) -> bytes:
    """What a landlord signs once: the hub may issue this door's bookings."""
    return sign_delegation(
        BookingDelegation(
            delegation_id=secrets.token_bytes(16),
            lock=lock,
            flat=flat,
            landlord=landlord,
            hub_key=hub_key,
            kind=GrantKind.VIEWING,
            max_stay_s=max_stay,
            horizon_s=30 * DAY,
            not_before=T0,
            expires=expires,
        ),
        landlord_key,
    )


def for_flat(keys: HubKeys, building: SimulatedBuilding, flat: SimulatedFlat) -> bytes:
    """The delegation of a flat with our own (signed-grant) lock."""
    return delegation(
        keys.hub,
        building.landlords[flat.landlord],
        lock=flat.lock_id,
        flat=flat.name,
        landlord=flat.landlord,
    )


async def follow(
    hass: HomeAssistant, data: bytes, user: str, context: Context | None = None, **source: str
) -> dict[str, object]:
    """The manager's action: follow a calendar under the landlord's delegation."""
    answer = await hass.services.async_call(
        DOMAIN,
        "follow_bookings",
        {"delegation": base64.b64encode(data).decode(), "user_id": user, **source},
        blocking=True,
        return_response=True,
        context=context,
    )
    assert answer is not None
    return dict(answer)


async def sync_bookings(hass: HomeAssistant) -> dict[str, object]:
    """The manager asks the hub to look at the calendars now."""
    answer = await hass.services.async_call(
        DOMAIN, "sync_bookings", {}, blocking=True, return_response=True
    )
    assert answer is not None
    return dict(answer)


def pin_in(notification: dict[str, Any]) -> str:
    """The PIN a notification tells: 'PIN 123456 opens ...'."""
    words = str(notification["message"]).split()
    assert words[0] == "PIN"
    return words[1]


def booking_issues(hass: HomeAssistant) -> dict[str, ir.IssueEntry]:
    return {
        issue_id: issue
        for (domain, issue_id), issue in ir.async_get(hass).issues.items()
        if domain == DOMAIN and issue_id.startswith("booking_")
    }


# -- what a user gets ---------------------------------------------------------------------


async def test_a_booking_moved_then_cancelled_installs_moves_and_revokes_on_both_kinds_of_lock(
    hass: HomeAssistant,
    building: SimulatedBuilding,
    flat: SimulatedFlat,
    keys: HubKeys,
    standard_lock: SimulatedStandardLock,
    appoint_hub: AppointHub,
    site: BookingSite,
    landlord_phone: Landlord,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Everything logs at DEBUG, Home Assistant's event bus included (it prints every
    # action call's data); every action call is watched too (the recorder keeps them).
    caplog.set_level(logging.DEBUG)
    hass.bus.async_fire(EVENT_LOGGING_CHANGED)
    calls: list[str] = []
    hass.bus.async_listen(EVENT_CALL_SERVICE, lambda event: calls.append(_text(event)))
    await appoint_hub(flat)  # our lock takes revocations only under the landlord's appointment
    site.book("flat-1a", "stay-1@site", T0 + DAY, T0 + 3 * DAY)
    site.book("flat-3a", "stay-9@site", T0 + DAY, T0 + 3 * DAY)
    host = landlord_phone.user.id

    ours = await follow(hass, for_flat(keys, building, flat), host, ical_url=site.url("flat-1a"))
    theirs = await follow(
        hass,
        delegation(keys.hub, building.landlords[STANDARD_LANDLORD]),
        host,
        ical_url=site.url("flat-3a"),
    )

    assert ours == {"flat": "Flat 1A", "kind": "viewing", "bookings": 1}
    assert theirs == {"flat": STANDARD_FLAT, "kind": "viewing", "bookings": 1}
    told = await landlord_phone.pins(2)
    assert [n["title"] for n in told] == ["Guest PIN for Flat 1A", "Guest PIN for Flat 3A"]
    assert "2026-11-03 09:00 to 2026-11-05 09:00 UTC" in told[0]["message"]
    our_pin, their_pin = pin_in(told[0]), pin_in(told[1])
    # Our lock verified the chain itself and holds the grant; the standard lock holds a PIN
    # user with the stay's year-day schedule.
    assert [g.signed.grant.not_before for g in flat.lock.firmware.grants.values()] == [T0 + DAY]
    firmware = standard_lock.firmware
    assert [user.code for user in firmware.users.values()] == [their_pin]
    assert list(firmware.schedules.values()) == [firmware.zone.local_window(T0 + DAY, T0 + 3 * DAY)]
    assert not flat.lock.keypad(our_pin).granted  # not yet: the stay starts tomorrow
    freezer.move_to(START + timedelta(days=1, minutes=1))
    assert flat.lock.keypad(our_pin).granted
    assert standard_lock.keypad(their_pin).code == OperationEvent.Unlock

    # Moved a day later; the manager asks the hub to look now: the old grants go, new ones
    # with a fresh PIN for the new window.
    site.book("flat-1a", "stay-1@site", T0 + 2 * DAY, T0 + 4 * DAY)
    site.book("flat-3a", "stay-9@site", T0 + 2 * DAY, T0 + 4 * DAY)
    assert await sync_bookings(hass) == {"calendars": 2, "bookings": 2}
    await settle(hass)
    moved = await landlord_phone.pins(2)
    moved_ours, moved_theirs = pin_in(moved[0]), pin_in(moved[1])
    assert [g.signed.grant.not_before for g in flat.lock.firmware.grants.values()] == [T0 + 2 * DAY]
    assert not flat.lock.keypad(our_pin).granted
    assert not flat.lock.keypad(moved_ours).granted  # not yet: the moved stay starts tomorrow
    assert [user.code for user in firmware.users.values()] == [moved_theirs]
    assert list(firmware.schedules.values()) == [
        firmware.zone.local_window(T0 + 2 * DAY, T0 + 4 * DAY)
    ]
    assert standard_lock.keypad(their_pin).code != OperationEvent.Unlock

    # Cancelled: nothing of the stay is left at either door, and no one is told a PIN.
    site.book("flat-1a", "stay-1@site", T0 + 2 * DAY, T0 + 4 * DAY, cancelled=True)
    site.book("flat-3a", "stay-9@site", T0 + 2 * DAY, T0 + 4 * DAY, cancelled=True)
    assert await sync_bookings(hass) == {"calendars": 2, "bookings": 0}
    await settle(hass)
    assert flat.lock.firmware.grants == {}
    assert firmware.users == {}
    assert await landlord_phone.phone.nothing_arrived()
    assert booking_issues(hass) == {}

    # No guest's PIN in any log line (Home Assistant's DEBUG ones included) nor in any
    # action call's data; the check can fail: the bus did print the calls. One exception,
    # Home Assistant's own: at DEBUG its websocket connection prints every frame it sends,
    # so the delivery to the phone on the app's local push channel shows the message.
    logged = [(record.name, record.getMessage()) for record in caplog.records]
    assert any("Bus:Handling" in line and "follow_bookings" in line for _, line in logged)
    assert any("follow_bookings" in call for call in calls)
    for pin in (our_pin, their_pin, moved_ours, moved_theirs):
        assert not [call for call in calls if pin in call]
    # Our lock's PIN travels sealed to the lock: only the phone's delivery shows it.
    for pin in (our_pin, moved_ours):
        assert {name for name, line in logged if pin in line} == {WEBSOCKET_TRACE}
    # A standard lock's PIN travels in set_pin_code as the ZCL defines it, and zigpy's own
    # DEBUG frame trace prints that frame (as it does for any PIN a landlord installs).
    for pin in (their_pin, moved_theirs):
        assert {name for name, line in logged if pin in line} - ZIGPY_TRACES == {WEBSOCKET_TRACE}


def _text(event: Event) -> str:
    return json.dumps(event.data, default=str)


async def test_a_booking_outside_the_delegation_is_refused_with_a_repair(
    hass: HomeAssistant,
    building: SimulatedBuilding,
    keys: HubKeys,
    standard_lock: SimulatedStandardLock,
    site: BookingSite,
    landlord_phone: Landlord,
) -> None:
    data = delegation(keys.hub, building.landlords[STANDARD_LANDLORD], max_stay=3 * DAY)
    site.book("flat-3a", "long-stay@site", T0 + DAY, T0 + 8 * DAY)
    site.book("flat-3a", "short-stay@site", T0 + 10 * DAY, T0 + 12 * DAY)

    answer = await follow(hass, data, landlord_phone.user.id, ical_url=site.url("flat-3a"))

    assert answer["bookings"] == 1  # the short stay only
    [user] = standard_lock.firmware.users.values()
    [told] = await landlord_phone.pins(1)
    assert user.code == pin_in(told)
    [(issue_id, issue)] = booking_issues(hass).items()
    assert issue.translation_key == "booking_refused"
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["booking"] == "long-stay@site"
    assert issue.translation_placeholders["flat"] == STANDARD_FLAT
    assert "at most 259200 s" in issue.translation_placeholders["detail"]

    # The host shortens the stay: issued, and the repair goes.
    site.book("flat-3a", "long-stay@site", T0 + DAY, T0 + 3 * DAY)
    assert await sync_bookings(hass) == {"calendars": 1, "bookings": 2}
    assert len(standard_lock.firmware.users) == 2
    assert issue_id not in booking_issues(hass)


async def test_a_booking_too_far_ahead_waits_without_a_repair(
    hass: HomeAssistant,
    building: SimulatedBuilding,
    keys: HubKeys,
    standard_lock: SimulatedStandardLock,
    site: BookingSite,
    landlord_phone: Landlord,
    freezer: FrozenDateTimeFactory,
) -> None:
    data = delegation(keys.hub, building.landlords[STANDARD_LANDLORD])
    site.book("flat-3a", "summer@site", T0 + 40 * DAY, T0 + 42 * DAY)

    assert (await follow(hass, data, landlord_phone.user.id, ical_url=site.url("flat-3a")))[
        "bookings"
    ] == 0
    assert standard_lock.firmware.users == {}
    assert booking_issues(hass) == {}

    freezer.move_to(START + timedelta(days=11))
    assert (await sync_bookings(hass))["bookings"] == 1
    assert len(standard_lock.firmware.users) == 1


async def test_an_expired_delegation_issues_nothing_and_raises_a_repair(
    hass: HomeAssistant,
    building: SimulatedBuilding,
    keys: HubKeys,
    standard_lock: SimulatedStandardLock,
    site: BookingSite,
    landlord_phone: Landlord,
    freezer: FrozenDateTimeFactory,
) -> None:
    data = delegation(keys.hub, building.landlords[STANDARD_LANDLORD], expires=T0 + 10 * DAY)
    await follow(hass, data, landlord_phone.user.id, ical_url=site.url("flat-3a"))
    freezer.move_to(START + timedelta(days=10))
    site.book("flat-3a", "late@site", T0 + 11 * DAY, T0 + 12 * DAY)

    assert await sync_bookings(hass) == {"calendars": 1, "bookings": 0}

    assert standard_lock.firmware.users == {}
    issue = booking_issues(hass)[f"booking_delegation_{STANDARD_IEEE}"]
    assert issue.translation_key == "booking_delegation_invalid"
    assert issue.translation_placeholders is not None
    assert "ended" in issue.translation_placeholders["detail"]


async def test_an_unreadable_calendar_raises_a_repair_and_keeps_the_grants(
    hass: HomeAssistant,
    building: SimulatedBuilding,
    keys: HubKeys,
    standard_lock: SimulatedStandardLock,
    site: BookingSite,
    landlord_phone: Landlord,
) -> None:
    data = delegation(keys.hub, building.landlords[STANDARD_LANDLORD])
    site.book("flat-3a", "stay@site", T0 + DAY, T0 + 2 * DAY)
    await follow(hass, data, landlord_phone.user.id, ical_url=site.url("flat-3a"))
    [told] = await landlord_phone.pins(1)

    site.broken = True
    assert await sync_bookings(hass) == {"calendars": 1, "bookings": 1}

    [user] = standard_lock.firmware.users.values()
    assert user.code == pin_in(told)
    issue = booking_issues(hass)[f"booking_calendar_{STANDARD_IEEE}"]
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["detail"] == "the calendar's server answered HTTP 503"

    site.broken = False
    await sync_bookings(hass)
    assert booking_issues(hass) == {}
    assert len(standard_lock.firmware.users) == 1


async def test_diagnostics_show_the_followed_calendar_without_its_address_or_user(
    hass: HomeAssistant,
    building: SimulatedBuilding,
    init_integration: MockConfigEntry,
    keys: HubKeys,
    site: BookingSite,
    landlord_phone: Landlord,
) -> None:
    data = delegation(keys.hub, building.landlords[STANDARD_LANDLORD])
    site.book("flat-3a", "stay@site", T0 + DAY, T0 + 2 * DAY)
    await follow(hass, data, landlord_phone.user.id, ical_url=site.url("flat-3a"))
    [told] = await landlord_phone.pins(1)

    diagnostics = await async_get_config_entry_diagnostics(hass, init_integration)

    [calendar] = diagnostics["booking_calendars"]
    assert calendar["source"] == "iCal URL"
    assert len(calendar["issued"]) == 1
    text = json.dumps(diagnostics)
    for secret in (site.url("flat-3a"), landlord_phone.user.id, pin_in(told)):
        assert secret not in text


# -- who may delegate (scope before signature) --------------------------------------------


async def test_a_delegation_signed_by_another_landlord_is_refused(
    hass: HomeAssistant,
    building: SimulatedBuilding,
    keys: HubKeys,
    standard_lock: SimulatedStandardLock,
    site: BookingSite,
    landlord_phone: Landlord,
) -> None:
    # Another landlord of the building, not of this door, signs for it.
    other = next(name for name in building.landlords if name != STANDARD_LANDLORD)
    bruno = building.landlords[other]
    forged = delegation(keys.hub, bruno)
    with pytest.raises(ServiceValidationError, match="not the current key"):
        await follow(hass, forged, landlord_phone.user.id, ical_url=site.url("flat-3a"))
    claimed = delegation(keys.hub, bruno, landlord=other)
    with pytest.raises(ServiceValidationError, match="is the landlord"):
        await follow(hass, claimed, landlord_phone.user.id, ical_url=site.url("flat-3a"))
    assert init_hub(hass).bookings.followed == {}


async def test_a_delegation_to_another_hub_or_for_another_door_is_refused(
    hass: HomeAssistant,
    building: SimulatedBuilding,
    keys: HubKeys,
    standard_lock: SimulatedStandardLock,
    site: BookingSite,
    landlord_phone: Landlord,
) -> None:
    landlord = building.landlords[STANDARD_LANDLORD]
    elsewhere = delegation(SigningKey.generate().public_key, landlord)
    with pytest.raises(ServiceValidationError, match="another hub"):
        await follow(hass, elsewhere, landlord_phone.user.id, ical_url=site.url("flat-3a"))
    unknown = delegation(keys.hub, landlord, lock="door-99", flat="Flat 9Z")
    with pytest.raises(ServiceValidationError, match="no door on this hub"):
        await follow(hass, unknown, landlord_phone.user.id, ical_url=site.url("flat-3a"))
    assert init_hub(hass).bookings.followed == {}


async def test_only_an_administrator_may_follow_a_calendar(
    hass: HomeAssistant,
    building: SimulatedBuilding,
    keys: HubKeys,
    standard_lock: SimulatedStandardLock,
    site: BookingSite,
    landlord_phone: Landlord,
) -> None:
    data = delegation(keys.hub, building.landlords[STANDARD_LANDLORD])
    as_host = Context(user_id=landlord_phone.user.id)
    with pytest.raises(Unauthorized):
        await follow(hass, data, landlord_phone.user.id, as_host, ical_url=site.url("flat-3a"))
    assert init_hub(hass).bookings.followed == {}


async def test_our_lock_needs_the_hubs_appointment_to_follow_bookings(
    hass: HomeAssistant,
    building: SimulatedBuilding,
    flat: SimulatedFlat,
    keys: HubKeys,
    site: BookingSite,
    landlord_phone: Landlord,
) -> None:
    """Without it the hub could not take a cancelled booking's grant back at the door."""
    with pytest.raises(ServiceValidationError, match="not appointed the hub"):
        await follow(
            hass,
            for_flat(keys, building, flat),
            landlord_phone.user.id,
            ical_url=site.url("flat-1a"),
        )


async def test_a_user_without_a_phone_cannot_be_named_for_the_pins(
    hass: HomeAssistant,
    building: SimulatedBuilding,
    keys: HubKeys,
    standard_lock: SimulatedStandardLock,
    site: BookingSite,
) -> None:
    nobody = await make_resident(hass, "No phone")
    data = delegation(keys.hub, building.landlords[STANDARD_LANDLORD])
    with pytest.raises(ServiceValidationError) as refused:
        await follow(hass, data, nobody.id, ical_url=site.url("flat-3a"))
    assert refused.value.translation_key == "booking_user_without_phone"


async def test_our_lock_itself_refuses_a_hub_grant_wider_than_the_delegation(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    flat: SimulatedFlat,
    building: SimulatedBuilding,
    keys: HubKeys,
) -> None:
    data = delegation(
        keys.hub,
        building.landlords[flat.landlord],
        lock=flat.lock_id,
        flat=flat.name,
        landlord=flat.landlord,
        max_stay=DAY,
    )
    _, record = read_delegation(data)
    hub = init_integration.runtime_data.hub
    too_long = Grant(
        issuer="building-hub",
        subject="booking:x",
        audience=flat.lock_id,
        not_before=T0,
        expires=T0 + 2 * DAY,
        issued_at=T0,
        grant_id=secrets.token_bytes(16),
        holder_key=keys.hub,
        kind=GrantKind.VIEWING,
        parent=record.digest,
    )
    client = hub.locks[str(flat.lock.ieee)].client
    assert isinstance(client, DoorLockClient)

    with pytest.raises(LockRefused):
        await client.send(
            ObjectKind.delegated_grant,
            encode_delegated_grant(data, issue_grant(too_long, hub.hub_key)),
            "grant",
        )
    assert flat.lock.firmware.grants == {}


def init_hub(hass: HomeAssistant) -> Any:
    [entry] = hass.config_entries.async_loaded_entries(DOMAIN)
    return entry.runtime_data.hub


async def test_the_hub_keeps_following_after_a_restart(
    hass: HomeAssistant,
    building: SimulatedBuilding,
    flat: SimulatedFlat,
    init_integration: MockConfigEntry,
    keys: HubKeys,
    standard_lock: SimulatedStandardLock,
    appoint_hub: AppointHub,
    site: BookingSite,
    landlord_phone: Landlord,
) -> None:
    await appoint_hub(flat)
    host = landlord_phone.user.id
    site.book("flat-1a", "stay-1@site", T0 + DAY, T0 + 2 * DAY)
    site.book("flat-3a", "stay-9@site", T0 + DAY, T0 + 2 * DAY)
    await follow(hass, for_flat(keys, building, flat), host, ical_url=site.url("flat-1a"))
    await follow(
        hass,
        delegation(keys.hub, building.landlords[STANDARD_LANDLORD]),
        host,
        ical_url=site.url("flat-3a"),
    )
    await landlord_phone.pins(2)

    assert await hass.config_entries.async_reload(init_integration.entry_id)
    await settle(hass)
    site.book("flat-1a", "stay-1@site", T0 + DAY, T0 + 2 * DAY, cancelled=True)
    site.book("flat-3a", "stay-9@site", T0 + DAY, T0 + 2 * DAY, cancelled=True)

    assert await sync_bookings(hass) == {"calendars": 2, "bookings": 0}
    await settle(hass)
    assert flat.lock.firmware.grants == {}
    assert standard_lock.firmware.users == {}
    assert await landlord_phone.phone.nothing_arrived()


async def test_a_delegation_whose_landlord_key_is_revoked_in_the_ledger_issues_nothing(
    hass: HomeAssistant,
    building: SimulatedBuilding,
    standard_lock: SimulatedStandardLock,
    ledger: LedgerCloud,
    site: BookingSite,
    landlord_phone: Landlord,
) -> None:
    assert ledger.client is not None
    for name, key in building.landlords.items():
        await register_landlord(ledger.client, name, key, T0)
    entry = await set_up_with_ledger(hass, building, ledger)
    keys = await install_the_standard_lock(hass, building, entry)
    ana = building.landlords[STANDARD_LANDLORD]
    site.book("flat-3a", "first@site", T0 + DAY, T0 + 2 * DAY)
    await follow(
        hass, delegation(keys.hub, ana), landlord_phone.user.id, ical_url=site.url("flat-3a")
    )
    [told] = await landlord_phone.pins(1)

    await ledger.client.revoke(
        KeyRevocation(ana.public_key.kid, T0, "landlord's phone stolen", building="Elm Court")
    )
    site.book("flat-3a", "second@site", T0 + 3 * DAY, T0 + 4 * DAY)

    assert await sync_bookings(hass) == {"calendars": 1, "bookings": 1}
    [user] = standard_lock.firmware.users.values()
    assert user.code == pin_in(told)  # issued before: stays until it ends or is revoked
    issue = booking_issues(hass)[f"booking_delegation_{STANDARD_IEEE}"]
    assert issue.translation_placeholders is not None
    assert "not the current key" in issue.translation_placeholders["detail"]
    assert await landlord_phone.phone.nothing_arrived()


def _iso(unix: int) -> str:
    return datetime.fromtimestamp(unix, UTC).isoformat()


@pytest.fixture
async def local_calendar(hass: HomeAssistant, tmp_path: Path) -> str:
    """Home Assistant's Local calendar, where the host keeps the bookings (set up before any
    phone connects: it registers HTTP views)."""
    (tmp_path / ".storage").mkdir()
    hass.config.config_dir = str(tmp_path)  # where Local calendar keeps its .ics file
    calendar = MockConfigEntry(
        domain="local_calendar",
        data={"calendar_name": "Flat 3A bookings", "storage_key": "flat_3a_bookings"},
    )
    calendar.add_to_hass(hass)
    assert await hass.config_entries.async_setup(calendar.entry_id)
    await hass.async_block_till_done()
    return "calendar.flat_3a_bookings"


async def test_a_home_assistant_calendar_is_followed_too(
    hass: HomeAssistant,
    building: SimulatedBuilding,
    keys: HubKeys,
    standard_lock: SimulatedStandardLock,
    local_calendar: str,
    landlord_phone: Landlord,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """The host books, moves and deletes the stay in Home Assistant's own calendar."""
    bookings = local_calendar
    await hass.services.async_call(
        "calendar",
        "create_event",
        {
            "summary": "Guest",
            "start_date_time": _iso(T0 + DAY),
            "end_date_time": _iso(T0 + 2 * DAY),
        },
        target={"entity_id": bookings},
        blocking=True,
    )
    data = delegation(keys.hub, building.landlords[STANDARD_LANDLORD])

    assert (await follow(hass, data, landlord_phone.user.id, calendar=bookings))["bookings"] == 1
    [told] = await landlord_phone.pins(1)
    firmware = standard_lock.firmware
    assert [user.code for user in firmware.users.values()] == [pin_in(told)]
    assert list(firmware.schedules.values()) == [firmware.zone.local_window(T0 + DAY, T0 + 2 * DAY)]

    # The host moves the stay a day later in the calendar, then deletes it.
    [uid] = init_hub(hass).bookings.followed[STANDARD_IEEE].issued
    host = await hass_ws_client(hass)
    await host.send_json_auto_id(
        {
            "type": "calendar/event/update",
            "entity_id": bookings,
            "uid": uid,
            "event": {
                "summary": "Guest",
                "dtstart": _iso(T0 + 2 * DAY),
                "dtend": _iso(T0 + 3 * DAY),
            },
        }
    )
    assert (await host.receive_json())["success"]
    assert await sync_bookings(hass) == {"calendars": 1, "bookings": 1}
    [moved] = await landlord_phone.pins(1)
    assert [user.code for user in firmware.users.values()] == [pin_in(moved)]
    assert list(firmware.schedules.values()) == [
        firmware.zone.local_window(T0 + 2 * DAY, T0 + 3 * DAY)
    ]

    await host.send_json_auto_id(
        {"type": "calendar/event/delete", "entity_id": bookings, "uid": uid}
    )
    assert (await host.receive_json())["success"]
    assert await sync_bookings(hass) == {"calendars": 1, "bookings": 0}
    assert firmware.users == {}


async def test_bad_follow_requests_are_refused_with_their_reason_and_keep_nothing(
    hass: HomeAssistant,
    building: SimulatedBuilding,
    keys: HubKeys,
    standard_lock: SimulatedStandardLock,
    site: BookingSite,
    landlord_phone: Landlord,
) -> None:
    host = landlord_phone.user.id
    data = delegation(keys.hub, building.landlords[STANDARD_LANDLORD])
    url = site.url("flat-3a")
    with pytest.raises(ServiceValidationError) as refused:
        await follow(hass, b"\x00" * 40, host, ical_url=url)
    assert refused.value.translation_key == "delegation_refused"
    with pytest.raises(ServiceValidationError) as refused:
        await hass.services.async_call(
            DOMAIN,
            "follow_bookings",
            {"delegation": "not base64!", "user_id": host, "ical_url": url},
            blocking=True,
            return_response=True,
        )
    assert refused.value.translation_key == "delegation_not_base64"
    with pytest.raises(ServiceValidationError) as refused:
        await follow(hass, data, "no-such-user", ical_url=url)
    assert refused.value.translation_key == "unknown_user"
    for sources in ({}, {"ical_url": url, "calendar": "calendar.flat_3a"}, {"ical_url": "ftp://x"}):
        with pytest.raises(vol.Invalid):
            await follow(hass, data, host, **sources)
    assert init_hub(hass).bookings.followed == {}
    assert standard_lock.firmware.users == {}


async def test_a_calendar_larger_than_the_bound_is_refused_with_a_repair(
    hass: HomeAssistant,
    building: SimulatedBuilding,
    keys: HubKeys,
    standard_lock: SimulatedStandardLock,
    site: BookingSite,
    landlord_phone: Landlord,
) -> None:
    for n in range(600):
        site.book("flat-3a", f"stay-{n}@site", T0 + DAY + n * DAY, T0 + 2 * DAY + n * DAY)
    data = delegation(keys.hub, building.landlords[STANDARD_LANDLORD])

    assert (await follow(hass, data, landlord_phone.user.id, ical_url=site.url("flat-3a")))[
        "bookings"
    ] == 0

    issue = booking_issues(hass)[f"booking_calendar_{STANDARD_IEEE}"]
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["detail"] == "the calendar has more than 500 events"
    assert standard_lock.firmware.users == {}


async def test_the_hub_follows_the_calendar_on_its_own(
    hass: HomeAssistant,
    building: SimulatedBuilding,
    keys: HubKeys,
    standard_lock: SimulatedStandardLock,
    site: BookingSite,
    landlord_phone: Landlord,
    freezer: FrozenDateTimeFactory,
) -> None:
    data = delegation(keys.hub, building.landlords[STANDARD_LANDLORD])
    await follow(hass, data, landlord_phone.user.id, ical_url=site.url("flat-3a"))

    # The host takes a booking, then cancels it; nobody asks the hub to look.
    site.book("flat-3a", "stay@site", T0 + DAY, T0 + 2 * DAY)
    freezer.tick(BOOKING_SYNC_INTERVAL)
    async_fire_time_changed(hass)
    await settle(hass)
    [told] = await landlord_phone.pins(1)
    assert [user.code for user in standard_lock.firmware.users.values()] == [pin_in(told)]

    site.book("flat-3a", "stay@site", T0 + DAY, T0 + 2 * DAY, cancelled=True)
    freezer.tick(BOOKING_SYNC_INTERVAL)
    async_fire_time_changed(hass)
    await settle(hass)
    assert standard_lock.firmware.users == {}


async def test_a_booking_the_lock_cannot_hold_raises_a_repair_until_it_can(
    hass: HomeAssistant,
    building: SimulatedBuilding,
    keys: HubKeys,
    standard_lock: SimulatedStandardLock,
    site: BookingSite,
    landlord_phone: Landlord,
) -> None:
    for n in range(5):  # the lock holds 4 PIN users
        site.book("flat-3a", f"stay-{n}@site", T0 + (2 * n + 1) * DAY, T0 + (2 * n + 2) * DAY)
    data = delegation(keys.hub, building.landlords[STANDARD_LANDLORD])

    answer = await follow(hass, data, landlord_phone.user.id, ical_url=site.url("flat-3a"))

    assert answer["bookings"] == 4
    assert len(standard_lock.firmware.users) == 4
    [(issue_id, issue)] = booking_issues(hass).items()
    assert issue.translation_key == "booking_not_installed"
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["booking"] == "stay-4@site"
    assert "capacity" in issue.translation_placeholders["detail"]
    assert len(await landlord_phone.pins(4)) == 4

    site.book("flat-3a", "stay-0@site", T0 + DAY, T0 + 2 * DAY, cancelled=True)
    assert await sync_bookings(hass) == {"calendars": 1, "bookings": 4}
    assert issue_id not in booking_issues(hass)
