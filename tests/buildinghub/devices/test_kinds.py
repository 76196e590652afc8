"""Which of our devices a Zigbee device is, from its clusters."""

import pytest
from zigpy.zcl.clusters.closures import DoorLock
from zigpy.zcl.clusters.general import Basic
from zigpy.zcl.clusters.measurement import OccupancySensing
from zigpy.zcl.clusters.smartenergy import Metering

from buildinghub.devices.kinds import DeviceKind, kind_of_clusters
from buildinghub.radio.cluster import CLUSTER_ID

DOOR = DoorLock.cluster_id
OCCUPANCY = OccupancySensing.cluster_id
METERING = Metering.cluster_id


@pytest.mark.parametrize(
    ("clusters", "kind"),
    [
        ({Basic.cluster_id, CLUSTER_ID, DOOR}, DeviceKind.DOOR_LOCK),
        ({Basic.cluster_id, CLUSTER_ID, DOOR, OCCUPANCY}, DeviceKind.PARKING_LOCK),
        ({Basic.cluster_id, CLUSTER_ID, METERING}, DeviceKind.METER),
        ({Basic.cluster_id, DOOR}, DeviceKind.DOOR_LOCK),  # a standard ZCL door lock (R15)
        ({Basic.cluster_id, METERING}, None),  # somebody else's meter
        ({CLUSTER_ID}, None),  # ours, but nothing says what it is
    ],
)
def test_a_device_is_of_the_kind_its_clusters_say(
    clusters: set[int], kind: DeviceKind | None
) -> None:
    assert kind_of_clusters(clusters) is kind
