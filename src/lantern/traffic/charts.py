"""Server-drawn SVG geometry for the traffic pages (the CSP allows no inline script or style).

SVG presentation attributes (``fill``, ``stroke``) are not inline styles, so a chart drawn on the
server needs no script at all and reads the same with JavaScript off.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from lantern.kit.time import to_local
from lantern.traffic.feeds.geojson import LEVEL_COLOURS


@dataclass(frozen=True)
class Band:
    y: float
    height: float
    colour: str
    label: str


@dataclass(frozen=True)
class IndexChart:
    """An index-over-time line with its level bands and hour ticks, in SVG user units."""

    width: int
    height: int
    path: str
    bands: list[Band]
    ticks: list[tuple[float, str]]
    points: int


def index_chart(
    series: Sequence[tuple[datetime, float]], timezone: str, *, width: int = 640, height: int = 160
) -> IndexChart:
    """Polyline of (time, 0-10 index) scaled into ``width`` x ``height``, with local-hour ticks every 6 h.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> t = [datetime(2026, 3, 2, h, tzinfo=timezone.utc) for h in (0, 12)]
    >>> c = index_chart(list(zip(t, [0.0, 10.0])), "UTC", width=100, height=50)
    >>> c.path
    'M0.0,50.0 L100.0,0.0'
    """
    bands = [
        Band(y=height * (1 - (k + 2) / 10), height=height * 0.2, colour=colour, label=code)
        for k, (code, colour) in zip(range(0, 10, 2), LEVEL_COLOURS.items(), strict=True)
    ]
    if not series:
        return IndexChart(width, height, "", bands, [], 0)
    t0, t1 = series[0][0].timestamp(), series[-1][0].timestamp()
    span = max(t1 - t0, 1.0)

    def x(t: datetime) -> float:
        return round((t.timestamp() - t0) / span * width, 1)

    def y(value: float) -> float:
        return round(height * (1 - min(max(value, 0.0), 10.0) / 10.0), 1)

    path = " ".join(f"{'M' if i == 0 else 'L'}{x(t)},{y(v)}" for i, (t, v) in enumerate(series))
    ticks = []
    for t, _ in series:
        local = to_local(t, timezone)
        if local.minute == 0 and local.hour % 6 == 0:
            ticks.append((x(t), local.strftime("%H:%M")))
    return IndexChart(width, height, path, bands, ticks, len(series))
