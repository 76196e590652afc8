"""Attribute reports of a device, as plain callbacks on zigpy's cluster events."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from zigpy.zcl import AttributeReportedEvent, Cluster
from zigpy.zcl.foundation import ZCLAttributeDef


def on_report(
    cluster: Cluster, attribute: ZCLAttributeDef, callback: Callable[[Any], None]
) -> Callable[[], None]:
    """Call ``callback`` with the value each time the device reports ``attribute``.

    Only ZCL Report Attributes frames count, not the hub's own reads. Returns the
    function that stops it.
    """

    def heard(event: AttributeReportedEvent) -> None:
        if event.attribute_id == attribute.id:
            callback(event.value)

    unsubscribe: Callable[[], None] = cluster.on_event(AttributeReportedEvent.event_type, heard)
    return unsubscribe
