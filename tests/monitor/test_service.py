"""The engine runner and hotlists against the database: exactly-once alerts, nothing kept of misses."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lantern.config import Settings
from lantern.db import Base
from lantern.errors import Conflict, ValidationFailed
from lantern.models import Alert, EngineCheckpoint, HotlistHit, ReaderCount
from lantern.monitor import hotlist_service
from lantern.monitor import service as monitor_service
from lantern.monitor.schemas import CandidateIn, GeofenceIn, HotlistEntryIn, ReadIn
from tests.factories import monitor as f
from tests.factories.tracks import Leg, track


@pytest.fixture
def live(session, tmp_path):
    """Services read deployment settings from the session: the city's zone, the engine's clock."""
    session.info["settings"] = Settings(
        env="test", data_dir=tmp_path, city_timezone="Europe/Helsinki", monitor_clock="event"
    )
    return session


def _monitor_alerts(session) -> list[Alert]:
    return list(session.scalars(select(Alert).where(Alert.source == "monitor").order_by(Alert.id)))


def test_positions_become_alerts_once_and_the_checkpoint_moves(live, clock):
    f.vehicle(live, "HG-1")
    start = clock.now() - timedelta(hours=2)
    fixes = track("HG-1", start, [Leg(3, 60), Leg(2, 100), Leg(3, 60)], every_s=10, origin=f.HELSINKI)
    assert monitor_service.ingest_positions(live, f.FEED, f.positions(fixes)) == fixes.height
    run = monitor_service.process_pending(live)
    assert run.positions == fixes.height and run.alerts == 1
    [alert] = _monitor_alerts(live)
    assert alert.kind == "overspeed" and alert.subject_id == "HG-1" and alert.title == "Overspeed: P-HG-1"
    assert alert.data["lat"] == pytest.approx(f.HELSINKI[0]) and alert.status == "new"
    again = monitor_service.process_pending(live)
    assert again.positions == 0 and again.alerts == 0
    checkpoint = live.get(EngineCheckpoint, "vehicles")
    assert checkpoint.position_id == run.last_position_id and checkpoint.counts["accepted"] == fixes.height


def test_reprocessing_the_same_input_adds_no_alert(live, clock):
    """A crash after alerts are written but before the checkpoint moves is the same as this."""
    f.vehicle(live, "HG-1")
    fixes = track("HG-1", clock.now() - timedelta(hours=1), [Leg(2, 100)], every_s=10, origin=f.HELSINKI)
    monitor_service.ingest_positions(live, f.FEED, f.positions(fixes))
    monitor_service.process_pending(live)
    checkpoint = live.get(EngineCheckpoint, "vehicles")
    checkpoint.position_id, checkpoint.state = 0, b""
    rerun = monitor_service.process_pending(live)
    assert rerun.positions == fixes.height and rerun.alerts == 0
    assert len(_monitor_alerts(live)) == 1


def test_geofence_entry_is_alerted_with_the_fence_severity(live, clock):
    f.vehicle(live, "HG-1")
    lat, lon = f.HELSINKI
    square = [
        [lon + 0.01, lat - 0.01],
        [lon + 0.03, lat - 0.01],
        [lon + 0.03, lat + 0.01],
        [lon + 0.01, lat + 0.01],
        [lon + 0.01, lat - 0.01],
    ]
    monitor_service.save_geofence(
        live,
        f.SUPERVISOR,
        GeofenceIn(
            id="centre",
            name="Restricted centre",
            shape="polygon",
            geometry={"type": "Polygon", "coordinates": [square]},
            severity="critical",
        ),
    )
    fixes = track("HG-1", clock.now() - timedelta(hours=1), [Leg(4, 40)], every_s=20, origin=f.HELSINKI)  # ~2.7 km east
    monitor_service.ingest_positions(live, f.FEED, f.positions(fixes))
    monitor_service.process_pending(live)
    [alert] = _monitor_alerts(live)
    assert alert.kind == "geofence_enter" and alert.severity == "critical" and alert.data["fence"] == "centre"


def test_a_bad_geofence_is_refused_with_the_reason(live):
    circle_without_radius = GeofenceIn(
        id="s1", name="School", shape="circle", geometry={"type": "Point", "coordinates": [24.9, 60.1]}
    )
    with pytest.raises(ValidationFailed, match="needs size_m"):
        monitor_service.save_geofence(live, f.SUPERVISOR, circle_without_radius)
    wrong_shape = GeofenceIn(
        id="s2", name="Tunnel", shape="corridor", geometry={"type": "Point", "coordinates": [24.9, 60.1]}, size_m=30
    )
    with pytest.raises(ValidationFailed, match="needs a GeoJSON LineString"):
        monitor_service.save_geofence(live, f.SUPERVISOR, wrong_shape)


def test_positions_of_unregistered_vehicles_reject_the_whole_batch(live, clock):
    f.vehicle(live, "HG-1")
    fixes = track("HG-1", clock.now(), [Leg(1, 40)], origin=f.HELSINKI)
    stranger = track("XX-9", clock.now(), [Leg(1, 40)], origin=f.HELSINKI)
    with pytest.raises(ValidationFailed, match="XX-9"):
        monitor_service.ingest_positions(live, f.FEED, f.positions(fixes) + f.positions(stranger))


def _snapshot(session) -> dict[str, list[tuple]]:
    """Every row of every table, as text: what a read could have left behind."""
    tables = {}
    for table in Base.metadata.sorted_tables:
        rows = session.execute(select(table)).all()
        tables[table.name] = sorted(repr(tuple(r)) for r in rows)
    return tables


def test_reads_that_match_nothing_leave_only_the_hourly_count(live, clock, caplog):
    f.reader(live, "CAM-1", "plate")
    f.reader(live, "RFID-1", "tag")
    f.entry(live, "ABC123")
    f.entry(live, "E2801160600002051234", kind="tag")
    live.flush()
    before = _snapshot(live)
    caplog.set_level(logging.DEBUG)
    now = clock.now()
    plate = ReadIn(
        reader_id="CAM-1",
        time=now,
        candidates=[CandidateIn(text="XYZ987", confidence=0.9), CandidateIn(text="XYZ98T", confidence=0.4)],
    )
    tag = ReadIn(reader_id="RFID-1", time=now, tag="E2801160600002059999")
    assert hotlist_service.record_read(live, f.FEED, plate) is None
    assert hotlist_service.record_read(live, f.FEED, tag) is None
    live.flush()
    after = _snapshot(live)
    changed = {name for name in after if after[name] != before[name]}
    assert changed == {"reader_counts"}, f"a miss changed {changed}"
    counts = {c.reader_id: (c.reads, c.hits) for c in live.scalars(select(ReaderCount))}
    assert counts == {"CAM-1": (1, 0), "RFID-1": (1, 0)}
    everything = " ".join(" ".join(rows) for rows in after.values())
    for secret in ("XYZ987", "XYZ98T", "E2801160600002059999"):
        assert secret not in everything and secret not in caplog.text


def test_a_confusable_plate_read_hits_with_the_reader_place_and_the_case(live, clock):
    f.reader(live, "CAM-1", "plate")
    entry_id = f.entry(live, "SZD108", case_ref="CASE-2026-0042")
    seen_at = clock.now().replace(minute=2, second=0, microsecond=0)  # inside one 10-minute alert window
    read = ReadIn(
        reader_id="CAM-1",
        time=seen_at,
        candidates=[CandidateIn(text="5Z0I08", confidence=0.8), CandidateIn(text="SZD1O8", confidence=0.7)],
    )
    hit = hotlist_service.record_read(live, f.FEED, read)
    assert hit is not None and hit.entry_id == entry_id and hit.read_text == "5Z0I08"
    alert = live.get(Alert, hit.alert_id)
    assert alert.source == "hotlist" and alert.severity == "critical"
    assert alert.data["case_ref"] == "CASE-2026-0042" and alert.data["lat"] == 60.17 and alert.data["lon"] == 24.94
    assert "CASE-2026-0042" in alert.detail
    # The same car seen again a minute later at the same reader is the same alert.
    again = hotlist_service.record_read(live, f.FEED, read.model_copy(update={"time": seen_at + timedelta(minutes=1)}))
    assert again is not None and again.alert_id == hit.alert_id
    assert live.scalar(select(func.count()).select_from(HotlistHit)) == 2


def test_low_confidence_candidates_and_expired_entries_do_not_hit(live, clock):
    f.reader(live, "CAM-1", "plate")
    f.entry(live, "ABC123", days=1)
    weak = ReadIn(reader_id="CAM-1", time=clock.now(), candidates=[CandidateIn(text="ABC123", confidence=0.2)])
    assert hotlist_service.record_read(live, f.FEED, weak) is None
    clock.advance(days=2)
    sure = ReadIn(reader_id="CAM-1", time=clock.now(), candidates=[CandidateIn(text="ABC123", confidence=0.99)])
    assert hotlist_service.record_read(live, f.FEED, sure) is None, "the entry has expired"


def test_hotlist_entries_need_a_case_and_an_expiry_within_a_year(live, clock):
    with pytest.raises(ValidationFailed, match="at most 366 days"):
        hotlist_service.add_entry(
            live,
            f.SUPERVISOR,
            HotlistEntryIn(
                kind="plate", value="ABC123", case_ref="CASE-1", expires_at=clock.now() + timedelta(days=400)
            ),
        )
    with pytest.raises(ValueError, match="case_ref"):
        HotlistEntryIn(kind="plate", value="ABC123", case_ref="", expires_at=clock.now() + timedelta(days=4))
    f.entry(live, "ABC123")
    with pytest.raises(Conflict, match="already on the hotlist"):
        f.entry(live, "A8C-I23")  # the same plate once confusables are folded


def test_a_plate_reader_refuses_a_tag_read(live, clock):
    f.reader(live, "CAM-1", "plate")
    with pytest.raises(ValidationFailed, match="reads plates"):
        hotlist_service.record_read(live, f.FEED, ReadIn(reader_id="CAM-1", time=clock.now(), tag="E28011"))
