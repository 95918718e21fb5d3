"""Crime analysis for the web and the command line: hotspot layers from recorded incidents.

Place-based only: every output is about cells and counts, never about persons.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import h3
import numpy as np
import polars as pl
from scipy import stats
from sqlalchemy.orm import Session

from lantern.alerts import service as alert_service
from lantern.city import service as city_service
from lantern.crime import aoristic, gistar, hotspots, nearrepeat, repository, trends
from lantern.crime.grid import Grid
from lantern.errors import ValidationFailed
from lantern.incidents import service as incident_service
from lantern.kit.geo import LocalProjection
from lantern.security import context
from lantern.security.access import guard
from lantern.security.policy import Principal

LIMITS = (
    "Counts reflect what was recorded, not all crime that happened. "
    "Incidents known only as a from-to window are spread over it (aoristic weights). "
    "Hot spots are places, never persons; Gi* significance is corrected for testing many cells (FDR 5%)."
)
MAX_WINDOW_DAYS = 3660


class CrimeQueryInvalid(ValidationFailed):
    """A hotspot query that cannot be answered as asked."""


@dataclass(frozen=True)
class HotspotQuery:
    """What to map: a time window, optional types and district, and the cells to count in."""

    since: datetime
    until: datetime
    categories: tuple[str, ...] = ()
    district_id: int | None = None
    method: str = "h3"  # "h3" or "grid"
    resolution: int = 10  # ~1.5 ha hexagons: a few street blocks
    cell_m: float = 100.0
    bandwidth_m: float = 0.0  # > 0 adds a kernel density to grid cells

    def check(self) -> None:
        """Refuse impossible queries with a message that says what to change."""
        if self.until <= self.since:
            raise CrimeQueryInvalid(f"the window ends ({self.until:%Y-%m-%d}) before it starts ({self.since:%Y-%m-%d})")
        if (self.until - self.since).days > MAX_WINDOW_DAYS:
            raise CrimeQueryInvalid(f"the window is longer than {MAX_WINDOW_DAYS} days; choose a shorter one")
        if self.method not in ("h3", "grid"):
            raise CrimeQueryInvalid(f"method must be 'h3' or 'grid', not {self.method!r}")
        if not 6 <= self.resolution <= 11:
            raise CrimeQueryInvalid(f"H3 resolution {self.resolution} is outside 6-11 (city to building block)")
        if not 50 <= self.cell_m <= 5000:
            raise CrimeQueryInvalid(f"cell size {self.cell_m:g} m is outside 50-5000 m")


def _window_frame(session: Session, principal: Principal, q: HotspotQuery) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Incidents weighted for the window, and last year's incidents that define the study area."""
    scope = principal.row_scope()
    cats = list(q.categories) or None
    area_since = min(q.since, q.until - timedelta(days=365))
    everything = repository.incident_frame(session, scope, area_since, q.until, cats, q.district_id)
    window = aoristic.select(everything, start=q.since, end=q.until)
    return window, everything


def hotspot_layer(session: Session, principal: Principal, q: HotspotQuery) -> dict[str, Any]:
    """GeoJSON of cells with their weighted count and Gi* result, plus what the layer means."""
    guard(principal, "crime:read", "crime", "hotspots")
    q.check()
    window, area = _window_frame(session, principal, q)
    warnings: list[str] = []
    if q.method == "h3":
        features = _h3_features(window, area, q)
    else:
        features, warnings = _grid_features(session, window, area, q)
    total = float(window["weight"].sum()) if window.height else 0.0
    return {
        "type": "FeatureCollection",
        "features": features,
        "meta": {
            "since": q.since.isoformat(),
            "until": q.until.isoformat(),
            "method": q.method,
            "resolution": q.resolution,
            "cell_m": q.cell_m,
            "bandwidth_m": q.bandwidth_m,
            "categories": list(q.categories),
            "district_id": q.district_id,
            "incidents": round(total, 2),
            "hot_cells": sum(1 for f in features if f["properties"]["hot"]),
            "warnings": warnings,
            "limits": LIMITS,
        },
    }


def emerging_layer(session: Session, principal: Principal, q: HotspotQuery, periods: int = 8) -> dict[str, Any]:
    """H3 cells classified over ``periods`` equal slices of the window (new, intensifying, persistent ...)."""
    guard(principal, "crime:read", "crime", "emerging_hotspots")
    q.check()
    if not 3 <= periods <= 52:
        raise CrimeQueryInvalid(f"periods must be 3-52, got {periods}")
    window, area = _window_frame(session, principal, q)
    if area.height == 0:
        return {"type": "FeatureCollection", "features": [], "meta": {"periods": periods, "limits": LIMITS}}
    cells = hotspots.h3_counts(area.select("h3_cell", "lat", "lon"), q.resolution).select("h3_cell")
    step = (q.until - q.since) / periods
    z_rows, hot_rows = [], []
    for k in range(periods):
        part = aoristic.select(window.drop("weight"), start=q.since + k * step, end=q.since + (k + 1) * step)
        counts = (
            hotspots.h3_counts(part, q.resolution)
            if part.height
            else pl.DataFrame(schema={"h3_cell": pl.String, "count": pl.Float64})
        )
        study = cells.join(counts, on="h3_cell", how="left").with_columns(pl.col("count").fill_null(0.0))
        result = gistar.gi_star_h3(study, k=1)
        z_rows.append(result["z"].to_numpy())
        hot_rows.append(result["hot"].to_numpy())
    classes = gistar.classify_over_time(np.vstack(z_rows), np.vstack(hot_rows))
    features = []
    for cell, label, z_last in zip(cells["h3_cell"].to_list(), classes, z_rows[-1], strict=True):
        if label == "none":
            continue
        ring = [[lon, lat] for lat, lon in h3.cell_to_boundary(cell)]
        ring.append(ring[0])
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [ring]},
                "properties": {"cell": cell, "class": label, "z_last": round(float(z_last), 3)},
            }
        )
    summary: dict[str, int] = {}
    for label in classes:
        summary[label] = summary.get(label, 0) + 1
    return {
        "type": "FeatureCollection",
        "features": features,
        "meta": {
            "since": q.since.isoformat(),
            "until": q.until.isoformat(),
            "periods": periods,
            "period_days": round(step.total_seconds() / 86400, 3),
            "classes": summary,
            "limits": LIMITS,
        },
    }


def _h3_features(window: pl.DataFrame, area: pl.DataFrame, q: HotspotQuery) -> list[dict[str, Any]]:
    if area.height == 0:
        return []
    cells = hotspots.h3_counts(area.select("h3_cell", "lat", "lon"), q.resolution).select("h3_cell")
    counts = (
        hotspots.h3_counts(window, q.resolution)
        if window.height
        else pl.DataFrame(schema={"h3_cell": pl.String, "count": pl.Float64})
    )
    study = cells.join(counts, on="h3_cell", how="left").with_columns(pl.col("count").fill_null(0.0))
    result = (
        gistar.gi_star_h3(study, k=1)
        if study.height > 2
        else study.with_columns(
            pl.lit(0.0).alias("z"), pl.lit(1.0).alias("p"), pl.lit(False).alias("hot"), pl.lit(False).alias("cold")
        )
    )
    features = []
    for row in result.filter(pl.col("count") > 0).iter_rows(named=True):
        ring = [[lon, lat] for lat, lon in h3.cell_to_boundary(row["h3_cell"])]
        ring.append(ring[0])
        features.append(_feature(row["h3_cell"], ring, row))
    return features


def _grid_features(
    session: Session, window: pl.DataFrame, area: pl.DataFrame, q: HotspotQuery
) -> tuple[list[dict[str, Any]], list[str]]:
    city = city_service.get(session)
    if city is None or area.height == 0:
        return [], []
    projection = LocalProjection((city.min_lat + city.max_lat) / 2, (city.min_lon + city.max_lon) / 2)
    ax, ay = projection.to_xy(area["lat"].to_numpy(), area["lon"].to_numpy())
    grid = Grid.covering(ax, ay, q.cell_m)
    wx, wy = projection.to_xy(window["lat"].to_numpy(), window["lon"].to_numpy())
    frame = pl.DataFrame({"x": wx, "y": wy, "weight": window["weight"].to_numpy()})
    counts = grid.counts(wx, wy, frame["weight"].to_numpy())
    gi = gistar.gi_star_grid(counts)
    density = None
    warnings: list[str] = []
    if q.bandwidth_m > 0:
        surface = hotspots.kde(frame, grid, q.bandwidth_m)
        density, warnings = surface.density, surface.warnings
    features = []
    rows, cols = np.nonzero(counts)
    for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
        corners = grid.polygon(c, r)
        lat, lon = projection.to_latlon(np.array([p[0] for p in corners]), np.array([p[1] for p in corners]))
        ring = [[round(float(a), 6), round(float(b), 6)] for a, b in zip(lon, lat, strict=True)]
        props = {
            "count": float(counts[r, c]),
            "z": float(gi.z[r, c]),
            "p": float(gi.p[r, c]),
            "hot": bool(gi.significant[r, c] and gi.z[r, c] > 0),
            "cold": bool(gi.significant[r, c] and gi.z[r, c] < 0),
        }
        if density is not None:
            props["density_km2"] = round(float(density[r, c]), 3)
        features.append(_feature(f"{c},{r}", ring, props))
    return features, warnings


def _feature(cell: str, ring: list[list[float]], row: dict[str, Any]) -> dict[str, Any]:
    props = {
        "cell": cell,
        "count": round(float(row["count"]), 3),
        "z": round(float(row["z"]), 3),
        "p": float(f"{row['p']:.3g}"),
        "hot": bool(row["hot"]),
        "cold": bool(row["cold"]),
    }
    if "density_km2" in row:
        props["density_km2"] = row["density_km2"]
    return {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]}, "properties": props}


def default_end(session: Session, principal: Principal) -> datetime:
    """End of the default window: just after the latest recorded incident the reader can see, else now."""
    latest = incident_service.latest_time(session, principal.row_scope())
    if latest is None:
        return context.now(session)
    latest = latest if latest.tzinfo else latest.replace(tzinfo=UTC)
    return latest + timedelta(minutes=1)


def district_id_for(session: Session, code: str) -> int:
    """The id of the district with this code, or an error listing the codes there are."""
    districts = {d.code: d.id for d in city_service.list_districts(session)}
    if code not in districts:
        raise CrimeQueryInvalid(f"no district {code!r}; districts are {', '.join(sorted(districts)) or 'none'}")
    return districts[code]


def categories(session: Session, principal: Principal) -> list[str]:
    """Incident categories the reader can see, for the page's filter."""
    guard(principal, "crime:read", "crime", "categories")
    return [c for c, _ in incident_service.categories(session, principal.row_scope())]


@dataclass(frozen=True)
class CrimeReport:
    """What a commander's briefing holds; rendered to HTML and PDF by :mod:`lantern.crime.report`."""

    since: datetime
    until: datetime
    district: str
    generated_at: datetime
    by_category: list[dict[str, Any]]
    layer: dict[str, Any]
    top_cells: list[dict[str, Any]]
    alerts: list[dict[str, Any]]
    weekly: dict[str, list[Any]]
    knox: nearrepeat.KnoxResult | None
    knox_note: str
    limits: str = LIMITS


def _change_p_value(now: int, before: int) -> float:
    """Two-sided exact test that two Poisson counts over equal spans share one rate (binomial, p = 1/2)."""
    n = now + before
    if n == 0:
        return 1.0
    k = min(now, before)
    return float(min(1.0, 2 * stats.binom.cdf(k, n, 0.5)))


def report(
    session: Session, principal: Principal, since: datetime, until: datetime, district_id: int | None = None
) -> CrimeReport:
    """Counts by type against the previous period, hot spots, trend alerts and near repeats for a window."""
    guard(principal, "crime:read", "crime", "report")
    if until <= since:
        raise CrimeQueryInvalid(f"the report ends ({until:%Y-%m-%d}) before it starts ({since:%Y-%m-%d})")
    scope = principal.row_scope()
    span = until - since
    history = repository.incident_frame(session, scope, since - timedelta(days=3 * 364 + 28), until, None, district_id)
    current = aoristic.select(history, start=since, end=until)
    previous = aoristic.select(history, start=since - span, end=since)
    now_counts = dict(current.group_by("category").agg(pl.col("weight").sum()).iter_rows()) if current.height else {}
    before_counts = (
        dict(previous.group_by("category").agg(pl.col("weight").sum()).iter_rows()) if previous.height else {}
    )
    by_category = []
    for cat in sorted(set(now_counts) | set(before_counts), key=lambda c: -now_counts.get(c, 0)):
        a, b = round(now_counts.get(cat, 0.0)), round(before_counts.get(cat, 0.0))
        by_category.append({"category": cat, "now": a, "before": b, "change": a - b, "p_value": _change_p_value(a, b)})
    layer = hotspot_layer(session, principal, HotspotQuery(since, until, district_id=district_id))
    top = sorted((f["properties"] for f in layer["features"]), key=lambda p: (-p["count"], p["cell"]))[:10]

    districts = {d.id: d.code for d in city_service.list_districts(session)}
    exact = history.with_columns(
        pl.col("district_id").replace_strict(districts, default="(none)", return_dtype=pl.String).alias("district")
    )
    week0 = since - timedelta(weeks=156)
    weeks_total = 156 + max(1, span.days // 7)
    counts = trends.weekly_counts(exact, ["category", "district"], week0, weeks_total)
    alert_rows = trends.trend_alerts(counts, ["category", "district"], list(range(156, weeks_total)))
    alerts = [
        {**row, "text": trends.describe(row, ["category", "district"], week0)}
        for row in alert_rows.filter(pl.col("alert")).sort("p_value").head(20).iter_rows(named=True)
    ]
    total_weekly = trends.weekly_counts(exact.with_columns(pl.lit("all").alias("all")), ["all"], week0, weeks_total)
    total_check = trends.trend_alerts(total_weekly, ["all"], list(range(156, weeks_total)))
    weekly = {
        "weeks": [(week0 + timedelta(weeks=int(w))).strftime("%Y-%m-%d") for w in total_check["week"]],
        "observed": total_check["observed"].to_list(),
        "expected": total_check["expected"].to_list(),
        "upper": total_check["upper"].to_list(),
    }

    knox, note = _near_repeat(session, current)
    return CrimeReport(
        since=since,
        until=until,
        district=districts.get(district_id, "all districts") if district_id else "all districts",
        generated_at=context.now(session),
        by_category=by_category,
        layer=layer,
        top_cells=top,
        alerts=alerts,
        weekly=weekly,
        knox=knox,
        knox_note=note,
    )


def _near_repeat(session: Session, window: pl.DataFrame) -> tuple[nearrepeat.KnoxResult | None, str]:
    burglary = window.filter(pl.col("category") == "burglary") if window.height else window
    if burglary.height < 30:
        return None, f"Near-repeat test skipped: {burglary.height} burglaries in the window (needs 30)."
    city = city_service.get(session)
    centre = ((city.min_lat + city.max_lat) / 2, (city.min_lon + city.max_lon) / 2) if city else (0.0, 0.0)
    x, y = LocalProjection(*centre).to_xy(burglary["lat"].to_numpy(), burglary["lon"].to_numpy())
    first = burglary["occurred_from"].min()
    days = burglary.select((pl.col("occurred_from") - pl.lit(first)).dt.total_days())["occurred_from"].to_numpy()
    result = nearrepeat.knox_test(
        x, y, days, spatial_bandwidth=200, spatial_bands=2, temporal_bandwidth=7, temporal_bands=2, seed=0
    )
    return result, (
        f"Knox test on {burglary.height} burglaries: Manhattan distance, bands as the Near Repeat Calculator "
        "labels them, 99 Monte Carlo runs (seed 0)."
    )


def _district_codes(session: Session) -> dict[int, str]:
    return {d.id: d.code for d in city_service.list_districts(session)}


def trend_check(
    session: Session, principal: Principal, week_start: datetime, weeks: int = 1, alpha: float = 0.005
) -> pl.DataFrame:
    """Control-limit check of each type x district for ``weeks`` weeks from ``week_start`` (three years of baseline)."""
    guard(principal, "crime:read", "crime", "trends")
    origin = week_start - timedelta(weeks=156)
    history = repository.incident_frame(session, principal.row_scope(), origin, week_start + timedelta(weeks=weeks))
    codes = _district_codes(session)
    exact = history.with_columns(
        pl.col("district_id").replace_strict(codes, default="(none)", return_dtype=pl.String).alias("district")
    )
    counts = trends.weekly_counts(exact, ["category", "district"], origin, 156 + weeks)
    return trends.trend_alerts(counts, ["category", "district"], list(range(156, 156 + weeks)), alpha=alpha)


def raise_trend_alerts(
    session: Session, principal: Principal, week_start: datetime, alpha: float = 0.005
) -> list[dict[str, Any]]:
    """Put each significant weekly rise of the week from ``week_start`` on the shared alert queue (once)."""
    checked = trend_check(session, principal, week_start, alpha=alpha)
    origin = week_start - timedelta(weeks=156)
    raised = []
    for row in checked.filter(pl.col("alert")).iter_rows(named=True):
        text = trends.describe(row, ["category", "district"], origin)
        alert, created = alert_service.raise_alert(
            session,
            alert_service.AlertIn(
                source="crime",
                kind="trend",
                severity="critical" if row["p_value"] < 1e-4 else "warning",
                subject_type="district",
                subject_id=str(row["district"]),
                title=text,
                dedupe_key=f"crime-trend:{row['category']}:{row['district']}:{week_start:%Y-%m-%d}",
                detail=(
                    "Weekly count above the upper control limit of its seasonal baseline "
                    f"({row['distribution']}, {row['baseline_weeks']} baseline weeks). {LIMITS}"
                ),
                data={k: row[k] for k in ("category", "district", "observed", "expected", "upper", "p_value")},
            ),
        )
        raised.append({"alert_id": alert.id, "created": created, "text": text})
    return raised


def raise_recent_trend_alerts(
    session: Session, principal: Principal, now: datetime, weeks: int = 2, alpha: float = 0.005
) -> list[dict[str, Any]]:
    """Trend alerts for the last ``weeks`` complete weeks (Monday to Monday, UTC) before ``now``; idempotent.

    More than the one week just ended: incidents are often recorded days late, so a rise that was
    not yet on record at the first look is caught a week later; the alerts' keys stop repeats.
    """
    moment = now.astimezone(UTC)
    monday = (moment - timedelta(days=moment.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    raised: list[dict[str, Any]] = []
    for back in range(weeks, 0, -1):
        raised.extend(raise_trend_alerts(session, principal, monday - timedelta(weeks=back), alpha=alpha))
    return raised
