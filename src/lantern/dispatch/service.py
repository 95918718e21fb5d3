"""Dispatch rules: call intake and merging, graded response, unit recommendation and status."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from lantern.city import service as city_service
from lantern.dispatch import repository, status
from lantern.dispatch.codes import CodeTable, IncidentType, load_codes
from lantern.dispatch.recommend import Candidate, Recommendation, fill_plan
from lantern.dispatch.routing import RoutingGraph
from lantern.dispatch.schemas import CallCreate, DuplicateRead
from lantern.errors import Conflict, ValidationFailed
from lantern.incidents import service as incident_service
from lantern.kit.geo import h3_cell, haversine_m_array
from lantern.kit.scope import RowScope
from lantern.live.broker import publish
from lantern.models import Assignment, Call, Incident, Unit, UnitStatusEvent
from lantern.people import service as people_service
from lantern.resources import service as resource_service
from lantern.security import context
from lantern.security.access import guard
from lantern.security.policy import Principal

CAD_SOURCE = "cad"
SNAP_TO_ADDRESS_M = 60.0  # a clicked point this close to a registered address takes its id
_GRAPHS: dict[tuple[str, datetime], RoutingGraph] = {}


def codes(session: Session) -> CodeTable:
    """The code table configured for this deployment."""
    path = context.setting(session, "dispatch_codes_path")
    return load_codes(str(path) if path else None)


def routing_graph(session: Session) -> RoutingGraph:
    """The routing structure of the current city (built once per city import)."""
    city = city_service.get_or_raise(session)
    key = (str(session.get_bind().engine.url), city.imported_at)
    graph = _GRAPHS.get(key)
    if graph is None:
        nodes = city_service.road_nodes(session)
        graph = _GRAPHS[key] = RoutingGraph(
            [n.id for n in nodes],
            np.array([n.lat for n in nodes]),
            np.array([n.lon for n in nodes]),
            city_service.road_edges(session),
        )
    return graph


def incident_event(incident: Incident) -> dict[str, Any]:
    return {
        "id": incident.id,
        "number": incident.natural_key,
        "type_code": incident.type_code,
        "category": incident.category,
        "priority": incident.priority,
        "status": incident.status,
        "lat": incident.lat,
        "lon": incident.lon,
        "district_id": incident.district_id,
        "restricted": incident.restricted,
        "occurred_from": incident.occurred_from.isoformat(),
    }


def unit_event(unit: Unit) -> dict[str, Any]:
    return {
        "id": unit.id,
        "callsign": unit.callsign,
        "kind": unit.kind,
        "status": unit.status,
        "lat": unit.lat,
        "lon": unit.lon,
        "incident_id": unit.incident_id,
    }


# ------------------------------------------------------------------ intake


@dataclass(frozen=True)
class Located:
    lat: float
    lon: float
    address_id: int | None
    text: str


def locate(session: Session, call_in: CallCreate) -> Located:
    """Resolve the call's location: address text (geocoded), a registry id, or a point."""
    if call_in.address and call_in.address.strip():
        match = city_service.geocode(session, call_in.address)
        return Located(match.address.lat, match.address.lon, match.address.id, match.address.text)
    if call_in.address_id is not None:
        address = city_service.address_or_raise(session, call_in.address_id)
        return Located(address.lat, address.lon, address.id, address.text)
    assert call_in.lat is not None and call_in.lon is not None
    nearest, _ = city_service.reverse(session, call_in.lat, call_in.lon)
    close = nearest.distance_m <= SNAP_TO_ADDRESS_M
    text = f"near {nearest.address.text}" if not close else nearest.address.text
    return Located(call_in.lat, call_in.lon, nearest.address.id if close else None, text)


def duplicates(
    session: Session, scope: RowScope, incident_type: IncidentType, lat: float, lon: float
) -> list[DuplicateRead]:
    """Open incidents of the same family near the call and recent enough to be the same event."""
    table = codes(session)
    now = context.now(session)
    recent = incident_service.open_incidents(session, scope, since=now - timedelta(minutes=table.duplicate_minutes))
    same_family = [
        i for i in recent if i.type_code and table.types.get(i.type_code, incident_type).family == incident_type.family
    ]
    if not same_family:
        return []
    distance = haversine_m_array(
        np.array([i.lat for i in same_family]),
        np.array([i.lon for i in same_family]),
        np.full(len(same_family), lat),
        np.full(len(same_family), lon),
    )
    found = [
        DuplicateRead(
            id=i.id,
            number=i.natural_key,
            type_code=i.type_code,
            priority=i.priority,
            distance_m=round(float(d), 1),
            minutes_ago=round((now - i.occurred_from).total_seconds() / 60, 1),
        )
        for i, d in zip(same_family, distance.tolist(), strict=True)
        if d <= table.duplicate_radius_m
    ]
    return sorted(found, key=lambda d: d.distance_m)


def premise_warnings(session: Session, address_id: int | None) -> list[str]:
    """Active warnings recorded for an address."""
    if address_id is None:
        return []
    return [w.text for w in repository.warnings_for(session, [address_id], context.now(session))]


@dataclass(frozen=True)
class IntakeResult:
    incident: Incident
    call: Call
    merged: bool
    duplicates: list[DuplicateRead]
    premise_warnings: list[str]


def take_call(session: Session, principal: Principal, call_in: CallCreate) -> IntakeResult:
    """Record a call: a new incident, or joined to an open one the dispatcher chose to merge into."""
    guard(principal, "dispatch:intake", "call", "new")
    table = codes(session)
    incident_type = table.type_or_raise(call_in.type_code)
    priority = call_in.priority or incident_type.priority
    if priority != incident_type.priority and len(call_in.priority_reason.strip()) < 3:
        raise ValidationFailed(
            f"{incident_type.code} is graded P{incident_type.priority}; overriding to P{priority} needs a reason"
        )
    where = locate(session, call_in)
    now = context.now(session)
    scope = principal.row_scope()
    if call_in.merge_into is not None:
        incident = _merge_target(session, scope, call_in.merge_into)
        merged = True
    else:
        incident = _new_incident(session, incident_type, priority, where, now)
        merged = False
    call = repository.add(
        session,
        Call(
            incident_id=incident.id,
            received_at=now,
            taken_by=principal.name,
            type_code=incident_type.code,
            priority=priority,
            priority_override_reason=call_in.priority_reason.strip(),
            location_text=where.text,
            lat=where.lat,
            lon=where.lon,
            address_id=where.address_id,
            narrative=call_in.narrative,
            merged=merged,
        ),
    )
    caller = call_in.caller()
    if caller is not None:
        call.caller_party_id = people_service.create(session, principal, incident.id, caller).id
    text = f"{incident_type.label} at {where.text}" + (f": {call_in.narrative}" if call_in.narrative else "")
    incident_service.add_event(
        session,
        incident.id,
        "call_merged" if merged else "call_received",
        principal.name,
        text,
        {"call_id": call.id, "priority": priority},
    )
    if merged and priority < (incident.priority or 4):
        incident_service.add_event(
            session,
            incident.id,
            "priority_changed",
            principal.name,
            f"P{incident.priority} -> P{priority} (merged call)",
            {"from": incident.priority, "to": priority},
        )
        incident.priority = priority
    if priority != incident_type.priority:
        incident_service.add_event(
            session,
            incident.id,
            "priority_override",
            principal.name,
            call_in.priority_reason.strip(),
            {"default": incident_type.priority, "chosen": priority},
        )
    found = (
        []
        if merged
        else [d for d in duplicates(session, scope, incident_type, where.lat, where.lon) if d.id != incident.id]
    )
    publish(session, "incident", incident_event(incident))
    return IntakeResult(incident, call, merged, found, premise_warnings(session, where.address_id))


def _merge_target(session: Session, scope: RowScope, incident_id: int) -> Incident:
    incident_service.get_or_raise(session, scope, incident_id)
    incident = incident_service.lock(session, incident_id)
    if incident.status != "open":
        raise Conflict(f"incident {incident.natural_key} is closed; a call can only join an open incident")
    return incident


def _new_incident(
    session: Session, incident_type: IncidentType, priority: int, where: Located, now: datetime
) -> Incident:
    index = city_service.district_index(session)
    district = index.locate_one(where.lat, where.lon)
    incident = incident_service.create(
        session,
        Incident(
            source=CAD_SOURCE,
            natural_key=f"pending-{uuid.uuid4().hex}",
            category=incident_type.category,
            occurred_from=now,
            occurred_to=now,
            time_precision="second",
            lat=where.lat,
            lon=where.lon,
            h3_cell=h3_cell(where.lat, where.lon, context.setting(session, "h3_resolution", 9)),
            district_id=district.id if district else None,
            premise="",
            description="",
            attributes={},
            recorded_at=now,
            status="open",
            priority=priority,
            type_code=incident_type.code,
            address_id=where.address_id,
            restricted=incident_type.restricted,
        ),
    )
    # A readable incident number from the database id: unique without a separate sequence.
    incident.natural_key = f"C{now:%Y%m%d}-{incident.id:05d}"
    return incident


# ------------------------------------------------------------------ recommendation and assignment


@dataclass(frozen=True)
class RecommendResult:
    incident: Incident
    plan: dict[str, int]
    recommendations: list[Recommendation]
    missing: dict[str, int]


def recommend(session: Session, principal: Principal, incident_id: int) -> RecommendResult:
    """The nearest available suitable units by road travel time, per the response plan."""
    guard(principal, "dispatch:assign", "incident", incident_id)
    incident = incident_service.get_or_raise(session, principal.row_scope(), incident_id)
    table = codes(session)
    district = city_service.district_code(session, incident.district_id)
    plan = table.plan_for(incident.type_code or "*", incident.priority or 4, district)
    units = [u for u in resource_service.with_status(session, ["available"]) if u.lat is not None and u.lon is not None]
    kinds = {k for slot in plan.units for k in table.substitutes.get(slot, [slot])}
    units = [u for u in units if u.kind in kinds]
    if not units:
        return RecommendResult(incident, plan.units, [], dict(plan.units))
    graph = routing_graph(session)
    target = graph.snap(np.array([incident.lat]), np.array([incident.lon]))[0]
    estimates = graph.estimate(
        target, incident.lat, incident.lon, np.array([u.lat for u in units]), np.array([u.lon for u in units])
    )
    candidates = [Candidate(u.id, u.callsign, u.kind, e) for u, e in zip(units, estimates, strict=True)]
    chosen, missing = fill_plan(plan.units, table.substitutes, candidates)
    return RecommendResult(incident, plan.units, chosen, missing)


def assign(
    session: Session, principal: Principal, incident_id: int, unit_ids: list[int], override_reason: str = ""
) -> list[Assignment]:
    """Send units; choosing other units than recommended needs a reason (logged on the timeline).

    Units are locked first, so two desks sending the same unit at once cannot both succeed:
    the second finds it no longer available.
    """
    guard(principal, "dispatch:assign", "incident", incident_id)
    if len(set(unit_ids)) != len(unit_ids):
        raise ValidationFailed("the same unit is listed twice")
    incident_service.get_or_raise(session, principal.row_scope(), incident_id)
    units = resource_service.lock(session, unit_ids)
    incident = incident_service.lock(session, incident_id)
    if incident.status != "open":
        raise Conflict(f"incident {incident.natural_key} is closed")
    for unit in units:
        if unit.status != "available":
            raise Conflict(f"unit {unit.callsign} is already {unit.status.replace('_', ' ')}; choose another unit")
    suggested = recommend(session, principal, incident_id)
    suggested_ids = {r.unit_id for r in suggested.recommendations}
    estimates = {r.unit_id: r for r in suggested.recommendations}
    overriding = set(unit_ids) != suggested_ids
    if overriding and len(override_reason.strip()) < 3:
        names = ", ".join(r.callsign for r in suggested.recommendations) or "none"
        raise ValidationFailed(f"the recommendation was {names}; sending other units needs a reason")
    now = context.now(session)
    made = []
    for unit in units:
        estimate = estimates.get(unit.id)
        made.append(
            repository.add(
                session,
                Assignment(
                    incident_id=incident.id,
                    unit_id=unit.id,
                    assigned_at=now,
                    assigned_by=principal.name,
                    recommended=unit.id in suggested_ids,
                    override_reason=override_reason.strip() if overriding else "",
                    travel_seconds=estimate.seconds if estimate else None,
                    straight_line=estimate.straight_line if estimate else False,
                ),
            )
        )
        _set_status(session, principal, unit, "dispatched", incident.id, override_reason.strip() if overriding else "")
    text = "dispatched " + ", ".join(u.callsign for u in units)
    data: dict[str, Any] = {"units": [u.callsign for u in units]}
    if overriding:
        text += f" (instead of the recommendation: {override_reason.strip()})"
        data["recommended"] = sorted(r.callsign for r in suggested.recommendations)
    incident_service.add_event(session, incident.id, "units_dispatched", principal.name, text, data)
    return made


def _set_status(
    session: Session, principal: Principal, unit: Unit, wanted: str, incident_id: int | None, reason: str
) -> None:
    status.check(unit.status, wanted, unit.callsign)
    now = context.now(session)
    previous = unit.status
    repository.add(
        session,
        UnitStatusEvent(
            unit_id=unit.id,
            status=wanted,
            previous=previous,
            at=now,
            incident_id=incident_id or unit.incident_id,
            actor=principal.name,
            reason=reason,
        ),
    )
    if wanted == "cleared":
        unit.status, unit.incident_id = "available", None
    else:
        unit.status = wanted
        if incident_id is not None:
            unit.incident_id = incident_id
    unit.status_changed_at = now
    publish(session, "unit", unit_event(unit))


def set_unit_status(session: Session, principal: Principal, unit_id: int, wanted: str, reason: str = "") -> Unit:
    """Move a unit through its status machine; illegal transitions are refused with the options."""
    unit = resource_service.lock(session, [unit_id])[0]
    own = principal.user_id is not None and unit.officer_user_id == principal.user_id
    if not own:
        guard(principal, "unit:update_any", "unit", unit_id)
    else:
        guard(principal, "unit:update_own", "unit", unit_id)
    if wanted not in (*status.STATUSES, "cleared"):
        raise ValidationFailed(f"unknown status {wanted!r}; statuses are {', '.join((*status.STATUSES, 'cleared'))}")
    incident_id = unit.incident_id
    _set_status(session, principal, unit, wanted, None, reason)
    now = context.now(session)
    for assignment in repository.active_assignments(session, unit_id=unit.id):
        if wanted == "en_route":
            assignment.enroute_at = assignment.enroute_at or now
        elif wanted == "on_scene":
            assignment.onscene_at = assignment.onscene_at or now
            assignment.enroute_at = assignment.enroute_at or now
        elif wanted == "cleared":
            assignment.cleared_at = now
    if incident_id is not None:
        incident_service.add_event(
            session,
            incident_id,
            f"unit_{wanted}",
            principal.name,
            f"{unit.callsign} {wanted.replace('_', ' ')}" + (f": {reason}" if reason else ""),
            {"unit": unit.callsign},
        )
    return unit


def field_report(session: Session, principal: Principal, incident_id: int, text: str) -> None:
    """A short report from the field, appended to the timeline."""
    guard(principal, "incident:write", "incident", incident_id)
    incident_service.get_or_raise(session, principal.row_scope(), incident_id)
    incident_service.add_event(session, incident_id, "field_report", principal.name, text.strip())


def close_incident(session: Session, principal: Principal, incident_id: int, disposition: str) -> Incident:
    """Close an incident once no unit is still working it."""
    guard(principal, "dispatch:assign", "incident", incident_id)
    incident_service.get_or_raise(session, principal.row_scope(), incident_id)
    incident = incident_service.lock(session, incident_id)
    busy = repository.active_assignments(session, incident_id=incident_id)
    if busy:
        raise Conflict(f"{len(busy)} unit(s) are still assigned; clear them before closing")
    incident.status, incident.closed_at = "closed", context.now(session)
    incident_service.add_event(session, incident_id, "closed", principal.name, disposition.strip())
    publish(session, "incident", incident_event(incident))
    return incident


def report_position(session: Session, unit_id: int, lat: float, lon: float) -> Unit:
    """A unit's terminal (or the simulator) reporting where it is."""
    unit = resource_service.get_or_raise(session, unit_id)
    resource_service.move(unit, lat, lon, context.now(session))
    publish(session, "unit", unit_event(unit))
    return unit


def take_unit(session: Session, principal: Principal, callsign: str) -> Unit:
    """An officer signs on to a unit for the shift."""
    guard(principal, "unit:update_own", "unit", callsign)
    unit = resource_service.by_callsign_or_raise(session, callsign)
    if unit.officer_user_id not in (None, principal.user_id):
        raise Conflict(f"unit {callsign} is already crewed by another officer")
    previous = resource_service.unit_of_officer(session, principal.user_id or 0)
    if previous is not None and previous.id != unit.id:
        previous.officer_user_id = None
    unit.officer_user_id = principal.user_id
    return unit


def assignments_of(session: Session, incident_id: int) -> list[Assignment]:
    return repository.assignments_of(session, incident_id)


def calls_of(session: Session, incident_id: int) -> list[Call]:
    return repository.calls_of(session, incident_id)
