"""In-memory spatial indexes over the city model (shapely STRtree), vectorised for bulk work."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from shapely import STRtree
from shapely.geometry import shape

from lantern.kit.geo import LocalProjection


@dataclass(frozen=True)
class DistrictShape:
    id: int
    code: str
    name: str
    geojson: str


class DistrictIndex:
    """Point-in-district lookup: about 1 s per 10 million points for a handful of districts."""

    def __init__(self, districts: Sequence[DistrictShape]) -> None:
        self.districts = list(districts)
        self.geometries = [shape(json.loads(d.geojson)) for d in self.districts]
        for geometry in self.geometries:
            shapely.prepare(geometry)
        self.tree = STRtree(self.geometries) if self.geometries else None

    def locate(self, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
        """District id for each point, or -1 outside every district."""
        result = np.full(len(lats), -1, dtype=np.int64)
        if self.tree is None or len(lats) == 0:
            return result
        points = shapely.points(np.asarray(lons, dtype=float), np.asarray(lats, dtype=float))
        point_idx, geom_idx = self.tree.query(points, predicate="intersects")
        # A point on a shared border belongs to the first district found; later ones do not override.
        order = np.argsort(point_idx, kind="stable")
        point_idx, geom_idx = point_idx[order], geom_idx[order]
        first = np.unique(point_idx, return_index=True)[1]
        ids = np.array([d.id for d in self.districts], dtype=np.int64)
        result[point_idx[first]] = ids[geom_idx[first]]
        return result

    def locate_one(self, lat: float, lon: float) -> DistrictShape | None:
        """The district containing one point, if any."""
        found = int(self.locate(np.array([lat]), np.array([lon]))[0])
        return next((d for d in self.districts if d.id == found), None)


class NearestPointIndex:
    """Nearest-neighbour search over points in a local metric projection."""

    def __init__(self, lats: np.ndarray, lons: np.ndarray) -> None:
        if len(lats) == 0:
            raise ValueError("cannot index an empty set of points")
        self.projection = LocalProjection(float(np.mean(lats)), float(np.mean(lons)))
        x, y = self.projection.to_xy(np.asarray(lats, dtype=float), np.asarray(lons, dtype=float))
        self.tree = STRtree(shapely.points(x, y))

    def nearest(self, lat: float, lon: float) -> tuple[int, float]:
        """(position of the nearest indexed point, distance in metres)."""
        x, y = self.projection.to_xy(np.array([lat]), np.array([lon]))
        point = shapely.points(x[0], y[0])
        index = int(self.tree.nearest(point))
        distance = float(shapely.distance(point, self.tree.geometries[index]))
        return index, distance
