"""Landlords' logins: which Home Assistant user holds which landlord key (SPEC H8, S3, S7).

A landlord is their ledger key (S3), never a display name. The property manager (or the
installer) links an ordinary Home Assistant user to a landlord key; the link gives that user
exactly the flats whose installation record names the key, now and as records change, and
nothing else: not the door's lock, not another landlord's flats, not a dwelling's meters.
Only a key an installation record of the hub names can be linked, so a link never points at
nothing, and an administrator cannot be linked (Home Assistant shows them everything
anyway, so the link would scope nothing).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.storage import Store

from buildinghub.credentials import PublicKey
from buildinghub.credentials.installation import InstallationRecord

MAX_LANDLORD_LOGINS: Final = 4096
_STORAGE_VERSION: Final = 1


def flats_of(key: PublicKey, installations: Iterable[InstallationRecord]) -> list[str]:
    """The lock ids of the flats whose installation record names ``key`` as the landlord's."""
    return sorted(record.lock_id for record in installations if record.landlord_key == key)


class LandlordLogins:
    """Each landlord login's key, kept in Home Assistant storage under ``key``."""

    def __init__(self, hass: HomeAssistant, key: str, domain: str) -> None:
        """The links an integration ``domain`` keeps under storage ``key``."""
        self.hass = hass
        self._domain = domain
        self._store: Store[dict[str, Any]] = Store(hass, _STORAGE_VERSION, key, private=True)
        self._keys: dict[str, PublicKey] = {}
        self.signal = f"{key}_changed"
        """The dispatcher signal sent when a link changes."""

    async def async_load(self) -> None:
        """Take back the links stored before."""
        stored = await self._store.async_load() or {}
        self._keys = {
            user: PublicKey.from_bytes(bytes.fromhex(key))
            for user, key in stored.get("landlords", {}).items()
        }

    @property
    def logins(self) -> Mapping[str, PublicKey]:
        """Every linked user id and the landlord key it holds."""
        return dict(self._keys)

    def key_of(self, user_id: str) -> PublicKey | None:
        """The landlord key ``user_id`` is linked to, if any."""
        return self._keys.get(user_id)

    async def async_link(
        self, user_id: str, key: PublicKey | None, installations: Iterable[InstallationRecord]
    ) -> list[str]:
        """Link ``user_id`` to ``key`` (None: unlink); the flats that gives them. Refuses an
        unknown user, an administrator, a key no installation record in ``installations``
        names, and more than MAX_LANDLORD_LOGINS links, changing nothing."""
        user = await self.hass.auth.async_get_user(user_id)
        if user is None:
            raise self._refusal("unknown_user", user_id=user_id)
        if user.is_admin:
            raise self._refusal("landlord_is_admin", user_id=user_id)
        flats = [] if key is None else flats_of(key, installations)
        if key is not None and not flats:
            raise self._refusal("landlord_key_not_installed", key_id=key.kid.hex())
        if key is not None and user_id not in self._keys and len(self._keys) >= MAX_LANDLORD_LOGINS:
            raise self._refusal("too_many_landlords", limit=str(MAX_LANDLORD_LOGINS))
        if key is None:
            self._keys.pop(user_id, None)
        else:
            self._keys[user_id] = key
        await self._store.async_save(
            {"landlords": {user: k.to_bytes().hex() for user, k in self._keys.items()}}
        )
        async_dispatcher_send(self.hass, self.signal)
        return flats

    def _refusal(self, key: str, **placeholders: str) -> ServiceValidationError:
        return ServiceValidationError(
            translation_domain=self._domain,
            translation_key=key,
            translation_placeholders=placeholders,
        )
