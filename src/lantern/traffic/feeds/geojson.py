"""A plain GeoJSON congestion layer: one feature per sensor or segment with its TTI, 0-10 index and level.

Map clients colour by ``colour`` (or by ``level_code``) without knowing the index scale; the
colours run green -> red in the order of the five DB11/T 785 levels, grey for no data.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import polars as pl

from lantern.traffic.analytics.index import DEFAULT_SCALE, IndexScale, index_expr, level_expr
from lantern.traffic.feeds.events import utc_z

LEVEL_COLOURS = {
    "free": "#2e7d32",
    "basically_free": "#9ccc65",
    "light": "#fdd835",
    "moderate": "#fb8c00",
    "severe": "#c62828",
}
NO_DATA_COLOUR = "#9e9e9e"


def _round(value: Any, digits: int) -> float | None:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    return round(float(value), digits)


def congestion_layer(
    segments: pl.DataFrame,
    *,
    id_column: str = "sensor_id",
    scale: IndexScale = DEFAULT_SCALE,
    generated_at: datetime | None = None,
) -> dict[str, Any]:
    """GeoJSON FeatureCollection of congestion per segment.

    ``segments`` has ``id_column``, ``tti`` (null = no data) and either ``lat``/``lon`` (a point
    sensor) or ``coordinates`` (a list of ``[lon, lat]``, a segment line). ``speed_kmh``,
    ``free_flow_kmh`` and ``name`` are copied when present; ``index``/``level`` are computed
    from ``tti`` with ``scale``.

    Examples
    --------
    >>> f = pl.DataFrame({"sensor_id": ["a", "b"], "lat": [34.1, 34.2], "lon": [-118.3, -118.2], "tti": [1.1, None]})
    >>> layer = congestion_layer(f)
    >>> [(x["properties"]["level"], x["properties"]["colour"]) for x in layer["features"]]
    [('畅通', '#2e7d32'), (None, '#9e9e9e')]
    """
    if "coordinates" not in segments.columns and not {"lat", "lon"} <= set(segments.columns):
        raise ValueError("segments need `coordinates` (a line) or `lat` and `lon` (a point)")
    frame = segments.with_columns(index_expr(pl.col("tti"), scale).alias("index")).with_columns(
        level_expr(pl.col("index"), scale).alias("level"),
        level_expr(pl.col("index"), scale, codes=True).alias("level_code"),
    )
    extras = [c for c in ("speed_kmh", "free_flow_kmh", "name") if c in frame.columns]
    features = []
    for row in frame.iter_rows(named=True):
        geometry: dict[str, Any]
        if row.get("coordinates") is not None:
            geometry = {"type": "LineString", "coordinates": [[float(a), float(b)] for a, b in row["coordinates"]]}
        else:
            geometry = {"type": "Point", "coordinates": [float(row["lon"]), float(row["lat"])]}
        code = row["level_code"]
        properties: dict[str, Any] = {
            "id": str(row[id_column]),
            "tti": _round(row["tti"], 3),
            "index": _round(row["index"], 2),
            "level": row["level"],
            "level_code": code,
            "colour": LEVEL_COLOURS.get(code, NO_DATA_COLOUR) if code else NO_DATA_COLOUR,
        }
        for column in extras:
            value = row[column]
            properties[column] = _round(value, 1) if column != "name" else value
        features.append({"type": "Feature", "id": str(row[id_column]), "geometry": geometry, "properties": properties})
    layer: dict[str, Any] = {"type": "FeatureCollection", "features": features}
    if generated_at is not None:
        layer["generated_at"] = utc_z(generated_at)  # a GeoJSON "foreign member" (RFC 7946 section 6.1)
    return layer
