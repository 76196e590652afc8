"""The car-park map: a plan read strictly, a route from the entrance, an SVG with the bay marked."""

import xml.etree.ElementTree as ET

import pytest

from buildinghub.parking.car_park_map import CarParkLayout, LayoutError, render_svg

PLAN = {
    "name": "Level -1",
    "width": 40,
    "length": 30,
    "entrance": [0, 15],
    "aisle": [[5, 15], [20, 15], [35, 15]],
    "bays": [
        {"bay": "bay-01", "label": "P1", "x": 20, "y": 10, "directions": "Second on the left"},
        {"bay": "bay-02", "label": "P2", "x": 35, "y": 20, "directions": "At the end, right"},
    ],
}


def test_the_route_follows_the_aisle_to_the_bay() -> None:
    layout = CarParkLayout.from_json(PLAN)

    assert layout.route_to("bay-01") == [(0, 15), (5, 15), (20, 15), (20, 10)]
    assert layout.route_to("bay-02")[-2:] == [(35, 15), (35, 20)]


def test_the_svg_marks_the_bay_and_draws_the_route() -> None:
    layout = CarParkLayout.from_json(PLAN)

    svg = ET.fromstring(render_svg(layout, {"bay-01"}, "bay-01"))

    ns = "{http://www.w3.org/2000/svg}"
    rects = {r.get("id"): r.get("fill") for r in svg.iter(f"{ns}rect") if r.get("id")}
    assert rects == {"bay-bay-01": "#e4572e", "bay-bay-02": "#ffffff"}
    route = next(svg.iter(f"{ns}polyline"))
    assert route.get("points") == "0,150 50,150 200,150 200,100"


def test_a_plan_round_trips() -> None:
    layout = CarParkLayout.from_json(PLAN)

    assert CarParkLayout.from_json(layout.to_json()) == layout


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"width": -1}, "side"),
        ({"entrance": [50, 15]}, "outside"),
        ({"bays": []}, "1 to"),
        ({"bays": [PLAN["bays"][0], PLAN["bays"][0]]}, "twice"),  # type: ignore[index]
        ({"entrance": "front"}, "point"),
    ],
)
def test_a_bad_plan_is_refused(change: dict[str, object], why: str) -> None:
    with pytest.raises(LayoutError, match=why):
        CarParkLayout.from_json({**PLAN, **change})


def test_a_route_to_a_bay_not_on_the_plan_is_refused() -> None:
    with pytest.raises(LayoutError, match="not on the plan"):
        CarParkLayout.from_json(PLAN).route_to("bay-99")
