"""Call intake, duplicates, recommendation, assignment, status and timers against the database."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lantern.alerts import service as alert_service
from lantern.city import service as city_service
from lantern.dispatch import service as dispatch_service
from lantern.dispatch import timers
from lantern.dispatch.schemas import CallCreate
from lantern.dispatch.status import IllegalTransition
from lantern.errors import Conflict, ValidationFailed
from lantern.models import Assignment, IncidentEvent, IncidentParty, PremiseWarning, Unit
from lantern.resources import service as resource_service
from tests.factories.security import principal_for

DESK = principal_for("dispatcher", "desk-1")


def _call(session, **fields) -> dispatch_service.IntakeResult:
    fields.setdefault("type_code", "BURG")
    fields.setdefault("address", "Annankatu 25")
    return dispatch_service.take_call(session, DESK, CallCreate(**fields))


def _park_units(session, near: tuple[float, float], far: tuple[float, float]) -> tuple[Unit, Unit]:
    """All units far away except P101, parked near the incident."""
    units = resource_service.list_units(session)
    for unit in units:
        unit.lat, unit.lon, unit.status = far[0], far[1], "available"
    chosen = next(u for u in units if u.callsign == "P101")
    chosen.lat, chosen.lon = near
    session.flush()
    return chosen, next(u for u in units if u.callsign == "P102")


def test_a_call_from_an_address_opens_a_graded_incident(session):
    result = _call(session, narrative="window smashed, someone inside")
    incident = result.incident
    assert incident.status == "open" and incident.priority == 2 and incident.type_code == "BURG"
    assert incident.natural_key.startswith("C") and incident.address_id is not None
    assert incident.district_id is not None and incident.category == "burglary"
    kinds = [e.kind for e in session.scalars(select(IncidentEvent).where(IncidentEvent.incident_id == incident.id))]
    assert kinds == ["call_received"]


def test_a_priority_override_needs_a_reason_and_is_on_the_timeline(session):
    with pytest.raises(ValidationFailed, match="needs a reason"):
        _call(session, priority=1)
    incident = _call(session, priority=1, priority_reason="caller hears screaming").incident
    assert incident.priority == 1
    override = session.scalars(
        select(IncidentEvent).where(IncidentEvent.incident_id == incident.id, IncidentEvent.kind == "priority_override")
    ).one()
    assert override.text == "caller hears screaming"


def test_a_call_can_be_placed_by_coordinates(session):
    address = city_service.geocode(session, "Bulevardi 10").address
    incident = _call(session, address=None, lat=address.lat + 0.0001, lon=address.lon).incident
    assert incident.address_id == address.id  # snapped to the registry entry 11 m away


def test_unknown_address_is_an_error_with_candidates(session):
    from lantern.city.geocoder import AddressNotFound

    with pytest.raises(AddressNotFound):
        _call(session, address="Annankatu 999")


def test_the_caller_is_stored_encrypted_and_linked(session):
    result = _call(session, caller_name="Liisa Laine", caller_phone="+358 40 765 4321")
    party = session.get(IncidentParty, result.call.caller_party_id)
    assert party.role == "caller" and party.name_enc.startswith("enc:v1:")


def test_a_nearby_call_of_the_same_family_is_offered_for_merge_and_joins_the_timeline(session, clock):
    first = _call(session).incident
    clock.advance(minutes=5)
    second = _call(session, type_code="ALARM", address="Annankatu 27")  # property family, next door
    assert [d.id for d in second.duplicates] == [first.id]
    assert _call(session, type_code="NOISE", address="Annankatu 27").duplicates == []  # another family
    merged = _call(session, type_code="BURG", address="Annankatu 27", merge_into=first.id)
    assert merged.merged and merged.incident.id == first.id
    kinds = [e.kind for e in session.scalars(select(IncidentEvent).where(IncidentEvent.incident_id == first.id))]
    assert kinds == ["call_received", "call_merged"]
    clock.advance(minutes=40)  # outside the 30-minute window
    assert _call(session, address="Annankatu 27").duplicates == []


def test_premise_warnings_are_shown_for_the_address(session, clock):
    address = city_service.geocode(session, "Annankatu 25").address
    session.add(PremiseWarning(address_id=address.id, text="dog on premises", created_by="x", created_at=clock.now()))
    session.flush()
    assert _call(session).premise_warnings == ["dog on premises"]


def test_recommendation_picks_the_unit_nearest_by_road(session):
    incident = _call(session).incident
    near, _ = _park_units(session, near=(incident.lat + 0.002, incident.lon), far=(60.1775, 24.9500))
    result = dispatch_service.recommend(session, DESK, incident.id)
    assert result.plan == {"patrol": 1}
    assert [r.callsign for r in result.recommendations] == [near.callsign]
    assert 0 < result.recommendations[0].seconds < 240


def test_accepting_the_recommendation_dispatches_and_times_are_kept(session, clock):
    incident = _call(session).incident
    near, _ = _park_units(session, near=(incident.lat + 0.002, incident.lon), far=(60.1775, 24.9500))
    dispatch_service.assign(session, DESK, incident.id, [near.id])
    assert near.status == "dispatched" and near.incident_id == incident.id
    clock.advance(seconds=30)
    dispatch_service.set_unit_status(session, DESK, near.id, "en_route")
    clock.advance(seconds=200)
    dispatch_service.set_unit_status(session, DESK, near.id, "on_scene")
    clock.advance(minutes=20)
    dispatch_service.set_unit_status(session, DESK, near.id, "cleared")
    assignment = session.scalars(select(Assignment).where(Assignment.incident_id == incident.id)).one()
    assert (assignment.enroute_at - assignment.assigned_at).total_seconds() == 30
    assert (assignment.onscene_at - assignment.enroute_at).total_seconds() == 200
    assert near.status == "available" and near.incident_id is None


def test_sending_other_units_needs_a_reason(session):
    incident = _call(session).incident
    _, other = _park_units(session, near=(incident.lat + 0.002, incident.lon), far=(60.1775, 24.9500))
    with pytest.raises(ValidationFailed, match="needs a reason"):
        dispatch_service.assign(session, DESK, incident.id, [other.id])
    dispatch_service.assign(session, DESK, incident.id, [other.id], override_reason="P101 is refuelling")
    assignment = session.scalars(select(Assignment).where(Assignment.incident_id == incident.id)).one()
    assert not assignment.recommended and assignment.override_reason == "P101 is refuelling"
    event = session.scalars(
        select(IncidentEvent).where(IncidentEvent.incident_id == incident.id, IncidentEvent.kind == "units_dispatched")
    ).one()
    assert "P101 is refuelling" in event.text and event.data["recommended"] == ["P101"]


def test_a_busy_unit_cannot_be_sent_again(session):
    first = _call(session).incident
    second = _call(session, type_code="THEFT", address="Bulevardi 10").incident
    near, _ = _park_units(session, near=(first.lat + 0.002, first.lon), far=(60.1775, 24.9500))
    dispatch_service.assign(session, DESK, first.id, [near.id])
    with pytest.raises(Conflict, match="already dispatched"):
        dispatch_service.assign(session, DESK, second.id, [near.id], override_reason="closest")


def test_illegal_status_changes_are_refused(session):
    unit = resource_service.list_units(session)[0]
    unit.status = "available"
    with pytest.raises(IllegalTransition, match="it can go to dispatched, out_of_service"):
        dispatch_service.set_unit_status(session, DESK, unit.id, "on_scene")


def test_an_officer_may_update_only_the_unit_they_crew(session):
    from lantern.errors import Forbidden

    unit = resource_service.list_units(session)[0]
    unit.status = "available"
    officer = principal_for("officer", "pc-1", user_id=999_999)
    with pytest.raises(Forbidden):
        dispatch_service.set_unit_status(session, officer, unit.id, "out_of_service")


def test_a_p1_not_dispatched_within_60_seconds_raises_one_alert(session, clock):
    incident = _call(session, type_code="ASSLT").incident
    clock.advance(seconds=59)
    assert timers.check(session) == 0
    clock.advance(seconds=2)
    assert timers.check(session) == 1
    assert timers.check(session) == 0  # the same condition does not alert twice
    alert = next(a for a in alert_service.list_alerts(session, DESK) if a.subject_id == str(incident.id))
    assert alert.severity == "critical" and "not dispatched" in alert.title


def test_a_unit_on_scene_45_minutes_without_update_raises_an_alert(session, clock):
    incident = _call(session).incident
    near, _ = _park_units(session, near=(incident.lat + 0.002, incident.lon), far=(60.1775, 24.9500))
    dispatch_service.assign(session, DESK, incident.id, [near.id])
    dispatch_service.set_unit_status(session, DESK, near.id, "on_scene")
    clock.advance(minutes=44)
    assert all(a.kind != "on_scene_no_update" for a in alert_service.list_alerts(session, DESK))
    clock.advance(minutes=2)
    timers.check(session)
    assert any(
        a.kind == "on_scene_no_update" and a.subject_id == str(near.id)
        for a in alert_service.list_alerts(session, DESK)
    )


def test_alert_lifecycle_records_who_and_why(session, clock):
    _call(session, type_code="ASSLT")
    clock.advance(seconds=120)
    timers.check(session)
    alert = alert_service.list_alerts(session, DESK)[0]
    alert_service.acknowledge(session, DESK, alert.id)
    with pytest.raises(ValidationFailed):
        alert_service.resolve(session, DESK, alert.id, "")
    alert_service.resolve(session, DESK, alert.id, "units were busy; dispatched P203")
    assert (alert.status, alert.acknowledged_by, alert.resolved_by) == ("resolved", "desk-1", "desk-1")
    with pytest.raises(Conflict):
        alert_service.acknowledge(session, DESK, alert.id)


def test_an_incident_closes_only_when_its_units_have_cleared(session):
    incident = _call(session).incident
    near, _ = _park_units(session, near=(incident.lat + 0.002, incident.lon), far=(60.1775, 24.9500))
    dispatch_service.assign(session, DESK, incident.id, [near.id])
    with pytest.raises(Conflict, match="still assigned"):
        dispatch_service.close_incident(session, DESK, incident.id, "report taken")
    dispatch_service.set_unit_status(session, DESK, near.id, "cleared")
    assert dispatch_service.close_incident(session, DESK, incident.id, "report taken").status == "closed"
    with pytest.raises(Conflict, match="closed"):
        _call(session, merge_into=incident.id)
