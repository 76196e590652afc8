"""The air of a simulated Zigbee network: frames between the hub and virtual devices.

A :class:`Medium` stands where the 2.4 GHz channel and the coordinator's
firmware would be. It enforces what a real radio enforces (the APS payload
limit, unknown destinations, devices out of range) and lets tests inject the
faults a real network has (lost frames, unacknowledged frames, corrupted
payloads). Media are found by their ``sim://`` path, the way a real radio is
found by its serial port, so a hub configured with a ``sim://`` path gets the
same code path as one with a USB stick.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Literal, Protocol

import zigpy.exceptions
import zigpy.types as t

if TYPE_CHECKING:
    from .device import VirtualDevice

LOGGER = logging.getLogger(__name__)

MAX_APS_PAYLOAD: Final = 82
"""Largest APS payload (the whole ZCL or ZDO frame) a frame may carry, in bytes."""

SIM_SCHEME: Final = "sim://"
COORDINATOR_NWK: Final = 0x0000

type LinkDirection = Literal["to_device", "to_hub"]


class Coordinator(Protocol):
    """What the medium needs from the hub's side of the radio (a zigpy application)."""

    def packet_received(self, packet: Any) -> None:
        """Take a frame that a device sent to the coordinator."""

    def handle_join(self, nwk: Any, ieee: Any, parent_nwk: Any) -> None:
        """Learn that a device joined the network."""

    def handle_leave(self, nwk: Any, ieee: Any) -> None:
        """Learn that a device left the network."""


@dataclass
class Traffic:
    """Frames and APS payload bytes that crossed the air."""

    frames: int = 0
    bytes: int = 0


@dataclass
class LinkStats:
    """What happened to the frames sent in one direction."""

    frames: int = 0
    """Frames that crossed the air (a broadcast counts once)."""
    bytes: int = 0
    """APS payload bytes of the frames that crossed."""
    by_cluster: dict[int, Traffic] = field(default_factory=dict)
    """The same, per cluster id (ZDO frames under their ZDO cluster ids)."""
    dropped: int = 0
    """Frames lost to :meth:`Medium.drop_next`."""
    refused: int = 0
    """Frames the radio would not send: too large, unknown destination, offline."""


@dataclass
class MediumStats:
    """Frame and byte counters of both directions."""

    to_device: LinkStats = field(default_factory=LinkStats)
    to_hub: LinkStats = field(default_factory=LinkStats)

    def of_cluster(self, cluster_id: int) -> Traffic:
        """Every frame and byte of one cluster, both ways."""
        out = self.to_device.by_cluster.get(cluster_id, Traffic())
        back = self.to_hub.by_cluster.get(cluster_id, Traffic())
        return Traffic(out.frames + back.frames, out.bytes + back.bytes)


@dataclass(frozen=True, slots=True)
class _Drop:
    error: bool


@dataclass(slots=True)
class _Faults:
    """Faults waiting for the next unicast frames of one direction."""

    drops: deque[_Drop] = field(default_factory=deque)
    tampers: deque[Callable[[bytes], bytes]] = field(default_factory=deque)


class Medium:
    """One simulated Zigbee network: the coordinator's radio and the devices in range.

    At most one coordinator (a :class:`~buildinghub_sim.application.SimulatedApplication`)
    is attached at a time, as only one program can own a serial port.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.stats = MediumStats()
        self.coordinator: Coordinator | None = None
        self.network_state: tuple[Any, Any] | None = None
        """The coordinator's "NVRAM": ``(NetworkInfo, NodeInfo)``, kept across restarts."""
        self._by_ieee: dict[t.EUI64, VirtualDevice] = {}
        self._offline: set[t.EUI64] = set()
        self._faults: dict[LinkDirection, _Faults] = {"to_device": _Faults(), "to_hub": _Faults()}
        self._tasks: set[asyncio.Task[None]] = set()
        self._taps: list[Callable[[LinkDirection, bytes], None]] = []

    @property
    def devices(self) -> tuple[VirtualDevice, ...]:
        """The devices currently joined."""
        return tuple(self._by_ieee.values())

    def attach(self, coordinator: Coordinator) -> None:
        """Make ``coordinator`` the hub side of this network (done by ``connect()``)."""
        if self.coordinator is not None and self.coordinator is not coordinator:
            raise RuntimeError(f"{self.name} is already in use by another application")
        self.coordinator = coordinator

    def detach(self, coordinator: Coordinator) -> None:
        """Forget ``coordinator`` (done by ``disconnect()``); devices stay joined."""
        if self.coordinator is coordinator:
            self.coordinator = None

    def join(self, device: VirtualDevice) -> None:
        """Put ``device`` on the network and tell the coordinator, which interviews it.

        Joining again (the same device object) is a rejoin: the coordinator is told
        again, as a real stack reports a rejoin. A device joined while no
        coordinator runs is on the air, but the hub learns of it only from its
        database, from a later rejoin, or when the device next speaks.
        """
        known = self._by_ieee.get(device.ieee)
        if known is not None and known is not device:
            raise ValueError(f"another device with IEEE {device.ieee} is already joined")
        if any(other.nwk == device.nwk and other is not device for other in self.devices):
            raise ValueError(f"NWK address 0x{device.nwk:04X} is already taken on {self.name}")
        self._by_ieee[device.ieee] = device
        device.attach(self)
        if self.coordinator is not None:
            self.coordinator.handle_join(t.NWK(device.nwk), device.ieee, t.NWK(COORDINATOR_NWK))

    def leave(self, device: VirtualDevice) -> None:
        """Take ``device`` off the network and tell the coordinator."""
        if self._by_ieee.get(device.ieee) is not device:
            return
        del self._by_ieee[device.ieee]
        self._offline.discard(device.ieee)
        device.attach(None)
        if self.coordinator is not None:
            self.coordinator.handle_leave(t.NWK(device.nwk), device.ieee)

    def set_online(self, ieee: t.EUI64, online: bool) -> None:
        """Take a joined device out of range (``False``) or bring it back (``True``)."""
        if ieee not in self._by_ieee:
            raise KeyError(f"no device {ieee} on {self.name}")
        if online:
            self._offline.discard(ieee)
        else:
            self._offline.add(ieee)

    def drop_next(
        self,
        count: int = 1,
        *,
        direction: LinkDirection = "to_device",
        error: bool = True,
    ) -> None:
        """Lose the next ``count`` unicast frames sent in ``direction``.

        With ``error=True`` the sender gets a ``DeliveryError`` (the APS
        acknowledgement never came); with ``error=False`` the send succeeds and
        the frame silently vanishes (a lost answer, or an acknowledged frame the
        device then lost). Broadcasts are never affected.
        """
        self._faults[direction].drops.extend(_Drop(error) for _ in range(count))

    def tamper_next(
        self, mutate: Callable[[bytes], bytes], *, direction: LinkDirection = "to_device"
    ) -> None:
        """Rewrite the payload of the next unicast frame sent in ``direction``."""
        self._faults[direction].tampers.append(mutate)

    async def to_device(self, packet: t.ZigbeePacket) -> None:
        """Send a frame from the coordinator (the application's ``send_packet``).

        Returns once the frame is delivered, like a radio's APS acknowledgement;
        the device handles it in its own task and answers later through
        :meth:`to_hub`. Raises ``zigpy.exceptions.DeliveryError`` when the
        payload is larger than :data:`MAX_APS_PAYLOAD`, the destination is not
        on the network, it is offline, or a fault was injected.
        """
        stats = self.stats.to_device
        data = self._checked_payload(packet, stats)
        address = packet.dst
        if address is None:
            stats.refused += 1
            raise zigpy.exceptions.DeliveryError(
                "a frame without a destination cannot be sent",
                status=t.NWKStatus.NWK_ROUTE_DISCOVERY_FAILED,
            )
        if address.addr_mode == t.AddrMode.Broadcast:
            self._count(stats, packet.cluster_id, data)
            for listener in self.devices:
                if listener.ieee not in self._offline:
                    self._deliver(listener, packet)
            return
        if address.addr_mode == t.AddrMode.Group:
            # Virtual devices are members of no group: the frame reaches nobody.
            self._count(stats, packet.cluster_id, data)
            return
        device = self._device_at(address)
        if device is None:
            stats.refused += 1
            raise zigpy.exceptions.DeliveryError(
                f"no device with address {address.address} on {self.name}",
                status=t.NWKStatus.NWK_ROUTE_DISCOVERY_FAILED,
            )
        if device.ieee in self._offline:
            stats.refused += 1
            raise zigpy.exceptions.DeliveryError(
                f"device {device.ieee} is offline", status=t.APSStatus.APS_NO_ACK
            )
        arriving = self._apply_faults(self._faults["to_device"], stats, data)
        if arriving is None:
            return
        self._count(stats, packet.cluster_id, arriving)
        self._deliver(device, packet.replace(data=t.SerializableBytes(arriving)))

    async def to_hub(self, packet: t.ZigbeePacket) -> None:
        """Send a frame from a device to the coordinator.

        Raises ``zigpy.exceptions.DeliveryError`` to the device when the payload is
        too large, the device is offline, no coordinator is attached, or a fault
        was injected.
        """
        stats = self.stats.to_hub
        data = self._checked_payload(packet, stats)
        coordinator = self.coordinator
        source = self._device_at(packet.src)
        if source is not None and source.ieee in self._offline:
            stats.refused += 1
            raise zigpy.exceptions.DeliveryError(
                f"device {source.ieee} is offline", status=t.APSStatus.APS_NO_ACK
            )
        if coordinator is None:
            stats.refused += 1
            raise zigpy.exceptions.DeliveryError(
                f"no coordinator is running on {self.name}", status=t.APSStatus.APS_NO_ACK
            )
        arriving = self._apply_faults(self._faults["to_hub"], stats, data)
        if arriving is None:
            return
        self._count(stats, packet.cluster_id, arriving)
        # The hub handles the frame on its own turn of the loop, as a radio's
        # receive callback would: the device's send never runs hub code.
        asyncio.get_running_loop().call_soon(
            coordinator.packet_received, packet.replace(data=t.SerializableBytes(arriving))
        )

    async def to_peer(self, packet: t.ZigbeePacket) -> None:
        """Send a frame from one device to another (any joined node may address any other:
        the network key is shared, so a frame's source proves nothing about its sender).

        Counted with the frames to devices; raises ``DeliveryError`` like :meth:`to_device`.
        """
        stats = self.stats.to_device
        data = self._checked_payload(packet, stats)
        source = self._device_at(packet.src)
        target = self._device_at(packet.dst)
        for node in (source, target):
            if node is None or node.ieee in self._offline:
                stats.refused += 1
                raise zigpy.exceptions.DeliveryError(
                    f"no reachable device at {packet.src} -> {packet.dst} on {self.name}",
                    status=t.APSStatus.APS_NO_ACK,
                )
        assert target is not None
        self._count(stats, packet.cluster_id, data)
        self._deliver(target, packet)

    async def close(self) -> None:
        """Stop every frame still being handled by a device."""
        tasks = tuple(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _checked_payload(self, packet: t.ZigbeePacket, stats: LinkStats) -> bytes:
        data: bytes = packet.data.serialize()
        if len(data) > MAX_APS_PAYLOAD:
            stats.refused += 1
            raise zigpy.exceptions.DeliveryError(
                f"APS payload of {len(data)} bytes exceeds the {MAX_APS_PAYLOAD}-byte limit"
                " (zigpy does not fragment)",
                status=t.APSStatus.APS_ASDU_TOO_LONG,
            )
        return data

    def _device_at(self, address: t.AddrModeAddress | None) -> VirtualDevice | None:
        if address is None:
            return None
        if isinstance(address.address, t.EUI64):
            return self._by_ieee.get(address.address)
        if address.addr_mode == t.AddrMode.NWK:
            return next((d for d in self.devices if d.nwk == address.address), None)
        return None

    @staticmethod
    def _apply_faults(faults: _Faults, stats: LinkStats, data: bytes) -> bytes | None:
        """Return the payload as it arrives, or ``None`` if it silently vanished."""
        if faults.drops:
            drop = faults.drops.popleft()
            stats.dropped += 1
            if drop.error:
                raise zigpy.exceptions.DeliveryError(
                    "frame lost in the air (injected fault)",
                    status=t.APSStatus.APS_NO_ACK,
                )
            return None
        if faults.tampers:
            return faults.tampers.popleft()(data)
        return data

    def _count(self, stats: LinkStats, cluster_id: int, data: bytes) -> None:
        stats.frames += 1
        stats.bytes += len(data)
        traffic = stats.by_cluster.setdefault(int(cluster_id), Traffic())
        traffic.frames += 1
        traffic.bytes += len(data)
        direction: LinkDirection = "to_device" if stats is self.stats.to_device else "to_hub"
        for tap in tuple(self._taps):
            tap(direction, data)

    def add_tap(self, tap: Callable[[LinkDirection, bytes], None]) -> Callable[[], None]:
        """Hear the APS payload of every frame that crosses the air (as a sniffer would);
        returns a function that stops it."""
        self._taps.append(tap)
        return lambda: self._taps.remove(tap)

    def _deliver(self, device: VirtualDevice, packet: t.ZigbeePacket) -> None:
        task = asyncio.get_running_loop().create_task(
            self._run(device, packet), name=f"{self.name} frame to {device.ieee}"
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @staticmethod
    async def _run(device: VirtualDevice, packet: t.ZigbeePacket) -> None:
        try:
            await device.receive(packet)
        except zigpy.exceptions.DeliveryError as err:
            # The device's answer did not reach the hub: the hub will time out.
            LOGGER.debug("Device %s could not answer: %s", device.ieee, err)
        except Exception:
            LOGGER.exception("Device %s failed to handle a frame", device.ieee)


_MEDIA: dict[str, Medium] = {}


def get_medium(path: str) -> Medium:
    """Return the medium at ``path`` (``sim://<name>``), creating it on first use."""
    if not path.startswith(SIM_SCHEME):
        raise ValueError(f"a simulated radio path starts with {SIM_SCHEME!r}, not {path!r}")
    medium = _MEDIA.get(path)
    if medium is None:
        medium = _MEDIA[path] = Medium(path)
    return medium


async def drop_medium(path: str) -> None:
    """Forget the medium at ``path`` and stop any frame its devices are still handling."""
    medium = _MEDIA.pop(path, None)
    if medium is not None:
        await medium.close()
