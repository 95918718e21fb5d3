"""The weekly trend-alert job of ``lantern serve``: alerts land on the one queue once, however often it runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import sessionmaker

from lantern.alerts import service as alert_service
from lantern.city import service as city_service
from lantern.crime.jobs import trend_alerts_job
from lantern.models import Incident
from lantern.runtime import Runtime
from lantern.scheduler import default_jobs
from lantern.security.policy import Principal

SURGE_WEEK = datetime(2025, 12, 1, tzinfo=UTC)  # a Monday of the demo year


def _runtime(session, settings, engine, clock) -> Runtime:
    factory = sessionmaker(
        bind=session.connection(), join_transaction_mode="create_savepoint", expire_on_commit=False,
        info=dict(session.info),
    )  # fmt: skip
    return Runtime(settings=settings, engine=engine, sessions=factory, clock=clock, keyring=session.info["keyring"])


def _plant_burglaries(session, district, count: int) -> None:
    """A burst of burglaries in one district: ~2 a week is the demo's usual."""
    for i in range(count):
        moment = SURGE_WEEK + timedelta(days=2, hours=i % 12)
        session.add(
            Incident(
                source="test",
                natural_key=f"surge-{i}",
                category="burglary",
                occurred_from=moment,
                occurred_to=moment,
                time_precision="minute",
                lat=district.centroid_lat,
                lon=district.centroid_lon,
                h3_cell="891126d3203ffff",
                district_id=district.id,
                recorded_at=moment,
            )
        )
    session.flush()


def _surge_alerts(session, district) -> list:
    queued = alert_service.list_alerts(session, Principal.system("tests:crime-jobs"), source="crime")
    return [
        a
        for a in queued
        if a.kind == "trend" and a.subject_id == district.code and a.dedupe_key.endswith(":2025-12-01")
        and a.data["category"] == "burglary"
    ]  # fmt: skip


def test_the_weekly_job_queues_a_surge_once_however_often_it_runs(session, settings, engine, clock):
    district = city_service.list_districts(session)[0]
    _plant_burglaries(session, district, 25)
    runtime = _runtime(session, settings, engine, clock)

    clock.current = SURGE_WEEK + timedelta(days=9, hours=3)  # Wednesday of the next week
    first = trend_alerts_job(runtime)
    again = trend_alerts_job(runtime)
    assert _surge_alerts(session, district) and len(_surge_alerts(session, district)) == 1
    raised = int(first.split()[0])
    assert raised >= 1 and first.endswith(f"{raised} new")
    assert again == f"{raised} trend alerts in the last 2 weeks, 0 new"

    # a week later the surge week is looked at again (late records), and still queued only once
    clock.current += timedelta(days=7)
    later = trend_alerts_job(runtime)
    assert "trend alerts in the last 2 weeks" in later
    surge = _surge_alerts(session, district)
    assert len(surge) == 1 and surge[0].severity == "critical" and surge[0].status == "new"
    assert surge[0].data["observed"] >= 25


def test_the_job_is_scheduled_daily_inside_lantern_serve():
    """Daily: a finished week is looked at within a day of its end, not up to a week later."""
    jobs = {job.name: job for job in default_jobs()}
    assert jobs["crime-trend-alerts"].every == timedelta(days=1)
    assert jobs["crime-trend-alerts"].run is trend_alerts_job
