"""Vehicles' history in ``monitor_tracks``: what the timeline shows is the same before, during and
after the track stream moves the input log, the move is exactly-once, and retention purges each
store on its own terms."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, inspect, select

from lantern.config import Settings
from lantern.db import Base, transaction
from lantern.models import Position, VehicleTrack
from lantern.monitor import repository, runner, tracks
from lantern.monitor import service as monitor_service
from lantern.monitor.tracks import TrackPoint
from tests.factories import monitor as f
from tests.factories.tracks import Leg, track

MIDNIGHT = datetime(2026, 11, 20, tzinfo=UTC)


@pytest.fixture
def live(session, tmp_path):
    session.info["settings"] = Settings(
        env="test", data_dir=tmp_path, city_timezone="Europe/Helsinki", monitor_clock="event"
    )
    return session


def _drive(session, vehicle_id: str, start: datetime, minutes: float = 40, every_s: float = 20) -> int:
    """A vehicle driving ``minutes`` from ``start``; returns the number of fixes."""
    if monitor_service.repository.vehicle(session, vehicle_id) is None:
        f.vehicle(session, vehicle_id)
    fixes = track(vehicle_id, start, [Leg(minutes, 60)], every_s=every_s, origin=f.HELSINKI)
    return monitor_service.ingest_positions(session, f.FEED, f.positions(fixes))


def _day(session, vehicle_id: str, day: datetime) -> list[dict]:
    return monitor_service.vehicle_day(session, f.SUPERVISOR, vehicle_id, day)["positions"]


def _move_all(session, limit: int = tracks.BATCH) -> int:
    moved = 0
    while run := tracks.move_pending(session, limit).positions:
        moved += run
    return moved


def test_a_day_reads_the_same_before_during_and_after_the_move(live):
    # 23:40 -> 00:20 UTC: the drive crosses an hour and a day; a second vehicle interleaves.
    fixes = _drive(live, "TR-1", MIDNIGHT - timedelta(minutes=20))
    _drive(live, "TR-2", MIDNIGHT - timedelta(minutes=20))
    before = _day(live, "TR-1", MIDNIGHT)
    previous_day = _day(live, "TR-1", MIDNIGHT - timedelta(days=1))
    assert len(before) + len(previous_day) == fixes
    assert [p["time"] for p in before] == sorted(p["time"] for p in before)
    assert all(datetime.fromisoformat(p["time"]) >= MIDNIGHT for p in before)

    waiting = monitor_service.engine_status(live, f.SUPERVISOR)["tracks_backlog"]
    assert waiting >= 2 * fixes  # both vehicles, not yet filed (what /monitor shows)
    tracks.move_pending(live, limit=fixes // 2)  # part moved, the rest still only in the log
    assert monitor_service.engine_status(live, f.SUPERVISOR)["tracks_backlog"] == waiting - fixes // 2
    assert _day(live, "TR-1", MIDNIGHT) == before
    assert _day(live, "TR-1", MIDNIGHT - timedelta(days=1)) == previous_day

    _move_all(live, limit=25)
    assert _day(live, "TR-1", MIDNIGHT) == before
    assert _day(live, "TR-1", MIDNIGHT - timedelta(days=1)) == previous_day
    assert tracks.moved_up_to(live) == repository.latest_position_id(live)
    assert monitor_service.engine_status(live, f.SUPERVISOR)["tracks_backlog"] == 0
    rows = live.scalars(select(VehicleTrack).where(VehicleTrack.vehicle_id == "TR-1")).all()
    assert {r.hour for r in rows} == {MIDNIGHT - timedelta(hours=1), MIDNIGHT}
    assert sum(r.count for r in rows) == fixes


def test_a_move_is_exactly_once_and_keeps_every_field(live):
    f.vehicle(live, "TR-3")
    at = MIDNIGHT + timedelta(hours=8, microseconds=123_457)
    row = {
        "vehicle_id": "TR-3", "time": at, "lat": 60.17, "lon": 24.94, "speed_kmh": 42.5, "heading": 271,
        "altitude_m": -3, "valid": False, "alarm_flags": 0xFFFFFFFF, "status_flags": 3,
        "extras": {"0x01": 123456, "0xe1": "0a0b"}, "source": "jt808", "received_at": at + timedelta(seconds=1),
    }  # fmt: skip
    monitor_service.record_positions(live, [dict(row)])
    assert _move_all(live) == 1
    assert _move_all(live) == 0  # nothing is moved twice
    (point,) = tracks.read(live, "TR-3", MIDNIGHT, MIDNIGHT + timedelta(days=1))
    assert point._asdict() | {"vehicle_id": "TR-3"} == row | {"id": point.id}
    assert live.scalar(select(func.count()).select_from(VehicleTrack).where(VehicleTrack.vehicle_id == "TR-3")) == 1


def test_rows_moved_after_the_checkpoint_was_read_are_left_to_the_tail(live):
    """The reader's guard for PostgreSQL, where each statement sees its own snapshot."""
    _drive(live, "TR-4", MIDNIGHT + timedelta(hours=3))
    seen_checkpoint = tracks.moved_up_to(live)
    _move_all(live)  # commits "between" the reader's checkpoint and its track query
    start, end = MIDNIGHT, MIDNIGHT + timedelta(days=1)
    from_tracks = repository.track_rows(live, "TR-4", start, end, seen_checkpoint)
    from_tail = repository.log_tail(live, "TR-4", seen_checkpoint, start, end)
    everything = tracks.read(live, "TR-4", start, end)
    assert from_tracks == [] and len(from_tail) == len(everything) > 0


times = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC))
points = st.builds(
    TrackPoint,
    id=st.integers(1, 2**62),
    time=times,
    lat=st.floats(-90, 90),
    lon=st.floats(-180, 180),
    speed_kmh=st.floats(0, 400),
    heading=st.integers(0, 359),
    altitude_m=st.integers(-500, 9000),
    valid=st.booleans(),
    alarm_flags=st.integers(0, 2**32 - 1),
    status_flags=st.integers(0, 2**32 - 1),
    extras=st.dictionaries(st.text(max_size=6), st.integers(0, 2**32) | st.text(max_size=8), max_size=3),
    source=st.sampled_from(["jt808", "http", "replay"]),
    received_at=times,
)


@given(st.lists(points, max_size=20))
def test_packing_points_gives_them_back_exactly(batch):
    assert tracks.unpack(tracks.pack(batch)) == batch


def test_retention_purges_whole_old_hours_of_tracks_and_only_read_log_rows(live, clock):
    now = clock.now()
    old_day = now - timedelta(days=200)
    _drive(live, "TR-5", old_day.replace(minute=10), minutes=20)
    _drive(live, "TR-5", now - timedelta(hours=2), minutes=20)
    live.execute(Position.__table__.update().values(received_at=Position.time))  # as if received live
    monitor_service.process_pending(live)
    _move_all(live)
    log_before = live.scalar(select(func.count()).select_from(Position))

    # The log keeps a week: the old drive goes, the recent one stays (read by both streams).
    purged = monitor_service.purge_position_log(live, now - timedelta(days=7))
    assert 0 < purged < log_before
    assert live.scalar(select(func.count()).select_from(Position)) == log_before - purged
    # ... and the old day is still on the timeline, from its tracks.
    old_start = old_day.replace(hour=0, minute=0, second=0, microsecond=0)
    assert len(_day(live, "TR-5", old_start)) == purged

    # Tracks keep 180 days: an hour ending before the cut-off goes, the hour holding it stays.
    cut = old_day.replace(minute=20)
    assert monitor_service.purge_tracks(live, cut) == 0
    assert monitor_service.purge_tracks(live, now - timedelta(days=180)) == 1
    assert _day(live, "TR-5", old_start) == []
    assert len(_day(live, "TR-5", (now - timedelta(hours=2)).replace(hour=0, minute=0, second=0, microsecond=0))) > 0


def test_the_log_keeps_rows_the_track_stream_has_not_read_however_old(live, clock):
    _drive(live, "TR-6", clock.now() - timedelta(days=30), minutes=10)
    live.execute(Position.__table__.update().values(received_at=Position.time))
    monitor_service.process_pending(live)  # the rule engine has read them; the track stream has not
    assert monitor_service.purge_position_log(live, clock.now() - timedelta(days=7)) == 0
    _move_all(live)
    assert monitor_service.purge_position_log(live, clock.now() - timedelta(days=7)) > 0


def test_draining_the_engine_also_moves_the_tracks(fresh_runtime):
    with transaction(fresh_runtime.sessions) as session:
        fixes = _drive(session, "TR-7", MIDNIGHT)
    assert runner.drain(fresh_runtime) == fixes
    with transaction(fresh_runtime.sessions) as session:
        assert tracks.moved_up_to(session) == repository.latest_position_id(session) > 0
        assert len(tracks.read(session, "TR-7", MIDNIGHT, MIDNIGHT + timedelta(days=1))) == fixes


def test_the_migrations_make_the_monitor_tables_the_models_declare(session):
    opts = {
        "compare_type": False,
        "include_name": lambda name, kind, _parent: kind != "table" or name.startswith("monitor_"),
    }
    context = MigrationContext.configure(session.connection(), opts=opts)
    assert [d for d in compare_metadata(context, Base.metadata) if "monitor_" in repr(d)] == []
    # The input log is indexed by id alone (the gateway's commit cost; decision 0007).
    assert inspect(session.connection()).get_indexes("monitor_positions") == []
