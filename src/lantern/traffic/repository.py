"""Every query of the traffic domain; flushes, never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, insert, or_, select
from sqlalchemy.orm import Session

from lantern.models import RoadEvent, SegmentSpeed, TrafficDetector, TrafficReading


def add_event(session: Session, event: RoadEvent) -> RoadEvent:
    session.add(event)
    session.flush()
    return event


def get_event(session: Session, event_id: int) -> RoadEvent | None:
    return session.get(RoadEvent, event_id)


def list_events(
    session: Session,
    *,
    at: datetime | None = None,
    published_only: bool = False,
    kinds: Sequence[str] | None = None,
    incident_id: int | None = None,
    limit: int = 500,
) -> list[RoadEvent]:
    """Events newest first; with ``at``, only those not ended by then."""
    query = select(RoadEvent)
    if at is not None:
        query = query.where(or_(RoadEvent.end_at.is_(None), RoadEvent.end_at > at))
    if published_only:
        query = query.where(RoadEvent.published.is_(True))
    if kinds:
        query = query.where(RoadEvent.kind.in_(list(kinds)))
    if incident_id is not None:
        query = query.where(RoadEvent.incident_id == incident_id)
    return list(session.scalars(query.order_by(RoadEvent.start_at.desc(), RoadEvent.id.desc()).limit(limit)))


def detectors_by_code(session: Session, source: str) -> dict[str, TrafficDetector]:
    rows = session.scalars(select(TrafficDetector).where(TrafficDetector.source == source))
    return {d.code: d for d in rows}


def add_detectors(session: Session, detectors: Sequence[TrafficDetector]) -> None:
    session.add_all(detectors)
    session.flush()


def existing_reading_keys(
    session: Session, detector_ids: Sequence[int], since: datetime, until: datetime
) -> set[tuple[int, datetime]]:
    """(detector id, time) pairs already stored in the window: re-imports add nothing."""
    if not detector_ids:
        return set()
    query = select(TrafficReading.detector_id, TrafficReading.time).where(
        and_(
            TrafficReading.detector_id.in_(list(detector_ids)),
            TrafficReading.time >= since,
            TrafficReading.time <= until,
        )
    )
    return {(int(d), t) for d, t in session.execute(query)}


# Writes of traffic data made by this process: the index's fingerprint is re-read whenever this
# moves (congestion.state), and at most every few seconds otherwise (writes by other processes).
_writes = 0


def note_write() -> None:
    """Say that readings, probe speeds or detectors changed in this process."""
    global _writes
    _writes += 1


def write_generation() -> int:
    return _writes


def insert_readings(session: Session, rows: Sequence[dict[str, Any]]) -> int:
    note_write()
    if rows:
        session.execute(insert(TrafficReading), list(rows))
    return len(rows)


def insert_segment_speeds(session: Session, rows: Sequence[dict[str, Any]]) -> int:
    note_write()  # also after probe slots were merged into stored rows (probe_ingest)
    if rows:
        session.execute(insert(SegmentSpeed), list(rows))
    return len(rows)


def has_segment_speeds(session: Session, source: str) -> bool:
    return session.scalar(select(SegmentSpeed.id).where(SegmentSpeed.source == source).limit(1)) is not None


def latest_data_time(session: Session) -> datetime | None:
    """The newest reading or probe slot of any source."""
    probe = session.scalar(select(func.max(SegmentSpeed.time)))
    detector = session.scalar(select(func.max(TrafficReading.time)))
    found = [t for t in (probe, detector) if t is not None]
    return max(found) if found else None


def segment_speed_rows(session: Session, since: datetime, until: datetime) -> list[tuple[int, datetime, float, int]]:
    query = select(SegmentSpeed.edge_id, SegmentSpeed.time, SegmentSpeed.speed_kmh, SegmentSpeed.samples).where(
        SegmentSpeed.time >= since, SegmentSpeed.time <= until
    )
    return [(int(e), t, float(s), int(n)) for e, t, s, n in session.execute(query)]


def reading_rows(session: Session, since: datetime, until: datetime) -> list[tuple[int, datetime, float]]:
    query = select(TrafficReading.detector_id, TrafficReading.time, TrafficReading.speed_kmh).where(
        TrafficReading.time >= since, TrafficReading.time <= until
    )
    return [(int(d), t, float(s)) for d, t, s in session.execute(query)]


def list_detectors(session: Session) -> list[TrafficDetector]:
    return list(session.scalars(select(TrafficDetector).order_by(TrafficDetector.source, TrafficDetector.code)))


def count_readings(session: Session) -> int:
    return int(session.scalar(select(func.count(TrafficReading.id))) or 0)


def segment_speeds_between(session: Session, source: str, since: datetime, until: datetime) -> list[SegmentSpeed]:
    """Stored probe slots of one source in a time window (to merge new probes into)."""
    query = select(SegmentSpeed).where(
        SegmentSpeed.source == source, SegmentSpeed.time >= since, SegmentSpeed.time <= until
    )
    return list(session.scalars(query))


def data_fingerprint(session: Session, since: datetime, until: datetime) -> tuple[Any, ...]:
    """A cheap summary that changes whenever the data of the window (or a detector) changes.

    Counts and the highest id alone are not enough: SQLite hands out the ids of deleted or
    rolled-back rows again, so other speeds under the same ids once served a stale index (a
    test that rolls back its data saw the previous test's). The sums of the speeds cover that.
    """
    probes = session.execute(
        select(
            func.count(SegmentSpeed.id),
            func.max(SegmentSpeed.id),
            func.sum(SegmentSpeed.samples),
            func.sum(SegmentSpeed.speed_kmh),
        ).where(SegmentSpeed.time >= since, SegmentSpeed.time <= until)
    ).one()
    readings = session.execute(
        select(func.count(TrafficReading.id), func.max(TrafficReading.id), func.sum(TrafficReading.speed_kmh)).where(
            TrafficReading.time >= since, TrafficReading.time <= until
        )
    ).one()
    detectors = session.execute(
        select(func.count(TrafficDetector.id), func.sum(TrafficDetector.length_m), func.sum(TrafficDetector.lat))
    ).one()
    return (*probes, *readings, *detectors)
