"""The building Zigbee network: the zigpy application owner, our cluster, chunked transfer."""

from .errors import DeviceUnreachable, RadioError, RadioUnavailable
from .network import BuildingNetwork, NetworkRegistry, probe_radio

__all__ = [
    "BuildingNetwork",
    "DeviceUnreachable",
    "NetworkRegistry",
    "RadioError",
    "RadioUnavailable",
    "probe_radio",
]
