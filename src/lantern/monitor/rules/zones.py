"""Geofences (polygon, circle, corridor) and declared routes, tested in local metres.

A position exactly on a fence's edge counts as inside: polygons use ``intersects`` (boundary
included) and circles and corridors compare distances with ``<=``. Geometry is projected once
per engine with the city's azimuthal equidistant projection, where a metre is a metre.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl
import shapely
from shapely.geometry.base import BaseGeometry

from lantern.kit.geo import LocalProjection
from lantern.monitor.rules.schema import conform, no_alerts

VID = "vehicle_id"
SHAPES = ("polygon", "circle", "corridor")
EDGE_TOLERANCE_M = 1e-6  # float noise on an edge must not flip inside to outside
ALERT_ON = ("enter", "exit", "both")


@dataclass(frozen=True)
class Fence:
    """A geofence in WGS84: polygon, circle (centre point + radius) or corridor (line + width)."""

    id: str
    name: str
    shape: str
    geometry: BaseGeometry
    size_m: float = 0.0  # circle radius, or corridor full width
    alert_on: str = "enter"
    classes: frozenset[str] = field(default_factory=frozenset)  # empty: every class
    severity: str = "warning"

    def __post_init__(self) -> None:
        if self.shape not in SHAPES:
            raise ValueError(f"fence {self.id}: shape {self.shape!r} is not one of {', '.join(SHAPES)}")
        if self.alert_on not in ALERT_ON:
            raise ValueError(f"fence {self.id}: alert_on {self.alert_on!r} is not one of {', '.join(ALERT_ON)}")
        if self.shape != "polygon" and self.size_m <= 0:
            raise ValueError(f"fence {self.id}: a {self.shape} needs a positive size in metres")


@dataclass(frozen=True)
class Route:
    """A vehicle's declared route: a line and the corridor width around it."""

    vehicle_id: str
    geometry: BaseGeometry
    width_m: float


def project(geometry: BaseGeometry, projection: LocalProjection) -> BaseGeometry:
    """WGS84 (x=lon, y=lat) geometry to local metres."""

    def forward(coords: np.ndarray) -> np.ndarray:
        x, y = projection.to_xy(coords[:, 1], coords[:, 0])
        return np.column_stack([x, y])

    return shapely.transform(geometry, forward)


# Margin of a fence's lat/lon box beyond its reach: the box is taken from a buffered outline,
# and a straight edge in metres is slightly curved in degrees.
LATLON_BOX_PAD_M = 50.0


@dataclass(frozen=True)
class CompiledFence:
    fence: Fence
    local: BaseGeometry
    bounds: tuple[float, float, float, float]
    latlon_box: tuple[float, float, float, float]  # min lat, max lat, min lon, max lon; padded

    @classmethod
    def build(cls, fence: Fence, projection: LocalProjection) -> CompiledFence:
        local = project(fence.geometry, projection)
        reach = fence.size_m if fence.shape == "circle" else fence.size_m / 2
        shapely.prepare(local)
        minx, miny, maxx, maxy = local.bounds
        outline = np.asarray(local.buffer(reach + LATLON_BOX_PAD_M, quad_segs=16).exterior.coords)
        lat, lon = projection.to_latlon(outline[:, 0], outline[:, 1])
        box = (float(lat.min()), float(lat.max()), float(lon.min()), float(lon.max()))
        return cls(fence, local, (minx - reach, miny - reach, maxx + reach, maxy + reach), box)

    def may_hold(self, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        """Boolean per point: inside the padded lat/lon box (False means surely outside)."""
        south, north, west, east = self.latlon_box
        return (lat >= south) & (lat <= north) & (lon >= west) & (lon <= east)

    def contains(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Boolean per point: inside or on the edge."""
        minx, miny, maxx, maxy = self.bounds
        near = (x >= minx - 1) & (x <= maxx + 1) & (y >= miny - 1) & (y <= maxy + 1)
        out = np.zeros(len(x), dtype=bool)
        if not near.any():
            return out
        xs, ys = x[near], y[near]
        shape = self.fence.shape
        if shape == "polygon":
            hit = shapely.intersects_xy(self.local, xs, ys)
        elif shape == "circle":
            centre = self.local.centroid
            hit = np.hypot(xs - centre.x, ys - centre.y) <= self.fence.size_m + EDGE_TOLERANCE_M
        else:
            hit = shapely.distance(self.local, shapely.points(xs, ys)) <= self.fence.size_m / 2 + EDGE_TOLERANCE_M
        out[near] = hit
        return out


def local_xy(
    lat: np.ndarray,
    lon: np.ndarray,
    vix: np.ndarray,
    projection: LocalProjection,
    fences: list[CompiledFence],
    route_vehicles: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Local metres of the points a fence or a declared route may concern; NaN for the others.

    Projecting is the dearest step of the fence rules (pyproj: ~0.35 s for a million points);
    a point outside every fence's padded lat/lon box cannot be inside a fence, and NaN fails
    every bounds test in :meth:`CompiledFence.contains`. Route vehicles' points are all needed.
    """
    need = np.isin(vix, route_vehicles) if route_vehicles.size else np.zeros(len(lat), dtype=bool)
    for fence in fences:
        need |= fence.may_hold(lat, lon)
    x = np.full(len(lat), np.nan)
    y = np.full(len(lat), np.nan)
    if need.any():
        x[need], y[need] = projection.to_xy(lat[need], lon[need])
    return x, y


def fence_transitions(
    fixes: pl.DataFrame,
    x: np.ndarray,
    y: np.ndarray,
    fences: list[CompiledFence],
    inside: dict[str, np.ndarray],
    n_vehicles: int,
) -> tuple[pl.DataFrame, dict[str, np.ndarray]]:
    """(alerts, new membership) per fence; membership maps fence id -> vehicle indices inside it."""
    if not fences or fixes.is_empty():
        return no_alerts(), {c.fence.id: inside.get(c.fence.id, np.empty(0, dtype=np.int64)) for c in fences}
    vix = fixes["vix"].to_numpy()
    start = fixes["start"].to_numpy()
    end = fixes["end"].to_numpy()
    classes = fixes["vehicle_class"].to_numpy()
    alerts = []
    membership = {}
    for compiled in fences:
        fence = compiled.fence
        was = np.zeros(n_vehicles, dtype=bool)
        was[inside.get(fence.id, np.empty(0, dtype=np.int64))] = True
        now = compiled.contains(x, y)
        before = np.empty_like(now)
        before[1:] = now[:-1]
        before[start] = was[vix[start]]
        applies = np.isin(classes, sorted(fence.classes)) if fence.classes else np.ones(len(now), dtype=bool)
        wanted = []
        if fence.alert_on in ("enter", "both"):
            wanted.append(("geofence_enter", now & ~before & applies, "entered"))
        if fence.alert_on in ("exit", "both"):
            wanted.append(("geofence_exit", ~now & before & applies, "left"))
        for kind, mask, verb in wanted:
            if mask.any():
                alerts.append(
                    fixes.filter(pl.Series(mask)).select(
                        VID,
                        kind=pl.lit(kind),
                        time="time",
                        key_time="time",
                        ref=pl.lit(fence.id),
                        lat="lat",
                        lon="lon",
                        value=pl.lit(None, pl.Float64),
                        detail=pl.lit(f"{verb} {fence.name}"),
                    )
                )
        was[vix[end]] = now[end]
        membership[fence.id] = np.flatnonzero(was)
    return (pl.concat([conform(a) for a in alerts]) if alerts else no_alerts()), membership


def route_distance(
    fixes: pl.DataFrame, x: np.ndarray, y: np.ndarray, routes: dict[int, tuple[BaseGeometry, float]]
) -> pl.DataFrame:
    """Adds ``route_distance_m`` and ``off_route`` (null for vehicles without a declared route)."""
    if not routes:
        return fixes.with_columns(route_distance_m=pl.lit(None, pl.Float64), off_route=pl.lit(None, pl.Boolean))
    vix = fixes["vix"].to_numpy()
    distance = np.full(len(vix), np.nan)
    half_width = np.full(len(vix), np.nan)
    for vehicle, (line, width) in routes.items():
        rows = np.flatnonzero(vix == vehicle)
        if rows.size:
            distance[rows] = shapely.distance(line, shapely.points(x[rows], y[rows]))
            half_width[rows] = width / 2
    off = pl.Series("off_route", distance > half_width + EDGE_TOLERANCE_M).scatter(
        np.flatnonzero(np.isnan(distance)), None
    )
    return fixes.with_columns(pl.Series("route_distance_m", distance, nan_to_null=True), off)
