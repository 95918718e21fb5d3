"""Small data helpers shared by tests that work on a fresh database."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
from sqlalchemy.orm import Session

from lantern.incidents import service as incident_service
from lantern.kit.scope import RowScope


def one_incident(session: Session, key: str = "t-1") -> int:
    """Store one incident and return its id."""
    now = datetime.now(UTC)
    frame = pl.DataFrame(
        {
            "natural_key": [key],
            "category": ["burglary"],
            "occurred_from": [now],
            "occurred_to": [now],
            "time_precision": ["minute"],
            "lat": [60.17],
            "lon": [24.94],
        }
    )
    incident_service.store_frame(session, frame, source="tests", h3_resolution=9)
    return incident_service.list_incidents(session, RowScope.everything(), limit=1)[0].id
