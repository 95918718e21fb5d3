"""Strategic deconfliction of a flight declaration: geozones and other approved flights.

A 4D volume is a horizontal footprint (a polygon, or a corridor: a line and a width), an altitude
band above ground and a time window, as in ASTM F3548's Volume4D. Two volumes conflict when their
footprints intersect (touching counts), their altitude bands overlap (a shared boundary does not:
60-80 m and 80-100 m are separated) and their times overlap. A police mission may be approved
inside a zone that asks for authorisation, never inside a prohibited one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shapely.geometry.base import BaseGeometry

from lantern.kit.geo import LocalProjection
from lantern.monitor.rules.zones import project

MAX_CEILING_M = 500.0
MAX_DURATION_H = 24


@dataclass(frozen=True)
class Volume:
    shape: str  # polygon | corridor
    geometry: BaseGeometry  # WGS84 (x = lon, y = lat)
    width_m: float
    floor_m: float
    ceiling_m: float
    starts_at: datetime
    ends_at: datetime

    def footprint(self, projection: LocalProjection) -> BaseGeometry:
        """The area flown over, in local metres (a corridor is buffered by half its width)."""
        local = project(self.geometry, projection)
        return local.buffer(self.width_m / 2, quad_segs=8) if self.shape == "corridor" else local


@dataclass(frozen=True)
class Zone:
    id: str
    name: str
    restriction: str  # prohibited | authorisation
    geometry: BaseGeometry
    lower_m: float
    upper_m: float
    starts_at: datetime | None
    ends_at: datetime | None


def problems(volume: Volume) -> list[str]:
    """What is wrong with the volume itself, before any conflict check."""
    found = []
    if volume.shape not in ("polygon", "corridor"):
        found.append(f"shape {volume.shape!r} is not polygon or corridor")
    if volume.shape == "corridor" and volume.width_m <= 0:
        found.append("a corridor needs a width above 0 m")
    if not volume.floor_m < volume.ceiling_m:
        found.append(f"floor {volume.floor_m:g} m must be below ceiling {volume.ceiling_m:g} m")
    if volume.ceiling_m > MAX_CEILING_M:
        found.append(f"ceiling {volume.ceiling_m:g} m is above {MAX_CEILING_M:g} m")
    if not volume.starts_at < volume.ends_at:
        found.append("the flight must end after it starts")
    elif (volume.ends_at - volume.starts_at).total_seconds() > MAX_DURATION_H * 3600:
        found.append(f"a declaration may cover at most {MAX_DURATION_H} h")
    if not volume.geometry.is_valid:
        found.append("the area crosses itself")
    return found


def overlaps_in_time(
    a_start: datetime | None, a_end: datetime | None, b_start: datetime | None, b_end: datetime | None
) -> bool:
    """Half-open windows [start, end); None is unbounded."""
    return (a_end is None or b_start is None or b_start < a_end) and (
        b_end is None or a_start is None or a_start < b_end
    )


def overlaps_in_altitude(a_low: float, a_high: float, b_low: float, b_high: float) -> bool:
    return a_low < b_high and b_low < a_high


def conflicts(
    volume: Volume, zones: list[Zone], approved: list[tuple[str, Volume]], projection: LocalProjection, police: bool
) -> list[str]:
    """Reasons the volume cannot be approved (empty: it can)."""
    area = volume.footprint(projection)
    reasons = []
    for zone in zones:
        if police and zone.restriction == "authorisation":
            continue
        if (
            overlaps_in_time(volume.starts_at, volume.ends_at, zone.starts_at, zone.ends_at)
            and overlaps_in_altitude(volume.floor_m, volume.ceiling_m, zone.lower_m, zone.upper_m)
            and area.intersects(project(zone.geometry, projection))
        ):
            reasons.append(f"crosses geozone {zone.name} ({zone.restriction}, {zone.lower_m:g}-{zone.upper_m:g} m)")
    for other_id, other in approved:
        if (
            overlaps_in_time(volume.starts_at, volume.ends_at, other.starts_at, other.ends_at)
            and overlaps_in_altitude(volume.floor_m, volume.ceiling_m, other.floor_m, other.ceiling_m)
            and area.intersects(other.footprint(projection))
        ):
            reasons.append(
                f"overlaps approved flight {other_id} ({other.floor_m:g}-{other.ceiling_m:g} m, "
                f"{other.starts_at:%H:%M}-{other.ends_at:%H:%M} UTC)"
            )
    return reasons
