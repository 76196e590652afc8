"""Logbook lines a person reads for each access attempt (buildinghub_ha.access_log)."""

from __future__ import annotations

from buildinghub_ha.access_log import describe_events

from .const import DOMAIN

async_describe_events = describe_events(DOMAIN)
