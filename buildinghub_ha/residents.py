"""Who lives where: the Home Assistant users who are residents of each dwelling (SPEC S7, H7).

The property manager (an administrator) says which users are a dwelling's residents; an
action on a dwelling's data or measures (Back home lifts its lock-down) is then taken only
from one of them or from an administrator. An action with no user (an automation, a script
the administrator set up) acts for the administrator who configured it. Each dwelling keeps
at most MAX_RESIDENTS users.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import ServiceValidationError, UnknownUser
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.storage import Store

MAX_RESIDENTS: Final = 16
MAX_DWELLINGS: Final = 4096
_STORAGE_VERSION: Final = 1


class DwellingResidents:
    """Each dwelling's residents, kept in Home Assistant storage under ``key``."""

    def __init__(self, hass: HomeAssistant, key: str, domain: str) -> None:
        """The residents an integration ``domain`` keeps under storage ``key``."""
        self.hass = hass
        self._domain = domain
        self._store: Store[dict[str, Any]] = Store(hass, _STORAGE_VERSION, key, private=True)
        self._residents: dict[str, frozenset[str]] = {}
        self.signal = f"{key}_changed"
        """The dispatcher signal sent when a dwelling's residents change."""

    async def async_load(self) -> None:
        """Take back the residents stored before."""
        stored = await self._store.async_load() or {}
        self._residents = {d: frozenset(users) for d, users in stored.get("dwellings", {}).items()}

    @property
    def dwellings(self) -> Mapping[str, frozenset[str]]:
        """Every dwelling that has residents, and its residents' user ids."""
        return dict(self._residents)

    def of(self, dwelling: str) -> frozenset[str]:
        """The user ids of the dwelling's residents."""
        return self._residents.get(dwelling, frozenset())

    async def async_set(self, dwelling: str, users: Iterable[str]) -> frozenset[str]:
        """Make ``users`` the dwelling's residents (none: the dwelling has none). Refuses an
        unknown user, more than MAX_RESIDENTS users or a new dwelling beyond MAX_DWELLINGS,
        changing nothing."""
        chosen = frozenset(users)
        if len(chosen) > MAX_RESIDENTS:
            raise self._refusal("too_many_residents", limit=str(MAX_RESIDENTS))
        if dwelling not in self._residents and len(self._residents) >= MAX_DWELLINGS:
            raise self._refusal("too_many_dwellings", limit=str(MAX_DWELLINGS))
        for user_id in sorted(chosen):
            if await self.hass.auth.async_get_user(user_id) is None:
                raise self._refusal("unknown_user", user_id=user_id)
        if chosen:
            self._residents[dwelling] = chosen
        else:
            self._residents.pop(dwelling, None)
        await self._store.async_save(
            {"dwellings": {d: sorted(users) for d, users in self._residents.items()}}
        )
        async_dispatcher_send(self.hass, self.signal)
        return chosen

    async def async_check(
        self, dwelling: str, context: Context | None, user_id: str | None
    ) -> None:
        """Refuse a user who is neither a resident of ``dwelling`` nor an administrator
        (``not_a_resident``); ``user_id`` None is an automation's or a script's call."""
        if user_id is None:
            return
        user = await self.hass.auth.async_get_user(user_id)
        if user is None:
            raise UnknownUser(context=context, user_id=user_id)
        if not user.is_admin and user_id not in self.of(dwelling):
            raise self._refusal("not_a_resident", dwelling=dwelling)

    def _refusal(self, key: str, **placeholders: str) -> ServiceValidationError:
        return ServiceValidationError(
            translation_domain=self._domain,
            translation_key=key,
            translation_placeholders=placeholders,
        )
