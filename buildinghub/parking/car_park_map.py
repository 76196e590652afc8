"""The car-park map: bays, the entrance, the aisle, a marked bay and the way to it (SPEC P12).

The layout is data the car park's manager gives once (metres from the car park's corner);
render_svg draws it as an SVG image, with the chosen bays marked and the route from the
entrance along the aisle to one of them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

type Point = tuple[float, float]
MAX_BAYS = 500
MAX_SIZE_M = 2000.0


class LayoutError(ValueError):
    """The layout is not usable; the message says which part."""


@dataclass(frozen=True, slots=True, kw_only=True)
class BayPlace:
    """Where one bay is, and how to find it from the entrance in words."""

    bay: str
    label: str
    x: float
    y: float
    directions: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CarParkLayout:
    """The plan of one car park."""

    name: str
    width: float
    length: float
    entrance: Point
    aisle: tuple[Point, ...]
    bays: tuple[BayPlace, ...]

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CarParkLayout:
        """Read a layout strictly: every number inside the plan, every bay named once."""
        try:
            width, length = _size(data["width"]), _size(data["length"])
            bays = tuple(
                BayPlace(
                    bay=str(item["bay"]),
                    label=str(item.get("label", item["bay"])),
                    x=float(item["x"]),
                    y=float(item["y"]),
                    directions=str(item.get("directions", "")),
                )
                for item in data["bays"]
            )
            layout = cls(
                name=str(data.get("name", "Car park")),
                width=width,
                length=length,
                entrance=_point(data["entrance"]),
                aisle=tuple(_point(p) for p in data.get("aisle", [])),
                bays=bays,
            )
        except (KeyError, TypeError, ValueError) as err:
            raise LayoutError(f"the layout is missing or has a wrong value: {err}") from None
        layout._check()
        return layout

    def to_json(self) -> dict[str, Any]:
        """What from_json reads."""
        return {
            "name": self.name,
            "width": self.width,
            "length": self.length,
            "entrance": list(self.entrance),
            "aisle": [list(p) for p in self.aisle],
            "bays": [
                {"bay": b.bay, "label": b.label, "x": b.x, "y": b.y, "directions": b.directions}
                for b in self.bays
            ],
        }

    def place(self, bay: str) -> BayPlace | None:
        """Where a bay is, if it is on this plan."""
        return next((b for b in self.bays if b.bay == bay), None)

    def route_to(self, bay: str) -> list[Point]:
        """From the entrance along the aisle to the aisle point nearest the bay, then the bay."""
        place = self.place(bay)
        if place is None:
            raise LayoutError(f"{bay} is not on the plan of {self.name}")
        target = (place.x, place.y)
        route = [self.entrance]
        if self.aisle:
            nearest = min(range(len(self.aisle)), key=lambda i: math.dist(self.aisle[i], target))
            route += list(self.aisle[: nearest + 1])
        return [*route, target]

    def _check(self) -> None:
        if not 1 <= len(self.bays) <= MAX_BAYS:
            raise LayoutError(f"a plan has 1 to {MAX_BAYS} bays")
        names = [b.bay for b in self.bays]
        if len(set(names)) != len(names):
            raise LayoutError("a bay appears twice on the plan")
        for point in (self.entrance, *self.aisle, *((b.x, b.y) for b in self.bays)):
            if not (0 <= point[0] <= self.width and 0 <= point[1] <= self.length):
                raise LayoutError(f"point {point} is outside the {self.width}x{self.length} plan")


def render_svg(layout: CarParkLayout, marked: Iterable[str], route_to: str | None) -> bytes:
    """The plan as SVG: bays (marked ones filled), the entrance, and the route if asked."""
    scale = 10.0
    marked_set = set(marked)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {layout.width * scale:g} '
        f'{layout.length * scale:g}" role="img" aria-label="{escape(layout.name)}">',
        f'<rect width="{layout.width * scale:g}" height="{layout.length * scale:g}" '
        f'fill="#f4f4f4" stroke="#555"/>',
    ]
    for place in layout.bays:
        fill = "#e4572e" if place.bay in marked_set else "#ffffff"
        parts.append(
            f'<rect id="bay-{escape(place.bay)}" x="{(place.x - 1.25) * scale:g}" '
            f'y="{(place.y - 2.5) * scale:g}" width="{2.5 * scale:g}" height="{5 * scale:g}" '
            f'fill="{fill}" stroke="#333"/>'
            f'<text x="{place.x * scale:g}" y="{place.y * scale:g}" font-size="{scale:g}" '
            f'text-anchor="middle">{escape(place.label)}</text>'
        )
    entrance_x, entrance_y = (v * scale for v in layout.entrance)
    parts.append(
        f'<circle id="entrance" cx="{entrance_x:g}" cy="{entrance_y:g}" r="{scale:g}" '
        f'fill="#2e86ab"/>'
    )
    if route_to is not None:
        points = " ".join(f"{x * scale:g},{y * scale:g}" for x, y in layout.route_to(route_to))
        parts.append(
            f'<polyline id="route" points="{points}" fill="none" stroke="#2e86ab" '
            f'stroke-width="{scale / 3:g}" stroke-dasharray="{scale:g}"/>'
        )
    parts.append("</svg>")
    return "".join(parts).encode()


def _size(value: object) -> float:
    size = float(value)  # type: ignore[arg-type]
    if not 0 < size <= MAX_SIZE_M:
        raise ValueError(f"a plan's side must be 0 to {MAX_SIZE_M:g} m, got {size}")
    return size


def _point(value: object) -> Point:
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise ValueError(f"a point is [x, y], got {value!r}")
    return float(value[0]), float(value[1])
