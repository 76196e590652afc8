"""Building Hub's devices as a person sees them in a running Home Assistant: doors, bays, meters.

Each ``wait_for_*`` polls the states the frontend shows until every device is there and
available, and stops early, saying why, when the integration's entry failed to set up.
"""

from __future__ import annotations

from typing import Any

from scripts.hass_client import HomeAssistantApi, wait_until


async def wait_for_locks(
    api: HomeAssistantApi, flats: int, hass_pid: int | None
) -> dict[str, dict[str, Any]]:
    """Every flat's door lock and its grant counter, once all of them are available."""

    async def ready() -> dict[str, dict[str, Any]] | None:
        await api.refuse_failed_entry("rental_lock", "Rental Lock")
        states = await api.states()
        counters = {
            s["entity_id"]: s
            for s in states
            if s["entity_id"].startswith("sensor.") and s["entity_id"].endswith("_active_grants")
        }
        locks = [s for s in states if s["entity_id"].startswith("lock.")]
        available = [s for s in counters.values() if s["state"] not in {"unavailable", "unknown"}]
        return counters if len(available) >= flats and len(locks) >= flats else None

    result: dict[str, dict[str, Any]] = await wait_until(
        f"the {flats} door locks", ready, hass_pid, limit_s=180
    )
    return result


async def wait_for_bays(api: HomeAssistantApi, bays: int, hass_pid: int | None) -> None:
    """Every bay's lock, once all of them are available."""

    async def ready() -> bool | None:
        await api.refuse_failed_entry("parking_lock", "Parking Lock")
        states = await api.states()
        available = [
            s
            for s in states
            if s["entity_id"].startswith("sensor.bay_") and s["entity_id"].endswith("_state")
            if s["state"] not in {"unavailable", "unknown"}
        ]
        return True if len(available) >= bays else None

    await wait_until(f"the {bays} parking bay locks", ready, hass_pid, limit_s=180)


async def wait_for_meters(api: HomeAssistantApi, meters: int, hass_pid: int | None) -> None:
    """Every meter's device, once Community Meter has found them."""

    async def ready() -> bool | None:
        await api.refuse_failed_entry("community_meter", "Community Meter")
        states = await api.states()
        held = [s for s in states if s["entity_id"].endswith("_readings_held_on_the_meter")]
        return True if len(held) >= meters else None

    await wait_until(f"the {meters} meters", ready, hass_pid, limit_s=180)
