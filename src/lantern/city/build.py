"""A city being built, independent of where it came from (an OSM extract or a generated grid)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Free-flow speeds by OSM road class when a way has no usable maxspeed tag (km/h); urban values.
DEFAULT_SPEED_KMH = {
    "motorway": 100.0,
    "trunk": 80.0,
    "primary": 60.0,
    "secondary": 50.0,
    "tertiary": 40.0,
    "unclassified": 40.0,
    "residential": 30.0,
    "living_street": 10.0,
    "service": 20.0,
    "road": 30.0,
}
LINK_FACTOR = 0.7  # *_link ramps are driven well below the road they join
# Zone-style maxspeed values such as "FI:urban" or "RU:rural".
ZONE_SPEEDS = {"urban": 50.0, "rural": 80.0, "motorway": 120.0, "living_street": 20.0, "walk": 10.0}
_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(mph|km/h|kmh)?\s*$")


def free_flow_speed(road_class: str, maxspeed: str | None) -> float:
    """Free-flow speed (km/h) from a maxspeed tag, else the class default."""
    if maxspeed:
        first = str(maxspeed).split(";")[0]
        match = _NUMBER.match(first)
        if match:
            value = float(match.group(1))
            return value * 1.609344 if match.group(2) == "mph" else value
        zone = first.split(":")[-1].strip().lower()
        if zone in ZONE_SPEEDS:
            return ZONE_SPEEDS[zone]
    base_class = road_class.removesuffix("_link")
    speed = DEFAULT_SPEED_KMH.get(base_class, 30.0)
    return speed * LINK_FACTOR if road_class.endswith("_link") else speed


@dataclass
class NodeRow:
    id: int
    lat: float
    lon: float
    osm_id: int | None = None


@dataclass
class EdgeRow:
    source_id: int
    target_id: int
    length_m: float
    road_class: str
    speed_kmh: float
    name: str
    coordinates: list[tuple[float, float]]  # (lon, lat)
    osm_way_id: int | None = None


@dataclass
class AddressRow:
    street: str
    housenumber: str
    lat: float
    lon: float
    postcode: str = ""
    source: str = "osm"


@dataclass
class DistrictRow:
    code: str
    name: str
    geojson: dict  # type: ignore[type-arg]


@dataclass
class CityBuild:
    """Everything needed to (re)create the city tables."""

    name: str
    source: str
    attribution: str
    nodes: list[NodeRow] = field(default_factory=list)
    edges: list[EdgeRow] = field(default_factory=list)
    addresses: list[AddressRow] = field(default_factory=list)
    districts: list[DistrictRow] = field(default_factory=list)

    def bbox(self) -> tuple[float, float, float, float]:
        """(min_lat, min_lon, max_lat, max_lon) of the road nodes."""
        lats = [n.lat for n in self.nodes]
        lons = [n.lon for n in self.nodes]
        return min(lats), min(lons), max(lats), max(lons)
