"""Incident rules: bulk storage of validated frames, listing and GeoJSON layers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import polars as pl
from sqlalchemy.orm import Session

from lantern.errors import NotFound, ValidationFailed
from lantern.incidents import repository
from lantern.kit.geo import h3_cells
from lantern.kit.scope import RowScope
from lantern.kit.time import utcnow
from lantern.models import Incident, IncidentEvent
from lantern.security import context

REQUIRED = ("natural_key", "category", "occurred_from", "occurred_to", "time_precision", "lat", "lon")
OPTIONAL_DEFAULTS: dict[str, Any] = {
    "district_id": None,
    "source_district": "",
    "premise": "",
    "description": "",
    "attributes": "{}",
    "batch_id": None,
}


def store_frame(
    session: Session,
    frame: pl.DataFrame,
    *,
    source: str,
    h3_resolution: int,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Store validated incidents (skipping known natural keys); returns how many were new."""
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise ValidationFailed(f"incident frame lacks column(s) {', '.join(missing)}")
    lats = frame["lat"].to_numpy()
    lons = frame["lon"].to_numpy()
    frame = frame.with_columns(
        pl.lit(source).alias("source"),
        h3_cells(lats, lons, h3_resolution).alias("h3_cell"),
        pl.lit(utcnow()).dt.replace_time_zone("UTC").alias("recorded_at"),
        *[pl.lit(default).alias(name) for name, default in OPTIONAL_DEFAULTS.items() if name not in frame.columns],
    ).with_columns(pl.col("district_id").cast(pl.Int64), pl.col("batch_id").cast(pl.Int64))
    return repository.insert_incidents(session, frame, progress)


def ids_for_keys(session: Session, source: str, keys: list[str]) -> dict[str, int]:
    """Map natural keys of one source to incident ids."""
    return repository.keys_to_ids(session, source, keys)


def get_or_raise(session: Session, scope: RowScope, incident_id: int) -> Incident:
    """One incident in the reader's scope, or NotFound (out-of-scope rows look absent)."""
    incident = repository.get_incident(session, scope, incident_id)
    if incident is None:
        raise NotFound(f"incident {incident_id} does not exist or is outside your scope")
    return incident


def list_incidents(
    session: Session,
    scope: RowScope,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    category: str | None = None,
    district_id: int | None = None,
    limit: int = 1000,
    offset: int = 0,
) -> list[Incident]:
    """Incidents newest first, filtered."""
    return repository.list_incidents(
        session,
        scope,
        since=since,
        until=until,
        category=category,
        district_id=district_id,
        limit=limit,
        offset=offset,
    )


def count(session: Session, scope: RowScope, **filters: Any) -> int:
    """How many incidents in scope match the filters."""
    return repository.count_incidents(session, scope, **filters)


def latest_time(session: Session, scope: RowScope) -> datetime | None:
    """When the most recent incident in scope occurred."""
    return repository.latest_time(session, scope)


def categories(session: Session, scope: RowScope) -> list[tuple[str, int]]:
    """Categories with their counts, most frequent first."""
    return repository.category_counts(session, scope)


def to_feature(incident: Incident) -> dict[str, Any]:
    """GeoJSON Feature of an incident (no personal data is ever part of it)."""
    return {
        "type": "Feature",
        "id": incident.id,
        "geometry": {"type": "Point", "coordinates": [incident.lon, incident.lat]},
        "properties": {
            "id": incident.id,
            "category": incident.category,
            "occurred_from": incident.occurred_from.isoformat(),
            "occurred_to": incident.occurred_to.isoformat(),
            "time_precision": incident.time_precision,
            "district_id": incident.district_id,
            "premise": incident.premise,
            "h3_cell": incident.h3_cell,
        },
    }


def geojson(session: Session, scope: RowScope, **filters: Any) -> dict[str, Any]:
    """Incidents in scope as a GeoJSON FeatureCollection."""
    features = [to_feature(i) for i in list_incidents(session, scope, **filters)]
    return {"type": "FeatureCollection", "features": features}


def add_event(
    session: Session, incident_id: int, kind: str, actor: str, text: str = "", data: dict[str, Any] | None = None
) -> IncidentEvent:
    """Append to an incident's timeline (never edited, never deleted)."""
    return repository.add_event(
        session,
        IncidentEvent(
            incident_id=incident_id, at=context.now(session), kind=kind, actor=actor, text=text, data=data or {}
        ),
    )


def timeline(session: Session, scope: RowScope, incident_id: int) -> list[IncidentEvent]:
    """The incident's timeline, oldest first (404 outside the reader's scope)."""
    get_or_raise(session, scope, incident_id)
    return repository.events(session, incident_id)


def create(session: Session, incident: Incident) -> Incident:
    """Store a new incident (dispatch desk, portal, other modules)."""
    return repository.add_incident(session, incident)


def open_incidents(session: Session, scope: RowScope, since: datetime | None = None) -> list[Incident]:
    """Open incidents in scope, most urgent first."""
    return repository.open_incidents(session, scope, since)


def lock(session: Session, incident_id: int) -> Incident:
    """The incident, locked for update until commit (PostgreSQL row lock; SQLite's write lock)."""
    incident = repository.lock_incident(session, incident_id)
    if incident is None:
        raise NotFound(f"incident {incident_id} does not exist")
    return incident


def closed_among(session: Session, incident_ids: list[int]) -> set[int]:
    """Which of these incidents are closed: a status only, for scheduled jobs of other modules."""
    return repository.closed_among(session, incident_ids)
