"""The hub's copy of the key ledger, kept in Home Assistant storage (SPEC K3, K4).

When the entry's options name a ledger, landlord keys come from the hub's verified mirror of
it instead of from installation records alone. The trusted checkpoint is a file beside the
other storage files, replaced atomically; the mirrored entries are a Store. A fork raises
the ``keylog_fork`` repair and freezes the view until an administrator calls
``rental_lock.resolve_keylog_fork``; keys already trusted keep working meanwhile.
"""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.storage import STORAGE_DIR, Store

from buildinghub.credentials import Clock, PublicKey
from buildinghub.keylog.checkpoint import Checkpoint
from buildinghub.keylog.client import CloudUnavailable, LedgerClient
from buildinghub.keylog.errors import ForkDetected, KeylogError, LogFrozen
from buildinghub.keylog.mirror import LedgerMirror
from buildinghub.keylog.signers import LogNoteKey, WitnessNoteKey
from buildinghub.keylog.trusted_view import TrustedLogView
from buildinghub.telemetry.cloud_client import CloudRefused

from .const import (
    CONF_BUILDING,
    CONF_LEDGER_URL,
    CONF_LOG_KEY,
    CONF_LOG_ORIGIN,
    CONF_QUORUM,
    CONF_WITNESSES,
    DOMAIN,
)

_LOGGER = logging.getLogger(__name__)
STORAGE_VERSION = 1
ISSUE_FORK = "keylog_fork"


class LedgerOptionError(ValueError):
    """An option of the ledger is not usable; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        """Say which field and why."""
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, slots=True)
class LedgerOptions:
    """Where the ledger is and whom to believe about it."""

    url: str
    log_key: LogNoteKey
    witnesses: tuple[WitnessNoteKey, ...]
    quorum: int
    building: str

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> LedgerOptions | None:
        """The ledger options of an entry, None when no ledger is configured."""
        url = str(options.get(CONF_LEDGER_URL) or "").strip()
        if not url:
            return None
        try:
            log_key = LogNoteKey(
                str(options.get(CONF_LOG_ORIGIN, "")).strip(),
                _public_key(str(options.get(CONF_LOG_KEY, ""))),
            )
        except (KeylogError, ValueError) as err:
            raise LedgerOptionError(CONF_LOG_KEY, str(err)) from err
        witnesses = []
        for line in str(options.get(CONF_WITNESSES, "")).splitlines():
            if not line.strip():
                continue
            try:
                name, key = line.split()
                witnesses.append(WitnessNoteKey(name, _public_key(key)))
            except (KeylogError, ValueError) as err:
                raise LedgerOptionError(CONF_WITNESSES, f"{line[:40]!r}: {err}") from err
        quorum = int(options.get(CONF_QUORUM, 0))
        if not 1 <= quorum <= len(witnesses):
            raise LedgerOptionError(
                CONF_QUORUM, f"the quorum is 1 to the {len(witnesses)} witnesses configured"
            )
        building = str(options.get(CONF_BUILDING) or "").strip()
        if not building:
            raise LedgerOptionError(
                CONF_BUILDING,
                "name the building this hub serves, as the key ledger names it: landlord keys "
                "are trusted only in it",
            )
        return cls(url, log_key, tuple(witnesses), quorum, building)


def _public_key(text: str) -> PublicKey:
    try:
        return PublicKey.from_bytes(base64.b64decode(text.strip(), validate=True))
    except Exception as err:
        raise ValueError("not a base64 P-256 public key") from err


class HubLedger:
    """The trusted view, the mirror and the client of one entry's ledger."""

    def __init__(
        self, hass: HomeAssistant, entry_id: str, options: LedgerOptions, clock: Clock
    ) -> None:
        """The ledger of entry_id as options describe it."""
        self.hass = hass
        self.options = options
        self._clock = clock
        self._view_path = Path(hass.config.path(STORAGE_DIR, f"{DOMAIN}.{entry_id}.keylog_view"))
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}.keylog_entries"
        )
        self.client = LedgerClient(async_get_clientsession(hass), options.url)
        self.mirror: LedgerMirror | None = None

    def _open_view(self) -> TrustedLogView:
        self._view_path.parent.mkdir(parents=True, exist_ok=True)
        return TrustedLogView(
            self.options.log_key,
            self.options.witnesses,
            self.options.quorum,
            self._view_path,
            self._clock,
        )

    async def async_load(self) -> LedgerMirror:
        """Open the stored view and replay the stored entries against its checkpoint."""
        view = await self.hass.async_add_executor_job(self._open_view)
        mirror = LedgerMirror(view)
        stored = await self._store.async_load()
        if stored and view.note is not None and not view.frozen:
            entries = [base64.b64decode(item) for item in stored["entries"]]
            try:
                await self.hass.async_add_executor_job(mirror.sync, view.note.encode(), [], entries)
            except KeylogError as err:
                _LOGGER.warning("The stored key ledger copy is unusable, fetching again: %s", err)
                mirror = LedgerMirror(view)
        self.mirror = mirror
        if view.frozen:
            self._raise_fork_issue()
        return mirror

    async def async_sync(self) -> Checkpoint | None:
        """Bring the mirror to the cloud's latest checkpoint; None if the cloud is down.

        Raises ForkDetected (repair raised) or another KeylogError if the checkpoint is not
        trustworthy (no quorum, bad proof): nothing new is trusted then.
        """
        mirror = self.mirror
        assert mirror is not None
        if mirror.view.frozen:
            self._raise_fork_issue()
            raise LogFrozen(
                "a fork of the key ledger was detected: no new key is trusted until an "
                "administrator resolves it"
            )
        before = mirror.size
        try:
            update = await self.client.fetch_update(mirror)
        except (CloudUnavailable, CloudRefused) as err:
            _LOGGER.warning("Key ledger not reachable, keeping the copy held: %s", err)
            return None
        try:
            checkpoint = await self.hass.async_add_executor_job(mirror.sync, *update)
        except ForkDetected:
            self._raise_fork_issue()
            raise
        if mirror.size != before:
            await self._async_save(mirror)
        return checkpoint

    async def async_resolve(self) -> tuple[LedgerMirror, Checkpoint]:
        """An administrator re-anchors on the cloud's current checkpoint after a fork."""
        assert self.mirror is not None
        view = self.mirror.view
        note = await self.client.checkpoint()
        checkpoint = await self.hass.async_add_executor_job(view.resolve, note)
        entries = await self.client.entries(0, checkpoint.size)
        mirror = LedgerMirror(view)
        await self.hass.async_add_executor_job(mirror.sync, note, [], entries)
        self.mirror = mirror
        await self._async_save(mirror)
        ir.async_delete_issue(self.hass, DOMAIN, ISSUE_FORK)
        return mirror, checkpoint

    async def _async_save(self, mirror: LedgerMirror) -> None:
        await self._store.async_save(
            {"entries": [base64.b64encode(item).decode() for item in mirror.entries()]}
        )

    def _raise_fork_issue(self) -> None:
        assert self.mirror is not None
        evidence = self.mirror.view.evidence
        last = evidence[-1] if evidence else None
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            ISSUE_FORK,
            is_fixable=False,
            is_persistent=False,
            severity=ir.IssueSeverity.CRITICAL,
            translation_key=ISSUE_FORK,
            translation_placeholders={
                "origin": self.options.log_key.name,
                "detail": last.detail if last else "",
            },
        )

    def diagnostics(self) -> dict[str, Any]:
        """Everything the hub holds of the ledger: all public (checkpoints, evidence)."""
        mirror = self.mirror
        view = mirror.view if mirror else None
        checkpoint = view.checkpoint if view else None
        return {
            "url": self.options.url,
            "building": self.options.building,
            "origin": self.options.log_key.name,
            "witnesses": [w.name for w in self.options.witnesses],
            "quorum": self.options.quorum,
            "trusted_size": checkpoint.size if checkpoint else None,
            "mirrored_entries": mirror.size if mirror else 0,
            "frozen": view.frozen if view else False,
            "fork_evidence": [item.to_json() for item in view.evidence] if view else [],
            "refused_entries": [
                {"index": r.index, "reason": r.reason} for r in (mirror.refused if mirror else ())
            ],
        }
