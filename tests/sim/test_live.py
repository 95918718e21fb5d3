"""The live demo scenario moves the world through the same services as human work."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from lantern.incidents import service as incident_service
from lantern.kit.scope import RowScope
from lantern.models import Assignment, Incident
from lantern.resources import service as resource_service
from lantern.sim.live import LiveScenario


def test_calls_arrive_units_respond_clear_and_incidents_close(session, clock):
    # A fixed afternoon: the call rate follows the daily cycle, and at 05:00 it is too quiet to test.
    clock.current = datetime(2026, 11, 4, 12, 0, tzinfo=UTC)
    for unit in resource_service.list_units(session):
        unit.status = "available"
    scenario = LiveScenario(seed=3)
    counts = scenario.tick(session, seconds=1800)  # half an hour of calls at once
    assert counts["calls"] > 5
    opened = {i.id for i in incident_service.open_incidents(session, RowScope.everything())}
    clock.advance(seconds=45)
    assert scenario.tick(session, seconds=1)["dispatched"] >= 1
    moving = {u.callsign for u in resource_service.list_units(session) if u.status == "en_route"}
    assert moving
    positions = {u.callsign: (u.lat, u.lon) for u in resource_service.list_units(session)}
    clock.advance(seconds=20)
    scenario.tick(session, seconds=1)
    moved = [
        u
        for u in resource_service.list_units(session)
        if u.callsign in moving and (u.lat, u.lon) != positions[u.callsign]
    ]
    assert moved, "units on their way must move along the road"
    for _ in range(60):  # an hour in one-minute steps: trips end, service times pass
        clock.advance(minutes=1)
        scenario.tick(session, seconds=0)
    closed = session.scalars(select(Incident).where(Incident.id.in_(opened), Incident.status == "closed")).all()
    assert closed, "handled incidents are closed"
    done = session.scalars(
        select(Assignment).where(Assignment.onscene_at.is_not(None), Assignment.cleared_at.is_not(None))
    ).all()
    assert done and all(a.enroute_at <= a.onscene_at <= a.cleared_at for a in done)
