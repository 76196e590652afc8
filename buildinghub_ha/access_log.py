"""Logbook lines a person can read for every access attempt (SPEC H8).

An access event entity fires ``<domain>_access`` on the bus beside its own state: who (the
Home Assistant user the grant was installed for, else the ledger subject in words), and what
happened at which flat or bay. Each integration's ``logbook.py`` describes that event with
:func:`describe_access`, so the logbook reads "Tess opened Flat 1A by fingerprint".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from homeassistant.const import ATTR_ENTITY_ID, ATTR_NAME
from homeassistant.core import Event, HomeAssistant, callback

from buildinghub.devices.access_line import AccessLine, subject_text

ACCESS_EVENT_SUFFIX: Final = "_access"
ATTR_WHO: Final = "who"
ATTR_WHAT: Final = "what"
# homeassistant.components.logbook's entry keys (importing it would load the recorder).
_MESSAGE: Final = "message"

type Describer = Callable[[Event], dict[str, str | None]]
type DescribeEvent = Callable[[str, str, Describer], None]


def access_event_type(domain: str) -> str:
    """The bus event an integration fires for each access line."""
    return f"{domain}{ACCESS_EVENT_SUFFIX}"


async def async_holder_name(
    hass: HomeAssistant, user_id: str | None, subject: str | None
) -> str | None:
    """The name people know a holder by: their Home Assistant user's, else the ledger's."""
    if user_id is not None:
        user = await hass.auth.async_get_user(user_id)
        if user is not None and user.name:
            return user.name
    return subject_text(subject) if subject else None


@callback
def async_log_access(
    hass: HomeAssistant,
    domain: str,
    entity_id: str | None,
    make_line: Callable[[str | None], AccessLine],
    *,
    user_id: str | None = None,
    subject: str | None = None,
) -> None:
    """Fire the access line of ``entity_id`` once the holder's name is known."""

    async def fire() -> None:
        line = make_line(await async_holder_name(hass, user_id, subject))
        hass.bus.async_fire(
            access_event_type(domain),
            {ATTR_ENTITY_ID: entity_id, ATTR_WHO: line.who, ATTR_WHAT: line.what},
        )

    hass.async_create_task(fire(), f"{domain} access line", eager_start=True)


@callback
def describe_access(event: Event[Mapping[str, Any]]) -> dict[str, str | None]:
    """The logbook entry of an access line: the person as its name, the rest as message."""
    entity_id = event.data.get(ATTR_ENTITY_ID)
    return {
        ATTR_NAME: str(event.data.get(ATTR_WHO, "")),
        _MESSAGE: str(event.data.get(ATTR_WHAT, "")),
        ATTR_ENTITY_ID: str(entity_id) if entity_id else None,
    }


def describe_events(domain: str) -> Callable[[HomeAssistant, DescribeEvent], None]:
    """An integration's ``async_describe_events`` for its access lines."""

    @callback
    def async_describe_events(hass: HomeAssistant, async_describe_event: DescribeEvent) -> None:
        async_describe_event(domain, access_event_type(domain), describe_access)

    return async_describe_events
