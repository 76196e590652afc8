"""Simulated building network: an in-memory radio and devices that speak real Zigbee."""

from .application import SimulatedApplication
from .device import CommandRefused, VirtualDevice, VirtualEndpoint
from .medium import MAX_APS_PAYLOAD, SIM_SCHEME, Medium, drop_medium, get_medium

__all__ = [
    "MAX_APS_PAYLOAD",
    "SIM_SCHEME",
    "CommandRefused",
    "Medium",
    "SimulatedApplication",
    "VirtualDevice",
    "VirtualEndpoint",
    "drop_medium",
    "get_medium",
]
