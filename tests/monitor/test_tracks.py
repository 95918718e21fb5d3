"""Vehicles' history in ``monitor_tracks``: what the timeline shows is the same before, during and
after the track stream moves the input log, the move is exactly-once, and retention purges each
store on its own terms."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, inspect, select

from lantern.config import Settings
from lantern.db import transaction
from lantern.errors import Conflict
from lantern.models import Position, VehicleTrack
from lantern.monitor import repository, runner, tracks
from lantern.monitor import service as monitor_service
from lantern.monitor.tracks import TrackPoint
from tests.factories import monitor as f
from tests.factories.tracks import Leg, track
from tests.support.schema import migration_drift

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
    # Ids, not rows: on PostgreSQL rolled-back inserts leave gaps in the id sequence.
    assert 0 < monitor_service.engine_status(live, f.SUPERVISOR)["tracks_backlog"] <= waiting - fixes // 2
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


def test_positions_moved_while_a_day_is_read_are_shown_once(live):
    """On PostgreSQL each statement of the read sees its own snapshot: a move can fall between
    the reader's checkpoint and its track query, and then the positions are in both."""
    _drive(live, "TR-4", MIDNIGHT + timedelta(hours=3))
    start, end = MIDNIGHT, MIDNIGHT + timedelta(days=1)
    stale_checkpoint = tracks.moved_up_to(live)
    _move_all(live)  # commits between the reader's checkpoint and its track query
    packed = repository.track_rows(live, "TR-4", start, end)
    tail = repository.log_tail(live, "TR-4", stale_checkpoint, start, end)
    assert packed and len(tail) > 0  # the same positions, twice over
    shown = tracks.combine(packed, tail, start, end)
    assert len({p.id for p in shown}) == len(shown) == len(tail)
    assert shown == tracks.read(live, "TR-4", start, end)


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


def _rows_per_hour(session, vehicle_id: str) -> dict[datetime, int]:
    rows = session.scalars(select(VehicleTrack).where(VehicleTrack.vehicle_id == vehicle_id)).all()
    counts: dict[datetime, int] = {}
    for row in rows:
        counts[row.hour] = counts.get(row.hour, 0) + 1
    return counts


def _seal_all(session, now: datetime) -> int:
    merged = 0
    while (hour := tracks.hour_to_seal(session, now)) is not None:
        part = tracks.seal_part(session, hour, limit=1)  # one vehicle a part: the parts must add up
        if part == 0:
            tracks.mark_sealed(session, hour)
        merged += part
    return merged


def test_finished_hours_are_sealed_into_one_row_per_vehicle_and_read_the_same(live):
    # Three hours of driving moved in small batches (many rows per vehicle-hour), two vehicles.
    for vehicle_id in ("TS-1", "TS-2"):
        _drive(live, vehicle_id, MIDNIGHT + timedelta(hours=1), minutes=180, every_s=30)
    _move_all(live, limit=40)
    day = _day(live, "TS-1", MIDNIGHT)
    one, two, three, four = (MIDNIGHT + timedelta(hours=h) for h in (1, 2, 3, 4))
    before = _rows_per_hour(live, "TS-1")
    assert sorted(before) == [one, two, three, four]
    assert before[one] > 1 and before[two] > 1 and before[three] > 1 and before[four] == 1  # 04:00: the last fix

    # The newest data is in hour 04, so hours before 03 are due (the wall clock is days on).
    assert _seal_all(live, now=MIDNIGHT + timedelta(days=5)) == 2 * 2
    assert _rows_per_hour(live, "TS-1") == {one: 1, two: 1, three: before[three], four: 1}
    assert _day(live, "TS-1", MIDNIGHT) == day
    sealed = live.scalars(select(VehicleTrack).where(VehicleTrack.vehicle_id == "TS-1", VehicleTrack.hour == one)).one()
    ids = sealed.points["id"]
    assert ids == sorted(ids) and sealed.count == len(ids) == 120
    assert (sealed.first_position_id, sealed.last_position_id) == (ids[0], ids[-1])
    assert _seal_all(live, now=MIDNIGHT + timedelta(days=5)) == 0  # nothing twice


def test_the_wall_clock_also_holds_sealing_back(live):
    _drive(live, "TS-3", MIDNIGHT + timedelta(hours=1), minutes=120, every_s=60)
    _move_all(live, limit=10)
    assert tracks.hour_to_seal(live, now=MIDNIGHT + timedelta(hours=2, minutes=30)) is None
    assert tracks.hour_to_seal(live, now=MIDNIGHT + timedelta(hours=3)) == MIDNIGHT + timedelta(hours=1)


def test_a_late_upload_into_a_sealed_hour_is_still_shown(live):
    _drive(live, "TS-4", MIDNIGHT + timedelta(hours=1), minutes=180, every_s=60)
    _move_all(live, limit=20)
    _seal_all(live, now=MIDNIGHT + timedelta(days=5))
    before = _day(live, "TS-4", MIDNIGHT)
    late = track(
        "TS-4", MIDNIGHT + timedelta(hours=1, minutes=30, seconds=7), [Leg(1, 0)], every_s=60, origin=f.HELSINKI
    )
    monitor_service.ingest_positions(live, f.FEED, f.positions(late))  # a blind-area upload, days later
    _move_all(live)
    shown = _day(live, "TS-4", MIDNIGHT)
    assert len(shown) == len(before) + late.height
    assert [p["time"] for p in shown] == sorted(p["time"] for p in shown)


def test_merging_rows_another_process_merged_first_is_refused(live):
    _drive(live, "TS-5", MIDNIGHT + timedelta(hours=1), minutes=60, every_s=60)
    _move_all(live, limit=10)
    hour = MIDNIGHT + timedelta(hours=1)
    stale = repository.track_rows_of(live, hour, ["TS-5"])
    assert tracks.seal_part(live, hour) == 1  # the other process
    with pytest.raises(Conflict):
        repository.replace_tracks(live, hour, ["TS-5"], [r.id for r in stale], [])


def test_draining_the_engine_also_moves_and_seals_the_tracks(fresh_runtime):
    fixes = track("TR-7", MIDNIGHT, [Leg(240, 50)], every_s=60, origin=f.HELSINKI)
    with transaction(fresh_runtime.sessions) as session:
        f.vehicle(session, "TR-7")
    for part in (fixes.head(90), fixes.tail(-90)):  # 00:00-01:29, then 01:30-04:00
        with transaction(fresh_runtime.sessions) as session:
            monitor_service.ingest_positions(session, f.FEED, f.positions(part))
        assert runner.drain(fresh_runtime) == part.height
    with transaction(fresh_runtime.sessions) as session:
        assert tracks.moved_up_to(session) == repository.latest_position_id(session) > 0
        assert len(tracks.read(session, "TR-7", MIDNIGHT, MIDNIGHT + timedelta(days=1))) == fixes.height
        # Hour 01 came in two drains; the data reach 04:00, so it is sealed into one row.
        assert set(_rows_per_hour(session, "TR-7").values()) == {1}
        assert tracks.first_unsealed_hour(session) == MIDNIGHT + timedelta(hours=3)


def test_the_migrations_make_the_monitor_tables_the_models_declare(session):
    assert migration_drift(session, "monitor_") == []
    # The input log is indexed by id alone (the gateway's commit cost; decision 0007).
    assert inspect(session.connection()).get_indexes("monitor_positions") == []
