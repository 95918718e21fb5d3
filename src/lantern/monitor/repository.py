"""Every query of the monitoring domain; flushes, never commits."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, delete, func, insert, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from lantern.errors import Conflict
from lantern.models import (
    EngineCheckpoint,
    Geofence,
    HotlistEntry,
    HotlistHit,
    MonitoredVehicle,
    Position,
    Reader,
    ReaderCount,
    Terminal,
    VehicleTrack,
)

POSITION_LOCK = 808  # advisory lock id: position inserts commit in id order on PostgreSQL


def vehicles(session: Session, active_only: bool = True) -> Sequence[MonitoredVehicle]:
    query = select(MonitoredVehicle).order_by(MonitoredVehicle.id)
    if active_only:
        query = query.where(MonitoredVehicle.active.is_(True))
    return session.scalars(query).all()


def vehicle(session: Session, vehicle_id: str) -> MonitoredVehicle | None:
    return session.get(MonitoredVehicle, vehicle_id)


def vehicle_by_plate(session: Session, plate: str) -> MonitoredVehicle | None:
    return session.scalars(select(MonitoredVehicle).where(MonitoredVehicle.plate == plate)).first()


def terminal(session: Session, phone: str) -> Terminal | None:
    return session.get(Terminal, phone)


def add(session: Session, row: Any) -> Any:
    session.add(row)
    session.flush()
    return row


def serialise_position_inserts(session: Session) -> None:
    """Make position ids commit in order, so the engine never skips an id that commits late.

    SQLite already has one writer at a time; on PostgreSQL concurrent inserters would otherwise
    take ids 100 and 101 and might commit 101 first, and an engine reading "id > 99" would then
    pass 100 by for ever.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": POSITION_LOCK})


POSITION_COLUMNS = (
    "vehicle_id", "time", "lat", "lon", "speed_kmh", "heading", "altitude_m", "valid",
    "alarm_flags", "status_flags", "extras", "source", "received_at",
)  # fmt: skip


def insert_positions(session: Session, rows: list[dict[str, Any]]) -> None:
    """Append positions with the driver's bulk path (the gateway writes 20,000 a second).

    The ORM's per-row type processing managed ~7,000 rows/s; sqlite3 ``executemany`` and
    PostgreSQL ``COPY`` take the rows as plain tuples.
    """
    if not rows:
        return
    serialise_position_inserts(session)
    dialect = session.get_bind().dialect.name
    driver = session.connection().connection.driver_connection
    if dialect == "sqlite":
        # Terminals report on the second, so a batch holds few distinct times: format each once.
        # With the empty-extras shortcut this halved the cost of a 5,000-row batch (~90 -> ~45 ms).
        times: dict[datetime, str] = {}

        def text(value: datetime) -> str:
            found = times.get(value)
            if found is None:
                found = times[value] = _sqlite_time(value)
            return found

        tuples = [
            (
                r["vehicle_id"],
                text(r["time"]),
                r["lat"],
                r["lon"],
                r["speed_kmh"],
                r.get("heading", 0),
                r.get("altitude_m", 0),
                int(r.get("valid", True)),
                r.get("alarm_flags", 0),
                r.get("status_flags", 0),
                json.dumps(r["extras"]) if r.get("extras") else "{}",
                r["source"],
                text(r["received_at"]),
            )
            for r in rows
        ]
        marks = ", ".join("?" * len(POSITION_COLUMNS))
        statement = f"INSERT INTO monitor_positions ({', '.join(POSITION_COLUMNS)}) VALUES ({marks})"  # noqa: S608 - constants only
        cursor = driver.cursor()  # type: ignore[union-attr]
        try:
            cursor.executemany(statement, tuples)
        finally:
            cursor.close()
        return
    if dialect == "postgresql":
        with (
            driver.cursor() as cursor,
            cursor.copy(f"COPY monitor_positions ({', '.join(POSITION_COLUMNS)}) FROM STDIN") as copy,
        ):  # type: ignore[union-attr]
            for r in rows:
                copy.write_row(
                    (
                        r["vehicle_id"],
                        r["time"].astimezone(UTC),
                        r["lat"],
                        r["lon"],
                        r["speed_kmh"],
                        r.get("heading", 0),
                        r.get("altitude_m", 0),
                        bool(r.get("valid", True)),
                        r.get("alarm_flags", 0),
                        r.get("status_flags", 0),
                        json.dumps(r.get("extras") or {}),
                        r["source"],
                        r["received_at"].astimezone(UTC),
                    )
                )
        return
    session.execute(insert(Position), rows)


def _sqlite_time(value: datetime) -> str:
    """How SQLAlchemy's DateTime stores a value on SQLite (naive UTC text), so reads match."""
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value.isoformat()} refused; use aware UTC")
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def positions_after(session: Session, position_id: int, limit: int) -> list[Any]:
    query = (
        select(
            Position.id,
            Position.vehicle_id,
            Position.time,
            Position.lat,
            Position.lon,
            Position.speed_kmh,
            Position.valid,
        )
        .where(Position.id > position_id)
        .order_by(Position.id)
        .limit(limit)
    )
    return list(session.execute(query).all())


def latest_position_id(session: Session) -> int:
    return session.scalar(select(func.max(Position.id))) or 0


# Every field of a log row, in lantern.monitor.tracks.TrackPoint's order after the vehicle.
LOG_ROW = (
    Position.id, Position.vehicle_id, Position.time, Position.lat, Position.lon, Position.speed_kmh,
    Position.heading, Position.altitude_m, Position.valid, Position.alarm_flags, Position.status_flags,
    Position.extras, Position.source, Position.received_at,
)  # fmt: skip


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


def log_rows_after(session: Session, position_id: int, limit: int) -> list[tuple[Any, ...]]:
    """Log rows after ``position_id`` in id order, read through the driver for the track stream.

    Each row is (id, vehicle_id, then TrackPoint's fields) with both times as integer
    microseconds since the epoch and extras decoded. Going through the ORM's per-value type
    processing was a third of the stream's time.
    """
    sqlite = session.get_bind().dialect.name == "sqlite"
    # extras as text on PostgreSQL too: psycopg would parse every "{}" (a fifth of the read).
    columns = ", ".join(("id", *(c if sqlite or c != "extras" else "extras::text" for c in POSITION_COLUMNS)))
    statement = f"SELECT {columns} FROM monitor_positions WHERE id > %s ORDER BY id LIMIT %s"  # noqa: S608 - constants
    cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(statement.replace("%s", "?") if sqlite else statement, (position_id, limit))
        raw = cursor.fetchall()
    finally:
        cursor.close()
    micros: dict[Any, int] = {}  # terminals report on the second: few distinct times per batch

    def to_micros(value: Any) -> int:
        found = micros.get(value)
        if found is None:
            moment = datetime.fromisoformat(value).replace(tzinfo=UTC) if sqlite else value.astimezone(UTC)
            found = micros[value] = (moment - EPOCH) // MICROSECOND
        return found

    empty: dict[str, Any] = {}
    rows = []
    for r in raw:
        extras = empty if r[11] == "{}" else json.loads(r[11])
        rows.append((r[0], r[1], to_micros(r[2]), *r[3:8], bool(r[8]), r[9], r[10], extras, r[12], to_micros(r[13])))
    return rows


def log_tail(session: Session, vehicle_id: str, after_id: int, start: datetime, end: datetime) -> list[Any]:
    """One vehicle's log rows after ``after_id``: a scan of the tail by id (the log has no vehicle index)."""
    query = (
        select(*(column for column in LOG_ROW if column is not Position.vehicle_id))
        .where(Position.id > after_id, Position.vehicle_id == vehicle_id, Position.time >= start, Position.time < end)
        .order_by(Position.id)
    )
    return list(session.execute(query).all())


TRACK_COLUMNS = ("vehicle_id", "hour", "first_position_id", "last_position_id", "count", "points")


def insert_tracks(session: Session, rows: list[dict[str, Any]]) -> None:
    """Append track rows through the driver (``COPY`` on PostgreSQL): ~10,000 a minute at load."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    tuples = [
        (r["vehicle_id"], r["hour"], r["first_position_id"], r["last_position_id"], r["count"], json.dumps(r["points"]))
        for r in rows
    ]
    driver = session.connection().connection.driver_connection
    if dialect == "sqlite":
        hours: dict[datetime, str] = {}
        tuples = [(t[0], hours.get(t[1]) or hours.setdefault(t[1], _sqlite_time(t[1])), *t[2:]) for t in tuples]
        statement = f"INSERT INTO monitor_tracks ({', '.join(TRACK_COLUMNS)}) VALUES ({', '.join('?' * 6)})"  # noqa: S608
        cursor = driver.cursor()  # type: ignore[union-attr]
        try:
            cursor.executemany(statement, tuples)
        finally:
            cursor.close()
    elif dialect == "postgresql":
        with (
            driver.cursor() as cursor,  # type: ignore[union-attr]
            cursor.copy(f"COPY monitor_tracks ({', '.join(TRACK_COLUMNS)}) FROM STDIN") as copy,
        ):
            for t in tuples:
                copy.write_row(t)
    else:
        session.execute(insert(cast(Table, VehicleTrack.__table__)), rows)


def track_rows(session: Session, vehicle_id: str, first_hour: datetime, end: datetime) -> list[dict[str, Any]]:
    """The packed points of a vehicle's track rows for the hours from ``first_hour`` to ``end``."""
    query = (
        select(VehicleTrack.points)
        .where(VehicleTrack.vehicle_id == vehicle_id, VehicleTrack.hour >= first_hour, VehicleTrack.hour < end)
        .order_by(VehicleTrack.hour, VehicleTrack.id)
    )
    return list(session.scalars(query).all())


def first_track_hour(session: Session, not_before: datetime | None) -> datetime | None:
    query = select(func.min(VehicleTrack.hour))  # min/max keep the column's type: aware UTC
    if not_before is not None:
        query = query.where(VehicleTrack.hour >= not_before)
    return session.scalar(query)


def newest_track_hour(session: Session) -> datetime | None:
    return session.scalar(select(func.max(VehicleTrack.hour)))


def vehicles_with_split_hour(session: Session, hour: datetime, limit: int) -> list[str]:
    """Vehicles with more than one track row for ``hour``."""
    query = (
        select(VehicleTrack.vehicle_id)
        .where(VehicleTrack.hour == hour)
        .group_by(VehicleTrack.vehicle_id)
        .having(func.count() > 1)
        .order_by(VehicleTrack.vehicle_id)
        .limit(limit)
    )
    return list(session.scalars(query).all())


def track_rows_of(session: Session, hour: datetime, vehicle_ids: Sequence[str]) -> list[Any]:
    query = (
        select(
            VehicleTrack.id,
            VehicleTrack.vehicle_id,
            VehicleTrack.first_position_id,
            VehicleTrack.last_position_id,
            VehicleTrack.count,
            VehicleTrack.points,
        )
        .where(VehicleTrack.hour == hour, VehicleTrack.vehicle_id.in_(list(vehicle_ids)))
        .order_by(VehicleTrack.vehicle_id, VehicleTrack.id)
    )
    return list(session.execute(query).all())


def replace_tracks(
    session: Session, hour: datetime, vehicle_ids: Sequence[str], old: Sequence[int], rows: list[dict[str, Any]]
) -> None:
    """Delete the vehicles' track rows of ``hour`` that are ``old`` and insert ``rows`` instead.

    Deleted by hour, vehicle and id range (an IN list of every id would pass SQLite's limit on
    bound parameters); a count other than ``len(old)`` means another process merged these rows,
    or a row appeared in the range meanwhile, and raises Conflict (the caller rolls back).
    """
    result = session.execute(
        delete(VehicleTrack).where(
            VehicleTrack.hour == hour,
            VehicleTrack.vehicle_id.in_(list(vehicle_ids)),
            VehicleTrack.id >= min(old),
            VehicleTrack.id <= max(old),
        )
    )
    if int(result.rowcount or 0) != len(old):  # type: ignore[attr-defined]
        raise Conflict("track rows were merged by another process meanwhile; try again")
    insert_tracks(session, rows)


def checkpoint(session: Session, name: str, *, lock: bool = False) -> EngineCheckpoint | None:
    query = select(EngineCheckpoint).where(EngineCheckpoint.name == name)
    if lock:
        query = query.with_for_update()
    return session.scalars(query).first()


def geofences(session: Session, active_only: bool = True) -> Sequence[Geofence]:
    query = select(Geofence).order_by(Geofence.name)
    if active_only:
        query = query.where(Geofence.active.is_(True))
    return session.scalars(query).all()


def geofence(session: Session, fence_id: str) -> Geofence | None:
    return session.get(Geofence, fence_id)


def delete_tracks_before(session: Session, before: datetime) -> int:
    """Track rows whose whole hour is older than ``before``."""
    result = session.execute(delete(VehicleTrack).where(VehicleTrack.hour <= before - timedelta(hours=1)))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


LOG_PURGE_WINDOW = 50_000


def delete_log_before(session: Session, before: datetime, up_to_id: int) -> int:
    """Log rows received before ``before`` and with ids up to ``up_to_id``, oldest first.

    Without a time index the walk goes by id, a window at a time: rows arrive in id order, so
    the first window that keeps a row has reached the cut-off and the walk stops there.
    """
    deleted, after = 0, 0
    while after < up_to_id:
        window = select(Position.id).where(Position.id > after, Position.id <= up_to_id)
        ids = session.scalars(window.order_by(Position.id).limit(LOG_PURGE_WINDOW)).all()
        if not ids:
            break
        result = session.execute(
            delete(Position).where(Position.id >= ids[0], Position.id <= ids[-1], Position.received_at < before)
        )
        gone = int(result.rowcount or 0)  # type: ignore[attr-defined]
        deleted += gone
        if gone < len(ids):
            break
        after = ids[-1]
    return deleted


# --- hotlists -------------------------------------------------------------------------------


def hotlist_entries(
    session: Session, *, active_only: bool = True, now: datetime | None = None
) -> Sequence[HotlistEntry]:
    query = select(HotlistEntry).order_by(HotlistEntry.created_at.desc())
    if active_only:
        query = query.where(HotlistEntry.active.is_(True))
    if now is not None:
        query = query.where(HotlistEntry.expires_at > now)
    return session.scalars(query).all()


def live_entries_for(session: Session, kind: str, keys: Sequence[str], now: datetime) -> Sequence[HotlistEntry]:
    query = select(HotlistEntry).where(
        HotlistEntry.kind == kind,
        HotlistEntry.match_key.in_(list(keys)),
        HotlistEntry.active.is_(True),
        HotlistEntry.expires_at > now,
    )
    return session.scalars(query).all()


def hotlist_entry(session: Session, entry_id: int) -> HotlistEntry | None:
    return session.get(HotlistEntry, entry_id)


def reader(session: Session, reader_id: str) -> Reader | None:
    return session.get(Reader, reader_id)


def readers(session: Session) -> Sequence[Reader]:
    return session.scalars(select(Reader).order_by(Reader.id)).all()


def count_read(session: Session, reader_id: str, hour: datetime, hit: bool) -> None:
    """reads += 1 (and hits) for the reader's hour, as one atomic upsert on either backend."""
    dialect = session.get_bind().dialect.name
    builder = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = builder(ReaderCount).values(reader_id=reader_id, hour=hour, reads=1, hits=int(hit))
    statement = statement.on_conflict_do_update(
        index_elements=["reader_id", "hour"],
        set_={"reads": ReaderCount.reads + 1, "hits": ReaderCount.hits + int(hit)},
    )
    session.execute(statement)


def reader_counts(session: Session, since: datetime) -> Sequence[ReaderCount]:
    query = select(ReaderCount).where(ReaderCount.hour >= since).order_by(ReaderCount.hour, ReaderCount.reader_id)
    return session.scalars(query).all()


def hits(session: Session, limit: int = 100) -> Sequence[HotlistHit]:
    return session.scalars(select(HotlistHit).order_by(HotlistHit.read_at.desc()).limit(limit)).all()
