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

from lantern.models import EngineCheckpoint
from lantern.monitor import collector, repository, streams
from lantern.security import context

TRACKS = "vehicle_tracks"  # checkpoint name
BATCH = 50_000  # log rows per transaction
SEALED = "vehicle_tracks_sealed"  # checkpoint whose state is the first hour not yet sealed
SEAL_PART = 500  # vehicle-hours merged per transaction (SQLite has one writer: keep it short)


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
_EPOCH, _MICROSECOND = repository.EPOCH, repository.MICROSECOND  # times are µs since the epoch
_HOUR_US = 3_600_000_000
_TIMES = ("time", "received_at")


def hour_of(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def micros(moment: datetime) -> int:
    return (moment - _EPOCH) // _MICROSECOND


def pack(points: Sequence[TrackPoint]) -> dict[str, list[Any]]:
    """Column-wise JSON, as the stream writes it (from log rows); times as integer microseconds
    since the epoch (exact, unlike floats). The inverse of :func:`unpack`."""
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

    The checkpoint is read first, then the track rows, then the log after that checkpoint: a
    position not yet moved when the track rows are read is still in the log (the log is purged
    only below the checkpoint, days later), so none is missed. One moved in between (on
    PostgreSQL each statement sees its own snapshot) is in both, and is kept once.
    """
    done = moved_up_to(session)
    packed = repository.track_rows(session, vehicle_id, hour_of(start), end)
    return combine(packed, repository.log_tail(session, vehicle_id, done, start, end), start, end)


def combine(
    packed: Sequence[dict[str, list[Any]]], tail: Sequence[Sequence[Any]], start: datetime, end: datetime
) -> list[TrackPoint]:
    """Track rows' points and log rows in ``[start, end)``, each position once, in time order."""
    by_id = {point.id: point for columns in packed for point in unpack(columns) if start <= point.time < end}
    for row in tail:
        by_id.setdefault(row[0], TrackPoint(*row))
    return sorted(by_id.values(), key=lambda p: (p.time, p.id))


# --- sealing: one row per vehicle and hour once the hour is over --------------------------------
#
# The stream writes a row per vehicle, hour and batch: sixty a vehicle-hour at one batch a
# minute, often of two points each. Once an hour is over (by the wall clock and by the newest
# data moved, so a replay of old data is sealed behind its own front), its rows are merged into
# one. Hours are sealed in order; the first hour not yet sealed is a checkpoint of its own. A
# late upload into a sealed hour makes a small extra row, which the reader takes as any other.


def first_unsealed_hour(session: Session) -> datetime | None:
    found = repository.checkpoint(session, SEALED)
    if found and found.state:
        return datetime.fromisoformat(found.state.decode())
    return repository.first_track_hour(session, None)


def hour_to_seal(session: Session, now: datetime) -> datetime | None:
    """The oldest hour holding track rows that is due for sealing, if any."""
    start = first_unsealed_hour(session)
    newest = repository.newest_track_hour(session)
    if start is None or newest is None:
        return None
    hour = repository.first_track_hour(session, start)
    ready_before = min(hour_of(now), newest) - timedelta(hours=1)
    return hour if hour is not None and hour < ready_before else None


def seal_part(session: Session, hour: datetime, limit: int = SEAL_PART) -> int:
    """Merge up to ``limit`` vehicles' rows of ``hour`` into one row each; returns how many.

    Raises :class:`~lantern.errors.Conflict` (the caller's transaction rolls back) when another
    process merged some of the same rows first.
    """
    with collector.paused():  # a part decodes ~30,000 small JSON rows: see move_pending
        return _seal_part(session, hour, limit)


def _seal_part(session: Session, hour: datetime, limit: int) -> int:
    vehicles = repository.vehicles_with_split_hour(session, hour, limit)
    if not vehicles:
        return 0
    rows = repository.track_rows_of(session, hour, vehicles)
    merged: dict[str, dict[str, Any]] = {}
    for row in rows:  # in vehicle, then id order: the points stay in log order
        into = merged.get(row.vehicle_id)
        if into is None:
            merged[row.vehicle_id] = {
                "vehicle_id": row.vehicle_id,
                "hour": hour,
                "first_position_id": row.first_position_id,
                "last_position_id": row.last_position_id,
                "count": row.count,
                "points": {name: list(row.points[name]) for name in FIELDS},
            }
            continue
        into["first_position_id"] = min(into["first_position_id"], row.first_position_id)
        into["last_position_id"] = max(into["last_position_id"], row.last_position_id)
        into["count"] += row.count
        for name in FIELDS:
            into["points"][name].extend(row.points[name])
    repository.replace_tracks(session, hour, vehicles, [row.id for row in rows], list(merged.values()))
    return len(merged)


def mark_sealed(session: Session, hour: datetime) -> None:
    """Every vehicle's rows of ``hour`` are merged: the next hour is the first unsealed one."""
    found = repository.checkpoint(session, SEALED, lock=True)
    if found is None:
        found = repository.add(
            session, EngineCheckpoint(name=SEALED, position_id=0, state=b"", counts={}, updated_at=context.now(session))
        )
    found.state = (hour + timedelta(hours=1)).isoformat().encode()
    found.updated_at = context.now(session)
