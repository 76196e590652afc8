"""The lease, rent and move-out inspection in Home Assistant, as the people involved see them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNKNOWN
from homeassistant.core import Context, Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.exceptions import ServiceValidationError, Unauthorized
from homeassistant.helpers.event import async_track_state_change_event
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    MockUser,
    async_fire_time_changed,
)

from buildinghub.credentials import SigningKey, decode_grant
from buildinghub.devices.door_lock import LockRefused
from buildinghub_sim.building import SimulatedBuilding, SimulatedFlat
from custom_components.rental_lock.const import DOMAIN
from tests.components.settling import settle

from .conftest import START
from .tenancy_parties import Lease, Parties, b64, call, install_lease

RENT_EVENT = "event.flat_1a_door_rent"
NEXT_DUE = "sensor.flat_1a_door_next_rent_due"
ACCESS = "event.flat_1a_door_access"
NOV_3 = date(2026, 11, 3)


@pytest.fixture
def parties(building: SimulatedBuilding, flat: SimulatedFlat, tenant_key: SigningKey) -> Parties:
    return Parties(building, flat, tenant_key)


@pytest.fixture
def lease(parties: Parties) -> Lease:
    return parties.sign(parties.terms())


class RentEvents:
    """Every rent event the flat's entity fires, as (type, attributes)."""

    def __init__(self, hass: HomeAssistant) -> None:
        # By the time each fired: a restart restores the last one, which is not a new event.
        self.fired: dict[str, tuple[str, dict[str, Any]]] = {}

        @callback
        def changed(event: Event[EventStateChangedData]) -> None:
            state = event.data["new_state"]
            if state is not None and state.attributes.get("event_type"):
                self.fired[state.state] = (state.attributes["event_type"], dict(state.attributes))

        self.stop = async_track_state_change_event(hass, RENT_EVENT, changed)

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [attributes for event_type, attributes in self.fired.values() if event_type == kind]


async def walk_to(hass: HomeAssistant, freezer: FrozenDateTimeFactory, when: datetime) -> None:
    """Let time pass in steps of at most an hour, as Home Assistant would see it."""
    now = datetime.now(UTC)
    while now < when:
        now = min(now + timedelta(hours=1), when)
        freezer.move_to(now)
        async_fire_time_changed(hass, now)
        await settle(hass)


async def tenant_opens(hass: HomeAssistant, lease: Lease, tenant_key: SigningKey) -> None:
    """The tenant's phone answers the lock's challenge with the lease's holder key."""
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    [context] = [
        c for c in entry.runtime_data.hub.locks.values() if c.installation.flat == "Flat 1A"
    ]
    await context.client.unlock(decode_grant(lease.grant), tenant_key)
    await settle(hass)


def midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def next_due(hass: HomeAssistant) -> tuple[str, dict[str, Any]]:
    state = hass.states.get(NEXT_DUE)
    assert state is not None
    return state.state, dict(state.attributes)


async def refused(hass: HomeAssistant, action: str, data: dict[str, Any]) -> str:
    with pytest.raises(ServiceValidationError) as caught:
        await call(hass, action, data)
    assert caught.value.translation_key is not None
    return caught.value.translation_key


# -- the lease --------------------------------------------------------------------------------


@pytest.mark.usefixtures("init_integration")
async def test_lease_installed_from_its_contract_opens_for_the_tenant_until_it_ends(
    hass: HomeAssistant,
    parties: Parties,
    flat: SimulatedFlat,
    tenant_key: SigningKey,
    freezer: FrozenDateTimeFactory,
) -> None:
    short = parties.sign(parties.terms(start=date(2026, 11, 1), end=date(2026, 11, 2)))

    response = await install_lease(hass, short)

    grant_id = decode_grant(short.grant).grant.grant_id
    assert response["flat"] == "Flat 1A"
    assert response["contract"] == short.contract.digest.hex()
    assert response["grant_id"] == grant_id.hex()
    assert response["end"] == "2026-11-02"
    assert grant_id in flat.lock.firmware.grants
    await tenant_opens(hass, short, tenant_key)
    opened = hass.states.get(ACCESS)
    assert opened is not None
    assert opened.attributes["event_type"] == "access_granted"
    assert opened.attributes["holder"] == flat.tenant

    await walk_to(hass, freezer, midnight(date(2026, 11, 3)) + timedelta(seconds=1))
    with pytest.raises(LockRefused) as caught:
        await tenant_opens(hass, short, tenant_key)
    # The lease ended: the lock purged its grant on its own schedule (R6) and refuses it.
    assert caught.value.reason == "unknown_grant"
    assert grant_id not in flat.lock.firmware.grants
    assert next_due(hass)[0] == STATE_UNKNOWN


@pytest.mark.usefixtures("init_integration")
async def test_a_grant_that_does_not_match_its_contract_is_refused_and_nothing_is_stored(
    hass: HomeAssistant,
    parties: Parties,
    lease: Lease,
    flat: SimulatedFlat,
    hass_storage: dict[str, Any],
) -> None:
    widened = parties.sign(parties.terms(end=date(2027, 10, 31)))

    key = await refused(
        hass, "install_lease", {"contract": b64(lease.encoded), "grant": b64(widened.grant)}
    )

    assert key == "lease_contract_mismatch"
    assert flat.lock.firmware.grants == {}
    assert next_due(hass)[0] == STATE_UNKNOWN
    assert not any(name.endswith(".tenancy") for name in hass_storage)


@pytest.mark.usefixtures("init_integration")
async def test_a_contract_for_a_flat_its_lock_does_not_guard_is_refused(
    hass: HomeAssistant, parties: Parties, building: SimulatedBuilding, flat: SimulatedFlat
) -> None:
    # The contract names Flat 1A but the lock of Flat 1B, whose landlord is another person.
    other = building.flats[1]
    moved = parties.sign(parties.terms(lock=other.lock_id))

    key = await refused(
        hass, "install_lease", {"contract": b64(moved.encoded), "grant": b64(moved.grant)}
    )

    assert key == "lease_refused"
    assert other.lock.firmware.grants == {}
    assert flat.lock.firmware.grants == {}


@pytest.mark.usefixtures("init_integration")
async def test_a_contract_the_tenant_did_not_sign_is_refused(
    hass: HomeAssistant, parties: Parties, flat: SimulatedFlat
) -> None:
    terms = parties.terms()
    forged = parties.sign(terms, tenant_key=SigningKey.generate())

    key = await refused(
        hass, "install_lease", {"contract": b64(forged.encoded), "grant": b64(forged.grant)}
    )

    assert key == "lease_bad_signature"
    assert flat.lock.firmware.grants == {}


@pytest.mark.usefixtures("init_integration")
async def test_garbage_contract_text_is_refused_clearly(hass: HomeAssistant, lease: Lease) -> None:
    key = await refused(
        hass, "install_lease", {"contract": "not base64 !!", "grant": b64(lease.grant)}
    )

    assert key == "document_not_base64"


@pytest.mark.usefixtures("init_integration")
async def test_only_an_administrator_installs_a_lease_or_records_rent(
    hass: HomeAssistant, lease: Lease, parties: Parties, resident: MockUser, flat: SimulatedFlat
) -> None:
    as_resident = Context(user_id=resident.id)
    payment = parties.pay(lease, NOV_3, int(START.timestamp()))

    with pytest.raises(Unauthorized):
        await call(
            hass,
            "install_lease",
            {"contract": b64(lease.encoded), "grant": b64(lease.grant)},
            as_resident,
        )
    with pytest.raises(Unauthorized):
        await call(hass, "record_payment", {"payment": b64(payment)}, as_resident)
    assert flat.lock.firmware.grants == {}


# -- rent -------------------------------------------------------------------------------------


@pytest.mark.usefixtures("init_integration")
async def test_next_due_date_falls_on_the_last_day_of_a_short_month(
    hass: HomeAssistant, parties: Parties
) -> None:
    await install_lease(hass, parties.sign(parties.terms(due_day=31)))

    state, attributes = next_due(hass)
    assert state == "2026-11-30"
    assert (attributes["amount"], attributes["currency"]) == ("950.00", "EUR")


@pytest.mark.usefixtures("init_integration")
async def test_a_lease_due_on_the_31st_is_due_on_28_february(
    hass: HomeAssistant, parties: Parties
) -> None:
    await install_lease(
        hass,
        parties.sign(parties.terms(due_day=31, start=date(2027, 2, 1), end=date(2027, 7, 31))),
    )

    assert next_due(hass)[0] == "2027-02-28"


@pytest.mark.usefixtures("init_integration")
async def test_rent_due_fires_once_on_its_day_and_a_payment_moves_the_next_due_date(
    hass: HomeAssistant, parties: Parties, lease: Lease, freezer: FrozenDateTimeFactory
) -> None:
    await install_lease(hass, lease)
    events = RentEvents(hass)
    assert next_due(hass)[0] == "2026-11-03"

    await walk_to(hass, freezer, midnight(NOV_3) + timedelta(hours=3))

    [rent_due] = events.of("rent_due")
    assert (rent_due["flat"], rent_due["due"]) == ("Flat 1A", "2026-11-03")
    assert (rent_due["amount"], rent_due["currency"]) == ("950.00", "EUR")

    paid = await call(hass, "record_payment", {"payment": b64(parties.pay(lease, NOV_3, _now()))})

    assert paid == {
        "flat": "Flat 1A",
        "due": "2026-11-03",
        "amount": 95_000,
        "currency": "EUR",
        "on_time": True,
    }
    [rent_paid] = events.of("rent_paid")
    assert (rent_paid["due"], rent_paid["amount"], rent_paid["on_time"]) == (
        "2026-11-03",
        "950.00",
        True,
    )
    assert next_due(hass)[0] == "2026-12-03"
    await walk_to(hass, freezer, midnight(date(2026, 11, 6)) + timedelta(hours=2))
    assert len(events.of("rent_due")) == 1
    assert events.of("rent_overdue") == []


@pytest.mark.usefixtures("init_integration")
async def test_forged_foreign_and_repeated_payments_are_refused(
    hass: HomeAssistant, parties: Parties, lease: Lease, flat: SimulatedFlat
) -> None:
    await install_lease(hass, lease)
    events = RentEvents(hass)
    forged = parties.pay(lease, NOV_3, _now(), key=SigningKey.generate())
    elsewhere = parties.sign(parties.terms(rent=120_000))
    foreign = parties.pay(elsewhere, NOV_3, _now())
    not_due = parties.pay(lease, date(2026, 11, 4), _now())

    assert await refused(hass, "record_payment", {"payment": b64(forged)}) == (
        "payment_bad_signature"
    )
    assert await refused(hass, "record_payment", {"payment": b64(foreign)}) == (
        "payment_unknown_contract"
    )
    assert await refused(hass, "record_payment", {"payment": b64(not_due)}) == "payment_refused"
    await call(hass, "record_payment", {"payment": b64(parties.pay(lease, NOV_3, _now()))})
    again = parties.pay(lease, NOV_3, _now() + 60)
    assert await refused(hass, "record_payment", {"payment": b64(again)}) == "payment_duplicate"
    assert len(events.of("rent_paid")) == 1


@pytest.mark.usefixtures("init_integration")
async def test_unpaid_rent_is_overdue_three_days_after_its_due_date_once(
    hass: HomeAssistant, lease: Lease, freezer: FrozenDateTimeFactory
) -> None:
    await install_lease(hass, lease)
    events = RentEvents(hass)

    await walk_to(hass, freezer, midnight(date(2026, 11, 5)) + timedelta(hours=23))
    assert events.of("rent_overdue") == []
    await walk_to(hass, freezer, midnight(date(2026, 11, 7)) + timedelta(hours=1))

    [overdue] = events.of("rent_overdue")
    assert (overdue["due"], overdue["amount"]) == ("2026-11-03", "950.00")
    assert next_due(hass)[0] == "2026-11-03"  # still unpaid: still the next rent to pay


@pytest.mark.usefixtures("init_integration")
async def test_a_lease_installed_after_its_first_unpaid_due_date_shows_and_announces_it(
    hass: HomeAssistant, parties: Parties, freezer: FrozenDateTimeFactory
) -> None:
    """Rent is due on the 1st; the lease starts on 1 November and is installed on the 2nd."""
    lease = parties.sign(parties.terms(due_day=1))
    events = RentEvents(hass)

    await install_lease(hass, lease)

    assert next_due(hass)[0] == "2026-11-01"
    [due] = events.of("rent_due")
    assert due["due"] == "2026-11-01"
    await walk_to(hass, freezer, midnight(date(2026, 11, 4)) + timedelta(hours=1))
    [overdue] = events.of("rent_overdue")
    assert overdue["due"] == "2026-11-01"
    await call(
        hass, "record_payment", {"payment": b64(parties.pay(lease, date(2026, 11, 1), _now()))}
    )
    assert next_due(hass)[0] == "2026-12-01"


async def test_a_restart_keeps_the_contract_and_does_not_announce_again(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    lease: Lease,
    freezer: FrozenDateTimeFactory,
) -> None:
    await install_lease(hass, lease)
    events = RentEvents(hass)
    await walk_to(hass, freezer, midnight(NOV_3) + timedelta(hours=1))
    assert len(events.of("rent_due")) == 1

    assert await hass.config_entries.async_unload(init_integration.entry_id)
    assert await hass.config_entries.async_setup(init_integration.entry_id)
    await hass.async_block_till_done()

    assert next_due(hass)[0] == "2026-11-03"
    assert len(events.of("rent_due")) == 1
    # Stopped across the overdue day: the notice comes when the hub starts again, once.
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    freezer.move_to(midnight(date(2026, 11, 6)) + timedelta(hours=2))
    assert await hass.config_entries.async_setup(init_integration.entry_id)
    await hass.async_block_till_done()
    await walk_to(hass, freezer, midnight(date(2026, 11, 6)) + timedelta(hours=4))
    assert len(events.of("rent_overdue")) == 1
    assert len(events.of("rent_due")) == 1


# -- inspection -------------------------------------------------------------------------------


@pytest.mark.usefixtures("init_integration")
async def test_a_countersigned_move_out_inspection_is_recorded(
    hass: HomeAssistant, parties: Parties, lease: Lease
) -> None:
    await install_lease(hass, lease)
    events = RentEvents(hass)

    response = await call(
        hass, "record_inspection", {"inspection": b64(parties.inspect(lease, _now(), 15_000))}
    )

    assert response["flat"] == "Flat 1A"
    assert (response["deposit_returned"], response["deducted"]) == (175_000, 15_000)
    [inspection] = events.of("inspection_recorded")
    assert (inspection["deposit_returned"], inspection["deducted"]) == ("1750.00", "150.00")
    elsewhere = parties.sign(parties.terms(rent=120_000))
    assert (
        await refused(
            hass, "record_inspection", {"inspection": b64(parties.inspect(elsewhere, _now(), 0))}
        )
        == "inspection_refused"
    )


def _now() -> int:
    return int(datetime.now(UTC).timestamp())
