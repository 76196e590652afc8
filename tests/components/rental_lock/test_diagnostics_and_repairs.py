"""What a support person sees (diagnostics) and what a person must fix (repairs)."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from buildinghub.credentials import GrantKind, MonotonicClock, decode_grant
from buildinghub_sim.building import SimulatedBuilding, SimulatedFlat
from custom_components.rental_lock.const import DOMAIN
from custom_components.rental_lock.diagnostics import async_get_config_entry_diagnostics
from tests.components.settling import settle

from .conftest import DAY, IssueGrant
from .test_grants import PIN, install

LOCK = "lock.flat_1a_door"


async def test_diagnostics_show_locks_and_grants_without_secrets(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    flat: SimulatedFlat,
    issue: IssueGrant,
) -> None:
    lease = issue(flat, kind=GrantKind.LEASE, end=30 * DAY, pin=PIN, subject=flat.tenant)
    await install(hass, lease)
    # Called directly: the frozen test clock makes HTTP access tokens look issued in the future.
    diagnostics = await async_get_config_entry_diagnostics(hass, init_integration)

    text = json.dumps(diagnostics)
    hub = init_integration.runtime_data.hub
    signed = decode_grant(lease)
    assert [lock["flat"] for lock in diagnostics["locks"]] == ["Flat 1A", "Flat 1B"]
    assert diagnostics["grants"][0]["grant_id"] == signed.grant.grant_id.hex()
    assert diagnostics["grants"][0]["holder"] == "**REDACTED**"
    assert diagnostics["grants"][0]["has_pin"] is True
    for secret in (
        PIN,
        flat.tenant,
        hub.hub_key.to_pem().decode(),
        base64.b64encode(lease).decode(),
        signed.grant.sealed_pin.hex() if signed.grant.sealed_pin else "-",
        init_integration.data["radio_path"],
    ):
        assert secret not in text


async def test_unreachable_lock_raises_a_repair_and_recovers(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    building: SimulatedBuilding,
    flat: SimulatedFlat,
    freezer: FrozenDateTimeFactory,
) -> None:
    issues = ir.async_get(hass)
    issue_id = f"lock_unreachable_{flat.lock.ieee}"
    building.medium.set_online(flat.lock.ieee, False)

    freezer.tick(timedelta(minutes=1, seconds=1))
    async_fire_time_changed(hass)
    await settle(hass)

    assert hass.states.get(LOCK).state == STATE_UNAVAILABLE  # type: ignore[union-attr]
    repair = issues.async_get_issue(DOMAIN, issue_id)
    assert repair is not None
    assert repair.translation_placeholders == {"flat": "Flat 1A"}

    building.medium.set_online(flat.lock.ieee, True)
    freezer.tick(timedelta(minutes=1, seconds=1))
    async_fire_time_changed(hass)
    await settle(hass)

    assert hass.states.get(LOCK).state == "locked"  # type: ignore[union-attr]
    assert issues.async_get_issue(DOMAIN, issue_id) is None


class _SlowClock(MonotonicClock):
    """A lock clock that lags ten minutes behind."""

    def now(self) -> int:
        return super().now() - 600


async def test_lock_clock_drift_raises_a_repair(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    flat: SimulatedFlat,
    freezer: FrozenDateTimeFactory,
) -> None:
    flat.lock.firmware.clock = _SlowClock()

    freezer.tick(timedelta(minutes=1, seconds=1))
    async_fire_time_changed(hass)
    await settle(hass)

    repair = ir.async_get(hass).async_get_issue(DOMAIN, f"clock_drift_{flat.lock.ieee}")
    assert repair is not None
    assert repair.translation_placeholders == {"flat": "Flat 1A", "seconds": "-600"}


async def test_unreachable_lock_makes_installing_fail_clearly_and_keeps_nothing(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    building: SimulatedBuilding,
    flat: SimulatedFlat,
    issue: IssueGrant,
) -> None:
    building.medium.set_online(flat.lock.ieee, False)

    try:
        await install(hass, issue(flat, pin=PIN))
    except Exception as err:
        error = err
    else:
        raise AssertionError("installing on an unreachable lock must fail")

    assert getattr(error, "translation_key", None) == "lock_unreachable"
    assert len(init_integration.runtime_data.hub.book) == 0
    assert hass.states.get("sensor.flat_1a_door_active_grants").state == "0"  # type: ignore[union-attr]
