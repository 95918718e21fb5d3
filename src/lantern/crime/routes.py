"""Crime analysis endpoints: hotspot and forecast layers as GeoJSON, and their pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from lantern.city import service as city_service
from lantern.crime import render as crime_render
from lantern.crime import service as crime_service
from lantern.crime.forecast import service as forecast_service
from lantern.errors import ValidationFailed
from lantern.kit.ids import MAX_ID
from lantern.kit.time import within_supported_range
from lantern.security.policy import Principal
from lantern.web.auth import require
from lantern.web.deps import SessionDep
from lantern.web.templating import render

router = APIRouter(tags=["crime analysis"])
MIN_BANDWIDTH_M = 10.0
Analyst = Annotated[Principal, require("crime:read")]
# Classes of hot spots over time, their colour on the page and what they mean (gistar.classify_over_time).
TREND_CLASSES = (
    ("new", "#e67e22", "hot in the last window and never before"),
    ("consecutive", "#f4d03f", "hot in an unbroken run of the last windows, never before the run"),
    ("intensifying", "#7b241c", "hot in at least 90% of windows, the last included, and getting hotter"),
    ("persistent", "#c0392b", "hot in at least 90% of windows, the last included, no significant trend"),
    ("diminishing", "#5dade2", "hot in at least 90% of windows, the last included, and cooling"),
    ("sporadic", "#af7ac5", "hot in the last window, on and off before"),
    ("historical", "#95a5a6", "hot in at least half of the windows, but not in the last"),
)


def _as_utc(moment: datetime) -> datetime:
    """Aware UTC within 1900-2200 (schemathesis sent the year 6, and date arithmetic overflowed)."""
    try:
        return within_supported_range(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
    except ValueError as exc:
        raise ValidationFailed(str(exc)) from exc


def hotspot_query(
    session: SessionDep,
    principal: Analyst,
    since: Annotated[datetime | None, Query(description="window start (default: `days` before `until`)")] = None,
    until: Annotated[
        datetime | None, Query(description="window end, exclusive (default: after the latest incident)")
    ] = None,
    days: Annotated[int | None, Query(ge=1, le=3660, description="window length when `since` is not given")] = None,
    category: Annotated[list[str] | None, Query(max_length=100)] = None,
    district_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    method: Annotated[str, Query(pattern="^(h3|grid)$")] = "h3",
    resolution: Annotated[int, Query(ge=6, le=11)] = 10,
    cell_m: Annotated[float, Query(ge=50, le=5000)] = 100.0,
    bandwidth_m: Annotated[float, Query(ge=0, le=20000)] = 0.0,
) -> crime_service.HotspotQuery:
    """The query parameters shared by the GeoJSON and PNG exports."""
    if 0 < bandwidth_m < MIN_BANDWIDTH_M:  # schemathesis sent 2.2e-308: the kernel overflowed
        raise ValidationFailed(f"bandwidth_m: use 0 (chosen automatically) or at least {MIN_BANDWIDTH_M:.0f} m")
    end = _as_utc(until) if until else crime_service.default_end(session, principal)
    start = _as_utc(since) if since else end - timedelta(days=days or 28)
    return crime_service.HotspotQuery(
        since=start,
        until=end,
        categories=tuple(c for c in (category or []) if c),
        district_id=district_id,
        method=method,
        resolution=resolution,
        cell_m=cell_m,
        bandwidth_m=bandwidth_m,
    )


HotspotQueryDep = Annotated[crime_service.HotspotQuery, Depends(hotspot_query)]


@router.get("/api/crime/hotspots.geojson")
def hotspots_geojson(session: SessionDep, principal: Analyst, query: HotspotQueryDep) -> dict[str, object]:
    """Hotspot cells of the window: weighted counts (aoristic), Gi* z and p, hot/cold flags."""
    return crime_service.hotspot_layer(session, principal, query)


@router.get("/api/crime/hotspots.png", response_class=Response)
def hotspots_png(session: SessionDep, principal: Analyst, query: HotspotQueryDep) -> Response:
    """The same layer drawn as a PNG (hot spots red, other cells with incidents orange, cold blue)."""
    layer = crime_service.hotspot_layer(session, principal, query)
    title = f"Hot spots {query.since:%Y-%m-%d} to {query.until:%Y-%m-%d}"
    return Response(crime_render.hotspot_png(layer, title), media_type="image/png")


@router.get("/api/crime/emerging.geojson")
def emerging_geojson(
    session: SessionDep,
    principal: Analyst,
    query: HotspotQueryDep,
    periods: Annotated[int, Query(ge=3, le=52, description="equal slices of the window")] = 8,
) -> dict[str, object]:
    """H3 cells classified over the window's slices: new, consecutive, intensifying, persistent, ..."""
    return crime_service.emerging_layer(session, principal, query, periods)


@router.get("/crime/hotspots", response_class=HTMLResponse, include_in_schema=False)
def hotspot_page(request: Request, session: SessionDep, principal: Analyst) -> HTMLResponse:
    """The hotspot map: a time window, type and district filters, and the Gi* layer."""
    city = city_service.get(session)
    return render(
        request,
        "crime_hotspots.html",
        city=city,
        districts=city_service.list_districts(session) if city else [],
        categories=crime_service.categories(session, principal),
        limits=crime_service.LIMITS,
        default_end=crime_service.default_end(session, principal),
        trend_classes=TREND_CLASSES,
    )


@router.get("/api/crime/forecast.geojson")
def forecast_geojson(
    session: SessionDep,
    principal: Analyst,
    method: Annotated[
        str, Query(pattern="^(naive|kde|prospective|sepp|ours)$", description="forecasting method")
    ] = forecast_service.DEFAULT_METHOD,
    period: Annotated[str, Query(pattern="^(shift|day|week)$", description="the period forecast")] = "week",
    coverage: Annotated[int, Query(ge=1, le=10, description="percent of the study area: 1, 5 or 10")] = 5,
    category: Annotated[list[str] | None, Query(max_length=100, description="default: victim-reported")] = None,
    types: Annotated[
        str, Query(pattern="^(victim-reported|all)$", description="'all' includes enforcement-driven records")
    ] = "victim-reported",
    district_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    until: Annotated[datetime | None, Query(description="data end (default: after the latest incident)")] = None,
    cell_m: Annotated[float, Query(ge=50, le=1000)] = 100.0,
) -> dict[str, object]:
    """Next period's hot cells by one method, with its back-test (hit rate, PAI, PEI), parameters and limits."""
    query = forecast_service.ForecastQuery(
        method=method,
        period=period,
        coverage_pct=coverage,
        categories=tuple(c for c in (category or []) if c),
        all_types=types == "all",
        district_id=district_id,
        until=_as_utc(until) if until else None,
        cell_m=cell_m,
    )
    return forecast_service.forecast_layer(session, principal, query)


@router.get("/crime/forecast", response_class=HTMLResponse, include_in_schema=False)
def forecast_page(request: Request, session: SessionDep, principal: Analyst) -> HTMLResponse:
    """The forecast map: method, period and coverage; hot cells beside the method's back-test."""
    city = city_service.get(session)
    return render(
        request,
        "crime_forecast.html",
        city=city,
        districts=city_service.list_districts(session) if city else [],
        categories=crime_service.categories(session, principal),
        methods=forecast_service.METHODS,
        default_method=forecast_service.DEFAULT_METHOD,
        periods=forecast_service.PERIODS,
        coverages=forecast_service.COVERAGE_PERCENTS,
        victim_reported=forecast_service.VICTIM_REPORTED,
        limits=forecast_service.FORECAST_LIMITS,
    )
