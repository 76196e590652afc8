"""Radio backends by path scheme: bellows' EZSP by default, others installed as plugins.

A radio path names its backend by scheme: ``/dev/serial/by-id/...`` and
``socket://host:port`` are EZSP coordinators opened by bellows; any other
``scheme://`` is looked up among the backends registered here, either in
process (:func:`register_backend`) or by an installed distribution's entry
point in the ``buildinghub.radio_schemes`` group, named for the scheme. The
simulator registers ``sim`` that way, so shipped code never imports it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any, Final, Protocol

from .errors import RadioUnavailable

if TYPE_CHECKING:
    from .network import BuildingNetwork

LOGGER = logging.getLogger(__name__)

ENTRY_POINT_GROUP: Final = "buildinghub.radio_schemes"
"""The entry-point group in which a distribution names its radio backends."""
EZSP_SCHEMES: Final = frozenset({"", "socket"})
"""Schemes bellows opens itself: a serial port path, or a TCP coordinator."""


@dataclass(frozen=True, slots=True)
class HeardAdvertisement:
    """One BLE advertisement, in the terms a Bluetooth scanner reports it."""

    address: str
    rssi: int
    local_name: str | None
    manufacturer_data: dict[int, bytes]
    service_uuids: list[str]
    connectable: bool


class BleAirway(Protocol):
    """BLE devices behind a radio path that no adapter of the hub hears (the simulator's air).

    The Home Assistant glue registers it with Home Assistant's bluetooth as a remote
    scanner whose connections use :meth:`client_class`, exactly as a Bluetooth proxy
    registers itself; from there on the devices are reached like any other.
    """

    @property
    def name(self) -> str:
        """A name for the scanner, unique on the hub."""

    def client_class(self) -> type[Any]:
        """The bleak client backend (a ``BaseBleakClient`` subclass) that connects to them."""

    def add_listener(self, listener: Callable[[HeardAdvertisement], None]) -> Callable[[], None]:
        """Hear every advertisement; returns a function that stops it."""

    async def start(self) -> None:
        """Start hearing (and being able to connect)."""

    async def stop(self) -> None:
        """Stop hearing and drop connections."""


class FingerprintReader(Protocol):
    """The enrolment station's fingerprint reader, where a backend provides one."""

    def capture(self, person: str) -> bytes:
        """The template the reader captures from ``person``'s finger."""


class RadioBackend(Protocol):
    """What the building network needs to open the radios of one path scheme."""

    @property
    def keeps_database(self) -> bool:
        """Whether the coordinator keeps zigpy's device database in the config directory."""

    def application_class(self) -> type[Any]:
        """The zigpy ``ControllerApplication`` subclass that drives these radios."""

    async def prepare(self, path: str, config_dir: str) -> None:
        """Bring up whatever stands behind ``path`` before its radio opens."""

    def started(self, path: str, network: BuildingNetwork) -> None:
        """The network on ``path`` has started (devices known to it are interviewed)."""

    def ble_airway(self, path: str) -> BleAirway | None:
        """BLE devices behind ``path`` that the hub's own adapters cannot hear, if any."""

    def fingerprint_reader(self, path: str) -> FingerprintReader | None:
        """An enrolment reader that comes with ``path`` (a simulated one), if any."""


class EzspBackend:
    """A Silicon Labs EZSP coordinator on a serial port or TCP, driven by bellows."""

    keeps_database = True

    def application_class(self) -> type[Any]:
        """bellows' ControllerApplication (imported when a real radio is first opened)."""
        import bellows.zigbee.application  # noqa: PLC0415  (bellows is slow to import)

        application: type[Any] = bellows.zigbee.application.ControllerApplication
        return application

    async def prepare(self, path: str, config_dir: str) -> None:
        """Nothing: the radio is a real device."""

    def started(self, path: str, network: BuildingNetwork) -> None:
        """Nothing: zigpy's database brings the devices back."""

    def ble_airway(self, path: str) -> BleAirway | None:
        """None: a real building's BLE locks are heard by Home Assistant's adapters."""
        return None

    def fingerprint_reader(self, path: str) -> FingerprintReader | None:
        """None: a real station's reader hands its template to the enrolment action."""
        return None


EZSP: Final = EzspBackend()
_REGISTERED: dict[str, RadioBackend] = {}


def scheme_of(path: str) -> str:
    """The scheme of a radio path (``""`` for a plain device path)."""
    scheme, separator, _ = path.partition("://")
    return scheme if separator else ""


def register_backend(scheme: str, backend: RadioBackend) -> None:
    """Open paths of ``scheme://`` with ``backend`` in this process."""
    _REGISTERED[scheme] = backend


def installed_schemes() -> frozenset[str]:
    """The schemes that installed distributions provide a backend for."""
    return frozenset(_REGISTERED) | {point.name for point in entry_points(group=ENTRY_POINT_GROUP)}


def backend_for(path: str) -> RadioBackend:
    """The backend that opens ``path``.

    Raises :class:`RadioUnavailable` when the path's scheme has no backend
    installed (for example ``sim://`` without the simulator).
    """
    scheme = scheme_of(path)
    if scheme in EZSP_SCHEMES:
        return EZSP
    backend = _REGISTERED.get(scheme)
    if backend is not None:
        return backend
    for point in entry_points(group=ENTRY_POINT_GROUP, name=scheme):
        try:
            loaded: RadioBackend = point.load()
        except Exception as err:
            LOGGER.exception("The radio backend %s could not be loaded", point.value)
            raise RadioUnavailable(path, f"its backend {point.value} failed to load") from err
        _REGISTERED[scheme] = loaded
        return loaded
    raise RadioUnavailable(path, f"no radio backend for {scheme}:// paths is installed")
