"""Waiting for the simulated radio, and setting an entry up, for the integrations' tests."""

from __future__ import annotations

import asyncio

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry


async def settle(hass: HomeAssistant, *, rounds: int = 40, pause: float = 0.0) -> None:
    """Let frames cross the simulated radio and Home Assistant act on them.

    Each radio hop is a task of the simulated medium, outside Home Assistant's tracking, so
    one ``async_block_till_done`` is not enough: each round lets one more hop through.
    """
    for _ in range(rounds):
        await asyncio.sleep(pause)
        await hass.async_block_till_done()


async def set_up(hass: HomeAssistant, entry: MockConfigEntry) -> MockConfigEntry:
    """Add the entry and set it up as the config flow's last step does; it must load."""
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry
