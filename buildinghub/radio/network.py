"""The building network runtime: one zigpy application per radio, shared by its users.

:class:`BuildingNetwork` owns the ControllerApplication of one radio: bellows'
EZSP application for a serial path, or the backend its scheme names (the
simulator's ``sim://``), so the code above it is the same in tests, in the demo and on
a real coordinator. :class:`NetworkRegistry` hands one started network per
radio to every integration that asks for it and stops it when the last one
lets go.
"""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass
from typing import Any, Final

import zigpy.application
import zigpy.config as conf
import zigpy.device
from bellows.config import CONF_USE_THREAD

from .errors import RadioError, RadioUnavailable
from .schemes import backend_for

LOGGER = logging.getLogger(__name__)

START_TIMEOUT_S: Final = 60.0
"""How long opening the radio and starting (or forming) its network may take."""
PROBE_TIMEOUT_S: Final = 15.0
"""How long :func:`probe_radio` waits for the radio to answer."""
EZSP_BAUDRATE: Final = 115200
STOP_CANCEL_ATTEMPTS: Final = 10
STOP_CANCEL_WAIT_S: Final = 0.5
"""Stopping cancels a topology scan up to this many times, waiting this long each time."""


def _config(path: str, database_path: str | None) -> dict[str, Any]:
    return {
        conf.CONF_DEVICE: {
            conf.CONF_DEVICE_PATH: path,
            conf.CONF_DEVICE_BAUDRATE: EZSP_BAUDRATE,
            conf.CONF_DEVICE_FLOW_CONTROL: None,
        },
        conf.CONF_DATABASE: database_path,
        # Our devices take no firmware from zigpy's public OTA providers, and the
        # hub should not contact them on their behalf.
        conf.CONF_OTA: {conf.CONF_OTA_ENABLED: False},
        # Nothing of ours reads zigpy's neighbour tables. Its periodic scan puts ZDO
        # requests on the air (SPEC C2) and, cancelled mid-scan, it swallows the
        # cancellation and sleeps a whole period, so a hub stopping then would wait.
        conf.CONF_TOPO_SCAN_ENABLED: False,
    }


def _reason(err: BaseException) -> str:
    if isinstance(err, TimeoutError):
        return "the radio did not answer in time"
    return f"{type(err).__name__}: {err}" if str(err) else type(err).__name__


class BuildingNetwork:
    """The Zigbee network of one building, owned through one radio path."""

    def __init__(self, path: str, *, database_path: str | None = None) -> None:
        self.path = path
        self.database_path = database_path
        self._application: zigpy.application.ControllerApplication | None = None
        self._listeners: list[object] = []

    @property
    def application(self) -> zigpy.application.ControllerApplication:
        """The running zigpy application."""
        if self._application is None:
            raise RadioError(f"the building network on {self.path} is not running")
        return self._application

    @property
    def running(self) -> bool:
        """Whether :meth:`start` succeeded and :meth:`stop` has not been called since."""
        return self._application is not None

    async def start(self) -> None:
        """Open the radio and start its network, forming one if it has none.

        Raises :class:`RadioUnavailable` for any failure, at the latest after
        :data:`START_TIMEOUT_S` seconds; nothing stays open after a failure.
        """
        if self._application is not None:
            return
        application_class = backend_for(self.path).application_class()
        try:
            application = await application_class.new(
                _config(self.path, self.database_path), auto_form=True, start_radio=False
            )
        except Exception as err:
            raise RadioUnavailable(self.path, _reason(err)) from err
        try:
            async with asyncio.timeout(START_TIMEOUT_S):
                await application.startup(auto_form=True)
        except BaseException as err:
            # zigpy closes the radio after its own errors, but neither the database
            # nor anything at all after a timeout or a cancellation.
            await application.shutdown()
            if not isinstance(err, Exception):
                raise
            raise RadioUnavailable(self.path, _reason(err)) from err
        for listener in self._listeners:
            application.add_listener(listener)
        self._application = application
        LOGGER.info("Building network started on %s", self.path)

    async def stop(self) -> None:
        """Shut the network down and close the radio and the database."""
        application, self._application = self._application, None
        if application is not None:
            await _end_device_tasks(application)
            topology = application.topology
            await application.shutdown()
            # ...and cancels its topology scans without waiting for them to end. A scan
            # loop cancelled mid-scan catches it and sleeps: cancel until it ends.
            for _ in range(STOP_CANCEL_ATTEMPTS):
                scans = [
                    task
                    for task in (topology._scan_loop_task, topology._scan_task)
                    if task is not None and not task.done()
                ]
                if not scans:
                    break
                for task in scans:
                    task.cancel()
                await asyncio.wait(scans, timeout=STOP_CANCEL_WAIT_S)
            else:
                LOGGER.warning("A topology scan on %s did not stop", self.path)
            LOGGER.info("Building network on %s stopped", self.path)

    def devices(self) -> list[zigpy.device.Device]:
        """The devices that joined and were interviewed (the coordinator excluded)."""
        application = self.application
        coordinator = application.state.node_info.ieee
        return [
            device
            for device in _zigbee_devices(application)
            if device.is_initialized and device.ieee != coordinator
        ]

    def add_listener(self, listener: object) -> None:
        """Receive zigpy's application events (``device_initialized``, ``device_removed``...).

        A listener is any object with methods named after the events. Listeners
        added before :meth:`start` are attached once the network has started;
        devices known by then are in :meth:`devices`.
        """
        self._listeners.append(listener)
        if self._application is not None:
            self._application.add_listener(listener)

    def remove_listener(self, listener: object) -> None:
        """Stop sending events to ``listener``."""
        self._listeners.remove(listener)
        if self._application is not None:
            self._application.remove_listener(listener)

    async def wait_for_interviews(self, seconds: float) -> None:
        """Give devices zigpy is still interviewing a bounded moment to finish."""
        application = self.application
        coordinator = application.state.node_info.ieee
        interviews = [
            task
            for device in _zigbee_devices(application)
            if device.ieee != coordinator
            and not device.is_initialized
            and (task := device._initialize_task) is not None
        ]
        if interviews:
            await asyncio.wait(interviews, timeout=seconds)

    async def permit(self, seconds: int = 60) -> None:
        """Let new devices join for ``seconds`` (0 closes the network, 254 at most)."""
        if not 0 <= seconds <= 254:
            raise ValueError(f"joining can be permitted for 0-254 seconds, not {seconds}")
        await self.application.permit(time_s=seconds)


def _zigbee_devices(
    application: zigpy.application.ControllerApplication,
) -> list[zigpy.device.Device]:
    # zigpy also keeps Green Power devices, which are never ours.
    return [d for d in application.devices.values() if isinstance(d, zigpy.device.Device)]


async def _end_device_tasks(application: zigpy.application.ControllerApplication) -> None:
    """Cancel every device's running tasks (interviews first) and wait until they ended.

    zigpy's shutdown cancels them too, but clears its record of them while they are
    still ending; each one then fails zigpy's own bookkeeping with a KeyError that
    asyncio logs. Ended before shutdown, they are gone from the record already. zigpy
    has no public accessor for a device's tasks, so this reads the set it keeps.
    """
    running = [
        task
        for device in application.devices.values()
        for task in tuple(device._tasks)
        if not task.done()
    ]
    for task in running:
        task.cancel()
    await asyncio.gather(*running, return_exceptions=True)


async def probe_radio(path: str) -> None:
    """Check that a radio is at ``path`` and answers, then close it again.

    Raises :class:`RadioUnavailable` with the reason when the port cannot be
    opened or the radio does not answer within :data:`PROBE_TIMEOUT_S` seconds.
    """
    config = _config(path, database_path=None)
    # bellows reads the port from a thread of its own; a short probe needs none,
    # and ZHA probes the same way.
    config[CONF_USE_THREAD] = False
    application_class = backend_for(path).application_class()
    try:
        application = application_class(config)
    except Exception as err:
        raise RadioUnavailable(path, _reason(err)) from err
    try:
        async with asyncio.timeout(PROBE_TIMEOUT_S):
            await application.connect()
    except Exception as err:
        raise RadioUnavailable(path, _reason(err)) from err
    finally:
        await application.disconnect()


def _radio_key(path: str) -> str:
    # /dev/serial/by-id/... and /dev/ttyUSB0 can name the same radio.
    return os.path.realpath(path) if path.startswith("/") else path


@dataclass(slots=True)
class _Lease:
    network: BuildingNetwork
    users: int = 0


class NetworkRegistry:
    """Started networks, one per radio, shared by reference count.

    Our integrations each :meth:`acquire` the network of their radio path; the
    first one starts it, the others get the same object, and :meth:`release`
    by the last user stops it.
    """

    def __init__(self) -> None:
        self._leases: dict[str, _Lease] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def _lock(self, key: str) -> asyncio.Lock:
        return self._locks.setdefault(key, asyncio.Lock())

    async def acquire(self, path: str, *, database_path: str | None = None) -> BuildingNetwork:
        """The started network of ``path``, starting it for its first user.

        Raises :class:`RadioUnavailable` when it cannot start; a network already
        held with another database cannot be acquired (``ValueError``).
        """
        key = _radio_key(path)
        async with self._lock(key):
            lease = self._leases.get(key)
            if lease is None:
                network = BuildingNetwork(path, database_path=database_path)
                await network.start()
                lease = self._leases[key] = _Lease(network)
            elif lease.network.database_path != database_path:
                raise ValueError(
                    f"the network on {path} is already open with database"
                    f" {lease.network.database_path!r}, not {database_path!r}"
                )
            lease.users += 1
            return lease.network

    async def release(self, network: BuildingNetwork) -> None:
        """Give back a network from :meth:`acquire`; the last release stops it."""
        key = _radio_key(network.path)
        async with self._lock(key):
            lease = self._leases.get(key)
            if lease is None or lease.network is not network:
                raise ValueError(f"the network on {network.path} is not held from this registry")
            lease.users -= 1
            if lease.users == 0:
                del self._leases[key]
                await network.stop()

    async def probe(self, path: str) -> None:
        """Like :func:`probe_radio`, but a radio already running here counts as answering.

        A port in use cannot be opened twice, so a second integration's setup
        must not probe the radio the first one is running.
        """
        key = _radio_key(path)
        async with self._lock(key):
            if key in self._leases:
                return
            await probe_radio(path)
