"""Dispatch timers: raise alerts when a call waits too long or a unit goes quiet on scene.

Run by the scheduler every few seconds; idempotent (each condition has one dedupe key).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from lantern.alerts import service as alert_service
from lantern.alerts.service import AlertIn
from lantern.dispatch import repository
from lantern.dispatch.service import codes
from lantern.incidents import service as incident_service
from lantern.kit.scope import RowScope
from lantern.resources import service as resource_service
from lantern.security import context


def check(session: Session) -> int:
    """Raise the alerts that are due now; returns how many were new."""
    now = context.now(session)
    table = codes(session)
    created = 0
    waiting = incident_service.open_incidents(session, RowScope.everything())
    dispatched = repository.dispatched_incident_ids(session, [i.id for i in waiting])
    first_calls = repository.first_call_times(session, [i.id for i in waiting])
    for incident in waiting:
        limit = table.dispatch_within.get(incident.priority or 4)
        received = first_calls.get(incident.id)
        if incident.id in dispatched or limit is None or received is None or now - received < timedelta(seconds=limit):
            continue
        _, new = alert_service.raise_alert(
            session,
            AlertIn(
                source="dispatch",
                kind="not_dispatched",
                severity="critical" if incident.priority == 1 else "warning",
                subject_type="incident",
                subject_id=str(incident.id),
                title=f"P{incident.priority} {incident.natural_key} not dispatched after {limit} s",
                dedupe_key=f"dispatch:not_dispatched:{incident.id}",
                data={"district_id": incident.district_id, "restricted": incident.restricted},
            ),
        )
        created += new
    quiet_after = timedelta(seconds=table.on_scene_without_update)
    for unit in resource_service.with_status(session, ["on_scene"]):
        last = repository.last_status_event(session, unit.id)
        since = last.at if last else unit.status_changed_at
        if since is None or now - since < quiet_after:
            continue
        _, new = alert_service.raise_alert(
            session,
            AlertIn(
                source="dispatch",
                kind="on_scene_no_update",
                severity="warning",
                subject_type="unit",
                subject_id=str(unit.id),
                title=f"{unit.callsign} on scene {int((now - since).total_seconds() // 60)} min without an update",
                dedupe_key=f"dispatch:on_scene_no_update:{unit.id}:{since.isoformat()}",
                data={"incident_id": unit.incident_id},
            ),
        )
        created += new
    return created
