"""Queries of the crime analysis: incidents as a frame of places and times (no personal fields)."""

from __future__ import annotations

from datetime import datetime

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from lantern.kit.scope import RowScope
from lantern.models.incidents import Incident

SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "category": pl.String,
    "occurred_from": pl.Datetime("us", "UTC"),
    "occurred_to": pl.Datetime("us", "UTC"),
    "lat": pl.Float64,
    "lon": pl.Float64,
    "h3_cell": pl.String,
    "district_id": pl.Int64,
    "premise": pl.String,
}


def incident_frame(
    session: Session,
    scope: RowScope,
    since: datetime,
    until: datetime,
    categories: list[str] | None = None,
    district_id: int | None = None,
) -> pl.DataFrame:
    """Incidents whose from-to window touches [since, until), within the reader's row scope."""
    query = select(
        Incident.category,
        Incident.occurred_from,
        Incident.occurred_to,
        Incident.lat,
        Incident.lon,
        Incident.h3_cell,
        Incident.district_id,
        Incident.premise,
    ).where(Incident.occurred_to >= since, Incident.occurred_from < until)
    if not scope.include_restricted:
        query = query.where(Incident.restricted.is_(False))
    if scope.district_ids is not None:
        query = query.where(Incident.district_id.in_(sorted(scope.district_ids)))
    if categories:
        query = query.where(Incident.category.in_(categories))
    if district_id is not None:
        query = query.where(Incident.district_id == district_id)
    rows = session.execute(query).all()
    return pl.DataFrame([tuple(r) for r in rows], schema=SCHEMA, orient="row") if rows else pl.DataFrame(schema=SCHEMA)
