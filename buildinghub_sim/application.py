"""A zigpy ControllerApplication whose radio is a :class:`~buildinghub_sim.medium.Medium`.

It stands where bellows' EZSP application would: everything above
``send_packet`` and ``packet_received`` is zigpy's own code, so the hub runs
unchanged against simulated devices. Like a factory-fresh coordinator, each
medium comes with a formed network whose settings are derived from its name
(channel 15, NWK 0x0000), so they are the same on every start.
"""

from __future__ import annotations

import hashlib
from typing import Any, Final

import zigpy.application
import zigpy.config as conf
import zigpy.device
import zigpy.endpoint
import zigpy.exceptions
import zigpy.profiles.zha
import zigpy.state
import zigpy.types as t
import zigpy.zdo.types as zdo_t
from zigpy.config.defaults import CONF_NWK_TC_LINK_KEY_DEFAULT

from .medium import COORDINATOR_NWK, MAX_APS_PAYLOAD, Medium, get_medium

CHANNEL: Final = 15
COORDINATOR_MANUFACTURER: Final = "Building Hub"
COORDINATOR_MODEL: Final = "Simulated coordinator"
# The manufacturer code Silicon Labs coordinators report, as bellows' do.
_COORDINATOR_MANUFACTURER_CODE: Final = 0x1049


def factory_network(name: str) -> tuple[zigpy.state.NetworkInfo, zigpy.state.NodeInfo]:
    """The network a simulated radio called ``name`` comes with.

    Every value is derived from the name, so it is stable across restarts. The
    network key is not secret: this is a simulation.
    """
    seed = hashlib.sha256(f"buildinghub-sim:{name}".encode()).digest()
    key = hashlib.sha256(seed).digest()
    ieee = t.EUI64(seed[:8])
    network = zigpy.state.NetworkInfo(
        source="buildinghub-sim",
        extended_pan_id=t.ExtendedPanId(seed[8:16]),
        pan_id=t.PanId(1 + int.from_bytes(seed[16:18], "little") % 0xFFFE),
        nwk_update_id=t.uint8_t(0),
        nwk_manager_id=t.NWK(COORDINATOR_NWK),
        channel=t.uint8_t(CHANNEL),
        channel_mask=t.Channels[f"CHANNEL_{CHANNEL}"],
        security_level=t.uint8_t(5),
        network_key=zigpy.state.Key(
            key=t.KeyData(key[:16]), tx_counter=t.uint32_t(0), seq=t.uint8_t(0)
        ),
        tc_link_key=zigpy.state.Key(
            key=CONF_NWK_TC_LINK_KEY_DEFAULT, tx_counter=t.uint32_t(0), partner_ieee=ieee
        ),
    )
    node = zigpy.state.NodeInfo(
        nwk=t.NWK(COORDINATOR_NWK),
        ieee=ieee,
        logical_type=zdo_t.LogicalType.Coordinator,
        manufacturer=COORDINATOR_MANUFACTURER,
        model=COORDINATOR_MODEL,
        version="sim",
    )
    return network, node


class SimulatedApplication(zigpy.application.ControllerApplication):
    """The building network's coordinator, with a medium in memory as its radio.

    Create it as any zigpy application:
    ``await SimulatedApplication.new({"device": {"path": "sim://name"}, ...},
    auto_form=True)``; ``database_path`` works as with a real radio.
    """

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        self._medium: Medium | None = None
        self._endpoints: list[zdo_t.SimpleDescriptor] = []

    @property
    def medium(self) -> Medium:
        """The medium this application is connected to."""
        if self._medium is None:
            raise zigpy.exceptions.DeliveryError("the simulated radio is not connected")
        return self._medium

    async def connect(self) -> None:
        """Open the medium named by the configured path (``sim://...``)."""
        medium = get_medium(self.config[conf.CONF_DEVICE][conf.CONF_DEVICE_PATH])
        medium.attach(self)
        self._medium = medium
        self._endpoints.clear()
        await self.register_endpoints()

    async def disconnect(self) -> None:
        """Let go of the medium; its devices stay joined for the next start."""
        if self._medium is not None:
            self._medium.detach(self)
            self._medium = None

    async def load_network_info(self, *, load_devices: bool = False) -> None:
        """Read the network settings from the radio's memory."""
        network, node = self.medium.network_state or factory_network(self.medium.name)
        self.state.network_info = network.replace()
        self.state.node_info = node.replace()

    async def write_network_info(
        self, *, network_info: zigpy.state.NetworkInfo, node_info: zigpy.state.NodeInfo
    ) -> None:
        """Keep the settings in the radio's memory, which outlives the application."""
        # zigpy sets EUI64.UNKNOWN on the class after defining it, out of mypy's sight.
        if node_info.ieee == t.EUI64.UNKNOWN:  # type: ignore[attr-defined]
            # zigpy's "keep the radio's own address".
            _, factory_node = factory_network(self.medium.name)
            node_info = node_info.replace(ieee=factory_node.ieee)
        self.medium.network_state = (network_info.replace(), node_info.replace())

    async def reset_network_info(self) -> None:
        """Return the radio to its factory network."""
        self.medium.network_state = None

    async def start_network(self) -> None:
        """Bring the network up and create the coordinator's own zigpy device."""
        await self.load_network_info(load_devices=False)
        node = self.state.node_info
        coordinator = zigpy.device.Device(self, node.ieee, node.nwk)
        coordinator.node_desc = zdo_t.NodeDescriptor(
            logical_type=zdo_t.LogicalType.Coordinator,
            complex_descriptor_available=0,
            user_descriptor_available=0,
            reserved=0,
            aps_flags=0,
            frequency_band=zdo_t.NodeDescriptor.FrequencyBand.Freq2400MHz,
            mac_capability_flags=(
                zdo_t.NodeDescriptor.MACCapabilityFlags.AlternatePanCoordinator
                | zdo_t.NodeDescriptor.MACCapabilityFlags.FullFunctionDevice
                | zdo_t.NodeDescriptor.MACCapabilityFlags.MainsPowered
                | zdo_t.NodeDescriptor.MACCapabilityFlags.RxOnWhenIdle
                | zdo_t.NodeDescriptor.MACCapabilityFlags.AllocateAddress
            ),
            manufacturer_code=_COORDINATOR_MANUFACTURER_CODE,
            maximum_buffer_size=MAX_APS_PAYLOAD,
            maximum_incoming_transfer_size=MAX_APS_PAYLOAD,
            server_mask=0,
            maximum_outgoing_transfer_size=MAX_APS_PAYLOAD,
            descriptor_capability_field=zdo_t.NodeDescriptor.DescriptorCapability.NONE,
        )
        # The coordinator answers no ZDO or ZCL itself: its endpoints are known
        # from what was registered, as bellows does for the NCP.
        for descriptor in self._endpoints:
            endpoint = coordinator.add_endpoint(descriptor.endpoint)
            endpoint.profile_id = descriptor.profile
            if descriptor.profile == zigpy.profiles.zha.PROFILE_ID:
                endpoint.device_type = zigpy.profiles.zha.DeviceType(descriptor.device_type)
            for cluster_id in descriptor.input_clusters:
                endpoint.add_input_cluster(cluster_id)
            for cluster_id in descriptor.output_clusters:
                endpoint.add_output_cluster(cluster_id)
            endpoint.status = zigpy.endpoint.Status.ZDO_INIT
        coordinator.manufacturer = node.manufacturer
        coordinator.model = node.model
        self.devices[node.ieee] = coordinator

    async def send_packet(self, packet: t.ZigbeePacket) -> None:
        """Transmit a frame; returns when the medium delivered it (the APS ack)."""
        async with self._limit_concurrency(priority=packet.priority):
            await self.medium.to_device(packet)

    async def add_endpoint(self, descriptor: zdo_t.SimpleDescriptor) -> None:
        """Register an endpoint of the coordinator."""
        self._endpoints.append(descriptor)

    async def permit_ncp(self, time_s: int = 60) -> None:
        """Open the coordinator for joining: the medium admits any device, so nothing to do."""

    async def permit_with_link_key(
        self, node: t.EUI64, link_key: t.KeyData, time_s: int = 60
    ) -> None:
        """Admit a device with an install-code key: the medium needs no keys."""

    async def force_remove(self, dev: zigpy.device.Device) -> None:
        """Drop a device from the network without asking it."""
        for device in self.medium.devices:
            if device.ieee == dev.ieee:
                self.medium.leave(device)
