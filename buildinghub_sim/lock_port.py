"""The physical port of a simulated door lock: a directory standing for a USB stick or SD card.

Inserting a medium is files appearing in the directory (``<building dir>/ports/<flat>/``); the
lock imports the sealed bundles for it with LockTemplates.import_from_port. A watcher polls the
template folder's listing (names, sizes, times: one directory scan, off the event loop) and
imports only when it changed, so a person can copy an exported bundle there while the demo runs.
"""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path
from typing import Final

from buildinghub.biometrics.errors import MediaRefused
from buildinghub.biometrics.lock_templates import PortImport
from buildinghub.biometrics.media import MEDIA_FOLDER

from .door_lock_firmware import DoorLockFirmware

_LOGGER = logging.getLogger(__name__)
PORT_POLL_S: Final = 2.0
PORTS_DIRECTORY: Final = "ports"


def port_directory(ports: Path, flat: str) -> Path:
    """The port directory of a flat's lock."""
    return ports / flat.lower().replace(" ", "-")


async def import_from_port(firmware: DoorLockFirmware, port: Path) -> PortImport:
    """The lock reads the medium in its port and imports the bundles for it."""
    if firmware.biometrics is None:
        raise MediaRefused("the lock is not installed: it reads no medium")
    return await firmware.biometrics.import_from_port(port)


def _listing(port: Path) -> frozenset[tuple[str, int, int]]:
    try:
        with os.scandir(port / MEDIA_FOLDER) as entries:
            return frozenset(
                (entry.name, entry.stat().st_size, entry.stat().st_mtime_ns) for entry in entries
            )
    except OSError:
        return frozenset()


class PortWatcher:
    """Imports what appears at a lock's port, until stopped."""

    def __init__(self, firmware: DoorLockFirmware, port: Path) -> None:
        """Watch port for the lock running firmware."""
        self.firmware = firmware
        self.port = port
        self._seen: frozenset[tuple[str, int, int]] = frozenset()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start polling (idempotent)."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(
                self._poll(), name=f"port of {self.firmware.lock_id}"
            )

    def stop(self) -> None:
        """Stop polling."""
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(PORT_POLL_S)
            listing = await asyncio.to_thread(_listing, self.port)
            if listing and listing != self._seen:
                self._seen = listing
                await self._import()

    async def _import(self) -> None:
        try:
            result = await import_from_port(self.firmware, self.port)
        except MediaRefused as err:
            _LOGGER.info("%s refused the medium: %s", self.firmware.lock_id, err)
            return
        _LOGGER.info(
            "%s imported %d template(s) from its port, refused %s",
            self.firmware.lock_id,
            len(result.imported),
            [refusal.reason for refusal in result.refused],
        )
