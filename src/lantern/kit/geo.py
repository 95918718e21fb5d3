"""Geographic helpers: distances in metres, a local metric projection, H3 cells."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import h3
import numpy as np
import numpy.typing as npt
import polars as pl
import polars_h3
from pyproj import Transformer

EARTH_RADIUS_M = 6_371_008.8  # mean Earth radius (IUGG), metres

FloatArray = npt.NDArray[np.float64]


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two WGS84 points."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def haversine_m_array(lat1: FloatArray, lon1: FloatArray, lat2: FloatArray, lon2: FloatArray) -> FloatArray:
    """Vectorised great-circle distance in metres."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(lon2 - lon1)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    result: FloatArray = 2 * EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(a)))
    return result


@lru_cache(maxsize=64)
def _aeqd(lat0: float, lon0: float) -> Transformer:
    # Building a transformer costs ~5 ms; projecting a point ~1 µs. Cache per centre.
    return Transformer.from_crs(
        "EPSG:4326", f"+proj=aeqd +lat_0={lat0} +lon_0={lon0} +datum=WGS84 +units=m", always_xy=True
    )


@dataclass(frozen=True)
class LocalProjection:
    """Azimuthal equidistant projection centred on a city: metres, distortion < 0.1% within 50 km."""

    lat0: float
    lon0: float

    def _forward(self) -> Transformer:
        return _aeqd(self.lat0, self.lon0)

    def to_xy(self, lat: FloatArray, lon: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Project WGS84 lat/lon arrays to local x/y metres."""
        x, y = self._forward().transform(np.asarray(lon), np.asarray(lat))
        return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)

    def to_latlon(self, x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Inverse of :meth:`to_xy`."""
        lon, lat = self._forward().transform(np.asarray(x), np.asarray(y), direction="INVERSE")
        return np.asarray(lat, dtype=np.float64), np.asarray(lon, dtype=np.float64)


def h3_cell(lat: float, lon: float, resolution: int) -> str:
    """H3 cell id (hex string) of a point."""
    return str(h3.latlng_to_cell(lat, lon, resolution))


def h3_cells(lat: FloatArray, lon: FloatArray, resolution: int) -> pl.Series:
    """H3 cell ids (hex strings) for arrays of points: 0.3 s per million (1.1 s with h3-py)."""
    frame = pl.DataFrame({"lat": np.asarray(lat, dtype=np.float64), "lon": np.asarray(lon, dtype=np.float64)})
    cells = frame.select(polars_h3.latlng_to_cell("lat", "lon", resolution, return_dtype=pl.String).alias("h3"))
    return cells["h3"]


def valid_latlon(lat: float, lon: float) -> bool:
    """True when the pair is a finite WGS84 coordinate."""
    return math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180
