"""The fingerprint sensor of a simulated door lock, for a person trying the demo.

A person puts a finger on the sensor by writing their name (and, on a second line, which
finger; the right index by default) to ``<building dir>/sensors/<flat>``, for example
``echo Tess > .demo/config/buildinghub_sim/sensors/flat-1a``. The lock scans that finger
(:func:`buildinghub_sim.fingers.finger_template`, what the enrolling station's reader also
captures), decides as its firmware does, reports the access event over the radio, and
removes the file: the finger left the sensor. A watcher polls the directory off the event
loop, once a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import Final

from .door_lock import SimulatedDoorLock
from .fingers import finger_template

_LOGGER = logging.getLogger(__name__)
SENSOR_POLL_S: Final = 1.0
SENSORS_DIRECTORY: Final = "sensors"
MAX_NAME: Final = 64


def _take_finger(path: Path) -> tuple[str, str] | None:
    """The person and finger written to path, removing the file; None if nobody is there."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    with contextlib.suppress(OSError):
        path.unlink()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines or len(lines[0]) > MAX_NAME:
        return None
    return lines[0], (lines[1][:MAX_NAME] if len(lines) > 1 else "right index")


class SensorWatcher:
    """Presents to a lock every finger written to its sensor file, until stopped."""

    def __init__(self, lock: SimulatedDoorLock, sensor: Path) -> None:
        """Watch the sensor file of ``lock``."""
        self.lock = lock
        self.sensor = sensor
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start polling (idempotent)."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(
                self._poll(), name=f"sensor of {self.lock.firmware.lock_id}"
            )

    def stop(self) -> None:
        """Stop polling."""
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def _poll(self) -> None:
        await asyncio.to_thread(self.sensor.parent.mkdir, parents=True, exist_ok=True)
        while True:
            await asyncio.sleep(SENSOR_POLL_S)
            touched = await asyncio.to_thread(_take_finger, self.sensor)
            if touched is not None:
                person, finger = touched
                event = self.lock.fingerprint(finger_template(person, finger))
                _LOGGER.info(
                    "%s: a finger on the sensor -> %s",
                    self.lock.firmware.lock_id,
                    "granted" if event.granted else event.reason,
                )
