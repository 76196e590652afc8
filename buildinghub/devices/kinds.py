"""Which of our devices a Zigbee device is, from the clusters of its first endpoint.

Every Building Hub device carries our manufacturer cluster; the standard clusters beside it
say what it is. A device without our cluster is ours to manage only if it is a standard
door lock (the ZCL Door Lock cluster alone). A parking bay's lock is a door lock with a
vehicle occupancy sensor, so the door-lock rule must exclude it, or Rental Lock would adopt
every bay on a shared radio. One rule for all integrations keeps them from claiming each
other's devices.
"""

from collections.abc import Collection
from enum import StrEnum

import zigpy.device
from zigpy.zcl.clusters.closures import DoorLock
from zigpy.zcl.clusters.measurement import OccupancySensing
from zigpy.zcl.clusters.smartenergy import Metering

from buildinghub.radio.cluster import CLUSTER_ID

ENDPOINT_ID = 1


class DeviceKind(StrEnum):
    """The kinds of device the integrations manage."""

    DOOR_LOCK = "door_lock"
    PARKING_LOCK = "parking_lock"
    METER = "meter"


def kind_of_clusters(clusters: Collection[int]) -> DeviceKind | None:
    """The kind of device with these input clusters, or None if it is not one of ours."""
    if CLUSTER_ID not in clusters:
        # A standard ZCL door lock (SPEC R15): Rental Lock manages it through the Door
        # Lock cluster's own commands.
        return DeviceKind.DOOR_LOCK if DoorLock.cluster_id in clusters else None
    if DoorLock.cluster_id in clusters:
        if OccupancySensing.cluster_id in clusters:
            return DeviceKind.PARKING_LOCK
        return DeviceKind.DOOR_LOCK
    if Metering.cluster_id in clusters:
        return DeviceKind.METER
    return None


def device_kind(device: zigpy.device.Device) -> DeviceKind | None:
    """The kind of an initialised device, or None (not ready yet, or not ours)."""
    if not device.is_initialized:
        return None
    endpoint = device.endpoints.get(ENDPOINT_ID)
    clusters = getattr(endpoint, "in_clusters", None)
    return None if clusters is None else kind_of_clusters(clusters)
