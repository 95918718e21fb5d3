"""Early intervention: per-indicator peer comparison on a fixture with a known outlier, flags with
their driving indicators, the supervisor review workflow, officers seeing their own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from sqlalchemy import select

from lantern.errors import Conflict, Forbidden
from lantern.models import Alert, OfficerEvent
from lantern.oversight import repository
from lantern.oversight.analytics import indicator_counts, indicator_grid, peer_comparison, peer_flags
from lantern.oversight.eis import service as eis_service
from lantern.oversight.schemas import ReviewIn
from lantern.oversight.thresholds import default_settings, parse_settings
from tests.factories.security import principal_for
from tests.oversight.factories import OFFICER, SUPERVISOR

AS_OF = datetime(2026, 6, 1, tzinfo=UTC)
THRESHOLDS = default_settings().indicators
# Unit "north", night shift: eight officers with 0-2 use-of-force reports and one (n-7) with 9.
NORTH = {f"n-{i}": n for i, n in enumerate([1, 0, 2, 1, 0, 1, 2, 9])}
# Unit "port", night shift: everyone reports many (a busy harbour): 8-10 each, nobody stands out.
PORT = {f"p-{i}": n for i, n in enumerate([8, 9, 10, 9, 8, 10])}


def fixture_frames() -> tuple[pl.DataFrame, pl.DataFrame]:
    roster = [{"officer": o, "unit": "north", "shift": "night"} for o in NORTH]
    roster += [{"officer": o, "unit": "port", "shift": "night"} for o in PORT]
    roster += [{"officer": "solo", "unit": "dog", "shift": "day"}]
    events = []
    for officer, n in {**NORTH, **PORT, "solo": 12}.items():
        events += [
            {"officer": officer, "indicator": "use_of_force", "at": AS_OF - timedelta(days=3 + i)} for i in range(n)
        ]
    # Outside the 180-day window: does not count.
    events.append({"officer": "n-1", "indicator": "use_of_force", "at": AS_OF - timedelta(days=200)})
    events += [{"officer": "n-0", "indicator": "sick_day", "at": AS_OF - timedelta(days=i + 1)} for i in range(2)]
    return pl.DataFrame(roster), pl.DataFrame(events, schema_overrides={"at": pl.Datetime("us", "UTC")})


def test_the_known_outlier_is_flagged_red_on_the_one_indicator_that_drove_it():
    roster, events = fixture_frames()
    counts = indicator_counts(events, roster, THRESHOLDS, AS_OF)
    assert counts.filter((pl.col("officer") == "n-1") & (pl.col("indicator") == "use_of_force"))["value"].item() == 0
    compared = peer_comparison(counts, THRESHOLDS)
    flags = peer_flags(compared)
    # Only n-7: port officers are high but equal to their peers; "solo" has no peers to compare with.
    assert flags["officer"].to_list() == ["n-7"]
    assert flags["level"].item() == "red"
    drivers = flags["drivers"].item().to_list()
    assert [d["indicator"] for d in drivers] == ["use_of_force"]
    driver = drivers[0]
    assert driver["value"] == 9 and driver["peer_mean"] == pytest.approx(1.0)  # peers: 1,0,2,1,0,1,2
    assert driver["z"] > 3 and driver["percentile"] == 1.0
    n7 = compared.filter(pl.col("officer") == "n-7").sort("indicator")
    assert set(n7.filter(pl.col("level") == "none")["indicator"]) == {t.indicator for t in THRESHOLDS} - {
        "use_of_force"
    }


@pytest.fixture
def posted(session):
    roster, events = fixture_frames()
    for r in roster.iter_rows(named=True):
        eis_service.set_post(session, SUPERVISOR, r["officer"], r["unit"], r["shift"], supervisor="sup-wang")
    for i, e in enumerate(events.iter_rows(named=True)):
        eis_service.record_event(session, SUPERVISOR, e["officer"], e["indicator"], e["at"], f"uof:{i}")


def test_a_flag_goes_to_the_supervisor_queue_once_and_is_reviewed_with_reasons(session, clock, posted):
    clock.current = AS_OF
    run = eis_service.run_flags(session, SUPERVISOR)
    assert run.officers == 15 and [f.officer for f in run.new_flags] == ["n-7"]
    assert eis_service.run_flags(session, SUPERVISOR).new_flags == []  # once per officer and week
    alert = session.scalars(select(Alert).where(Alert.dedupe_key == "oversight:eis:n-7:2026-W23")).one()
    assert alert.assignee == "sup-wang" and "use-of-force reports" in alert.title and alert.severity == "critical"

    flag, reviews = eis_service.get_flag(session, SUPERVISOR, run.new_flags[0].id)
    assert reviews == [] and flag.status == "new"
    assert [(d["indicator"], d["value"], d["level"]) for d in flag.drivers] == [("use_of_force", 9, "red")]
    with pytest.raises(Conflict, match="can move to review"):
        eis_service.review_flag(
            session, SUPERVISOR, flag.id, ReviewIn(to_status="intervention", reason="talk to him first")
        )
    eis_service.review_flag(
        session, SUPERVISOR, flag.id, ReviewIn(to_status="review", reason="reading the nine reports")
    )
    eis_service.review_flag(
        session, SUPERVISOR, flag.id, ReviewIn(to_status="no_action", reason="all nine were one riot, reviewed")
    )
    _, reviews = eis_service.get_flag(session, SUPERVISOR, flag.id)
    assert [(r.from_status, r.to_status, r.by) for r in reviews] == [
        ("new", "review", "sup-wang"),
        ("review", "no_action", "sup-wang"),
    ]
    with pytest.raises(Conflict, match="finished"):
        eis_service.review_flag(session, SUPERVISOR, flag.id, ReviewIn(to_status="review", reason="reopen it please"))


def test_officers_see_their_own_indicators_only_and_cannot_review(session, clock, posted):
    clock.current = AS_OF
    flag = eis_service.run_flags(session, SUPERVISOR).new_flags[0]
    me = principal_for("officer", "n-7")
    mine = {r["indicator"]: r for r in eis_service.indicators_of(session, me)}
    assert (
        mine["use_of_force"]["value"] == 9
        and mine["use_of_force"]["level"] == "red"
        and mine["use_of_force"]["peers"] == 7
    )
    assert eis_service.get_flag(session, me, flag.id)[0].officer == "n-7"
    with pytest.raises(Forbidden):
        eis_service.indicators_of(session, OFFICER, "n-7")
    with pytest.raises(Forbidden):
        eis_service.get_flag(session, OFFICER, flag.id)
    with pytest.raises(Forbidden):
        eis_service.review_flag(session, me, flag.id, ReviewIn(to_status="review", reason="looks fine to me"))


def test_an_officer_without_peers_gets_no_comparison_and_no_flag(session, clock):
    clock.current = AS_OF
    eis_service.set_post(session, SUPERVISOR, "lone", "k9", "day")
    for k in range(12):
        eis_service.record_event(
            session, SUPERVISOR, "lone", "use_of_force", AS_OF - timedelta(days=k + 1), f"lone:{k}"
        )
    assert eis_service.run_flags(session, SUPERVISOR).new_flags == []
    row = {r["indicator"]: r for r in eis_service.indicators_of(session, principal_for("officer", "lone"))}[
        "use_of_force"
    ]
    assert (row["value"], row["peers"], row["peer_mean"], row["z"], row["level"]) == (12, 0, None, None, "none")


def test_thresholds_are_validated_when_loaded():
    bad = {"eis": {"indicator": [{"name": "pursuit", "window_days": 30, "yellow_z": 4, "red_z": 3, "min_count": 1}]}}
    with pytest.raises(ValueError, match="pursuit: need 0 < yellow_z <= red_z"):
        parse_settings(bad)
    with pytest.raises(ValueError, match="pursuit: field `min_count` is missing"):
        parse_settings({"eis": {"indicator": [{"name": "pursuit", "window_days": 30, "yellow_z": 2, "red_z": 3}]}})
    assert parse_settings({}).audit_review.exempt_object_types == ("eis_flag", "officer_indicators")


def test_counting_in_the_database_agrees_with_the_columnar_windows_at_their_edges(session):
    roster = pl.DataFrame([{"officer": o, "unit": "edge", "shift": "day"} for o in ("e-1", "e-2")])
    events = []
    for t in THRESHOLDS:  # on each window's edges: (as_of - days, as_of] counts, the rest does not
        start = AS_OF - timedelta(days=t.window_days)
        for n, at in enumerate([start, start + timedelta(microseconds=1), AS_OF, AS_OF + timedelta(seconds=1)]):
            events.append({"officer": "e-1", "indicator": t.indicator, "at": at, "ref": f"edge:{t.indicator}:{n}"})
    events.append({"officer": "e-2", "indicator": "not_an_indicator", "at": AS_OF, "ref": "edge:x"})
    session.add_all(OfficerEvent(**e) for e in events)
    session.flush()
    frame = pl.DataFrame(events, schema_overrides={"at": pl.Datetime("us", "UTC")})
    expected = indicator_counts(frame, roster, THRESHOLDS, AS_OF)
    windows = {t.indicator: t.window_days for t in THRESHOLDS}
    counted = repository.indicator_event_counts(session, windows, AS_OF).filter(pl.col("officer").is_in(["e-1", "e-2"]))
    got = indicator_grid(counted, roster, THRESHOLDS)
    assert got.sort("officer", "indicator").equals(expected.sort("officer", "indicator"))
    assert set(expected.filter(pl.col("officer") == "e-1")["value"]) == {2}
