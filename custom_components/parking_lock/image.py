"""The car-park map: the plan with booked bays marked and the way to the latest one (P12)."""

from __future__ import annotations

from typing import Any

from homeassistant.components.image import ImageEntity
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from buildinghub.parking.car_park_map import render_svg

from .coordinator import ParkingLockConfigEntry
from .hub import ParkingHub

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ParkingLockConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """One map per car park (config entry)."""
    async_add_entities([CarParkMap(hass, entry.runtime_data.hub)])


class CarParkMap(ImageEntity):
    """The car park's plan as an SVG image."""

    _attr_has_entity_name = True
    _attr_translation_key = "car_park_map"
    _attr_content_type = "image/svg+xml"

    def __init__(self, hass: HomeAssistant, hub: ParkingHub) -> None:
        """Draw ``hub``'s car park."""
        super().__init__(hass)
        self.hub = hub
        self._attr_unique_id = f"{hub.entry.entry_id}_map"
        self._attr_image_last_updated = dt_util.utcnow()

    async def async_image(self) -> bytes | None:
        """The plan, or nothing until the manager has given one."""
        layout = self.hub.layout
        if layout is None:
            return None
        return render_svg(layout, self.hub.marked_bays(), self.hub.focus_bay())

    @property
    def available(self) -> bool:
        """Only once there is a plan to show."""
        return self.hub.layout is not None

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Where the latest booked bay is and how to get there."""
        layout, focus = self.hub.layout, self.hub.focus_bay()
        place = layout.place(focus) if layout and focus else None
        if layout is None or place is None:
            return {}
        return {
            "bay": place.label,
            "coordinates": [place.x, place.y],
            "directions": place.directions,
            "route": [list(point) for point in layout.route_to(place.bay)],
        }

    async def async_added_to_hass(self) -> None:
        """Redraw when bookings, keys or the plan change."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(self.hass, self.hub.signal("bookings"), self._redraw)
        )

    @callback
    def _redraw(self) -> None:
        self._attr_image_last_updated = dt_util.utcnow()
        self.async_write_ha_state()
