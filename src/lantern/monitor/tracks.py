"""Vehicles' history: the track stream moves the input log into per-vehicle hourly rows.

The input log (``monitor_positions``) takes every acknowledged report — 20,000 a second at the
gateway's target — and is indexed by id alone, because an index by vehicle made each of the
gateway's commits ten times dearer. A vehicle's day is read from here instead: the track stream
reads the log in id order, like the rule engine, and writes one ``monitor_tracks`` row per
vehicle and UTC hour of each batch, with its checkpoint in the same transaction (a batch is
moved exactly once). :func:`read` joins those rows with the log's tail after the checkpoint, so
a report is on the timeline from the moment it is acknowledged, not from its next move.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy.orm import Session

from lantern.monitor import collector, repository, streams

TRACKS = "vehicle_tracks"  # checkpoint name
BATCH = 50_000  # log rows per transaction


class TrackPoint(NamedTuple):
    """A position as the input log held it (every field, so the log may be purged after)."""

    id: int
    time: datetime
    lat: float
    lon: float
    speed_kmh: float
    heading: int
    altitude_m: int
    valid: bool
    alarm_flags: int
    status_flags: int
    extras: dict[str, Any]
    source: str
    received_at: datetime


FIELDS = TrackPoint._fields
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_HOUR_US = 3_600_000_000
_TIMES = ("time", "received_at")


def hour_of(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def micros(moment: datetime) -> int:
    return (moment - _EPOCH) // _MICROSECOND


def pack(points: Sequence[TrackPoint]) -> dict[str, list[Any]]:
    """Column-wise JSON; times as integer microseconds since the epoch (exact, unlike floats)."""
    return _columns([(p[0], micros(p[1]), *p[2:-1], micros(p[-1])) for p in points])


def _columns(rows: Sequence[tuple[Any, ...]]) -> dict[str, list[Any]]:
    """Rows of TrackPoint's fields, times already in microseconds, as columns."""
    transposed = list(zip(*rows, strict=True)) if rows else [()] * len(FIELDS)
    return {name: list(values) for name, values in zip(FIELDS, transposed, strict=True)}


def unpack(columns: dict[str, list[Any]]) -> list[TrackPoint]:
    decoded = [
        [_EPOCH + value * _MICROSECOND for value in columns[name]] if name in _TIMES else columns[name]
        for name in FIELDS
    ]
    return [TrackPoint(*values) for values in zip(*decoded, strict=True)]


class TrackStream:
    """The input log into ``monitor_tracks``: no rules, no alerts, no state but the checkpoint."""

    name = TRACKS

    def fetch(self, session: Session, after_id: int, limit: int) -> list[Any]:
        return repository.log_rows_after(session, after_id, limit)

    def apply(self, session: Session, state: bytes, rows: Sequence[Any]) -> streams.Applied:
        groups: dict[tuple[str, int], list[tuple[Any, ...]]] = defaultdict(list)
        for row in rows:  # (id, vehicle_id, time in µs, ...): see repository.log_rows_after
            groups[(row[1], row[2] - row[2] % _HOUR_US)].append((row[0], *row[2:]))
        repository.insert_tracks(
            session,
            [
                {
                    "vehicle_id": vehicle_id,
                    "hour": _EPOCH + hour * _MICROSECOND,
                    "first_position_id": points[0][0],
                    "last_position_id": points[-1][0],
                    "count": len(points),
                    "points": _columns(points),
                }
                for (vehicle_id, hour), points in groups.items()
            ],
        )
        return streams.Applied(b"", [], {"positions": len(rows), "track_rows": len(groups)} if rows else {})


def move_pending(session: Session, limit: int = BATCH) -> streams.EngineRun:
    """One batch of the log into tracks, committed by the caller."""
    with collector.paused():
        return streams.run_once(session, TrackStream(), limit)


def moved_up_to(session: Session) -> int:
    """The last input-log id that is in ``monitor_tracks``."""
    found = repository.checkpoint(session, TRACKS)
    return found.position_id if found else 0


def read(session: Session, vehicle_id: str, start: datetime, end: datetime) -> list[TrackPoint]:
    """A vehicle's positions with ``start <= time < end``, in time order, moved or not yet.

    Track rows are taken only up to the checkpoint read first, and the log from just after it:
    a move that commits in between (PostgreSQL reads each statement at its own snapshot) adds
    rows whose first id is past that checkpoint, so no position is read twice or missed.
    """
    done = moved_up_to(session)
    points = [
        point
        for columns in repository.track_rows(session, vehicle_id, hour_of(start), end, done)
        for point in unpack(columns)
        if start <= point.time < end
    ]
    points += [TrackPoint(*row) for row in repository.log_tail(session, vehicle_id, done, start, end)]
    points.sort(key=lambda p: (p.time, p.id))
    return points
