"""Response-time KPIs from the database, per priority and district."""

from __future__ import annotations

from datetime import datetime

import polars as pl
from sqlalchemy.orm import Session

from lantern.city import service as city_service
from lantern.dispatch import analytics, repository
from lantern.security import context
from lantern.security.access import guard
from lantern.security.policy import Principal

SCHEMA = {
    "id": pl.Int64,
    "priority": pl.Int64,
    "district_id": pl.Int64,
    "received_at": pl.Datetime("us", "UTC"),
    "assigned_at": pl.Datetime("us", "UTC"),
    "enroute_at": pl.Datetime("us", "UTC"),
    "onscene_at": pl.Datetime("us", "UTC"),
}


def frame(session: Session, since: datetime, until: datetime) -> pl.DataFrame:
    """One row per incident with its stage timestamps, district code and district type."""
    rows = repository.kpi_rows(session, since, until)
    data = pl.DataFrame(rows, schema=SCHEMA) if rows else pl.DataFrame(schema=SCHEMA)
    districts = {d.id: d.code for d in city_service.list_districts(session)}
    types = context.setting(session, "district_types", {}) or {}
    return data.with_columns(
        pl.col("district_id").replace_strict(districts, default="(none)", return_dtype=pl.String).alias("district"),
    ).with_columns(
        pl.col("district").replace_strict(types, default="urban", return_dtype=pl.String).alias("district_type")
    )


def report(session: Session, principal: Principal, since: datetime, until: datetime) -> dict[str, pl.DataFrame]:
    """Percentiles by priority, by priority and district, and the share within target."""
    guard(principal, "kpi:read", "kpi", "response_times")
    data = frame(session, since, until)
    targets = {k: float(v) for k, v in (context.setting(session, "response_targets", {}) or {}).items()}
    return {
        "by_priority": analytics.percentiles(data, ["priority"]),
        "by_priority_district": analytics.percentiles(data, ["priority", "district"]),
        "within_target": analytics.share_within(data, targets, ["priority", "district_type"]),
    }
