"""Road events as the feed builders see them: what happened, where, when, and to which lanes."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

EventKind = Literal["roadwork", "closure", "accident", "incident"]
EVENT_KINDS: tuple[str, ...] = ("roadwork", "closure", "accident", "incident")
# WZDx 4.2 Direction enum (Direction.json).
DIRECTIONS = (
    "northbound",
    "eastbound",
    "southbound",
    "westbound",
    "undefined",
    "unknown",
    "inner-loop",
    "outer-loop",
)


def _check_position(position: Any, where: str) -> tuple[float, float]:
    if not isinstance(position, (list, tuple)) or len(position) < 2:
        raise ValueError(f"{where}: a position is [lon, lat], got {position!r}")
    try:
        lon, lat = float(position[0]), float(position[1])
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{where}: a position is two numbers [lon, lat], got {position!r}") from exc
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        raise ValueError(
            f"{where}: [{lon}, {lat}] is not a WGS84 [lon, lat] pair (lon in [-180, 180], lat in [-90, 90])"
        )
    return lon, lat


@dataclass(frozen=True)
class RoadEvent:
    """One road event. ``geometry`` is a GeoJSON Point or LineString in WGS84 ``[lon, lat]``.

    ``lanes_closed`` lists lane positions counted from the left-most lane (1), as WZDx does;
    ``lanes_total`` is the number of lanes in the affected direction (``None``: unknown).
    Times are timezone-aware; ``end`` may be unknown.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> e = RoadEvent(id="ev-1", kind="closure", geometry={"type": "Point", "coordinates": [116.3, 39.9]},
    ...               start=datetime(2026, 3, 2, 1, tzinfo=timezone.utc), road_names=("Chang'an Ave",))
    >>> e.positions()
    [(116.3, 39.9)]
    """

    id: str
    kind: EventKind
    geometry: Mapping[str, Any]
    start: datetime
    end: datetime | None = None
    description: str = ""
    road_names: tuple[str, ...] = ()
    direction: str = "unknown"
    lanes_total: int | None = None
    lanes_closed: tuple[int, ...] = ()
    name: str = ""
    created: datetime | None = None
    updated: datetime | None = None
    attributes: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        where = f"event {self.id!r}"
        if not self.id or not self.id.strip():
            raise ValueError("a road event needs a non-empty id")
        if self.kind not in EVENT_KINDS:
            raise ValueError(f"{where}: kind {self.kind!r} is not one of {EVENT_KINDS}")
        if self.direction not in DIRECTIONS:
            raise ValueError(f"{where}: direction {self.direction!r} is not one of {DIRECTIONS}")
        for label, value in (("start", self.start), ("end", self.end), ("created", self.created)):
            if value is not None and (value.tzinfo is None or value.utcoffset() is None):
                raise ValueError(f"{where}: {label} {value.isoformat()} is naive; pass an aware datetime")
        if self.end is not None and self.end <= self.start:
            raise ValueError(f"{where}: end {self.end.isoformat()} is not after start {self.start.isoformat()}")
        if self.lanes_total is not None and self.lanes_total < 1:
            raise ValueError(f"{where}: lanes_total must be at least 1, got {self.lanes_total}")
        top = self.lanes_total or 99
        bad = [lane for lane in self.lanes_closed if not 1 <= lane <= top]
        if bad or len(set(self.lanes_closed)) != len(self.lanes_closed):
            raise ValueError(f"{where}: lanes_closed {self.lanes_closed} must be distinct lanes in 1..{top}")
        self.positions()  # validates the geometry

    def positions(self) -> list[tuple[float, float]]:
        """The geometry's ``(lon, lat)`` positions, checked."""
        kind, coords = self.geometry.get("type"), self.geometry.get("coordinates")
        where = f"event {self.id!r} geometry"
        if kind == "Point":
            return [_check_position(coords, where)]
        if kind == "LineString":
            if not isinstance(coords, (list, tuple)) or len(coords) < 2:
                raise ValueError(f"{where}: a LineString needs at least two positions")
            return [_check_position(c, where) for c in coords]
        raise ValueError(f"{where}: type {kind!r} is not Point or LineString")

    def vehicle_impact(self) -> str:
        """WZDx vehicle_impact: a closure closes all lanes; otherwise from the lane counts."""
        if self.kind == "closure":
            return "all-lanes-closed"
        if self.lanes_total is None:
            return "some-lanes-closed" if self.lanes_closed else "unknown"
        if len(self.lanes_closed) >= self.lanes_total:
            return "all-lanes-closed"
        return "some-lanes-closed" if self.lanes_closed else "all-lanes-open"


def utc_z(value: datetime) -> str:
    """RFC 3339 UTC with a trailing Z and whole seconds, the form WZDx examples use."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
