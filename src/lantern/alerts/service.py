"""Alert rules: raise once per condition, acknowledge, resolve with who and why."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from lantern.alerts import repository
from lantern.errors import Conflict, NotFound, ValidationFailed
from lantern.live.broker import publish
from lantern.models import Alert
from lantern.security import context
from lantern.security.access import guard
from lantern.security.policy import Principal

SEVERITIES = ("info", "warning", "critical")
LIFECYCLE = {"new": {"acknowledged", "resolved"}, "acknowledged": {"resolved"}, "resolved": set()}


@dataclass(frozen=True)
class AlertIn:
    source: str
    kind: str
    severity: str
    subject_type: str
    subject_id: str
    title: str
    dedupe_key: str
    detail: str = ""
    data: dict[str, Any] | None = None
    due_at: datetime | None = None
    assignee: str = ""


def to_event(alert: Alert) -> dict[str, Any]:
    return {
        "id": alert.id,
        "source": alert.source,
        "kind": alert.kind,
        "severity": alert.severity,
        "title": alert.title,
        "status": alert.status,
        "subject_type": alert.subject_type,
        "subject_id": alert.subject_id,
        "created_at": alert.created_at.isoformat(),
        "district_id": (alert.data or {}).get("district_id"),
        "restricted": bool((alert.data or {}).get("restricted")),
        # Alerts with a place (vehicle rules, hotlist hits) are drawn on the operations map.
        "lat": (alert.data or {}).get("lat"),
        "lon": (alert.data or {}).get("lon"),
    }


def raise_alert(session: Session, alert_in: AlertIn) -> tuple[Alert, bool]:
    """Create the alert unless one with the same dedupe key exists; returns (alert, created)."""
    if alert_in.severity not in SEVERITIES:
        raise ValidationFailed(f"severity {alert_in.severity!r} is not one of {', '.join(SEVERITIES)}")
    existing = repository.by_key(session, alert_in.dedupe_key)
    if existing is not None:
        return existing, False
    alert = repository.add(
        session,
        Alert(
            source=alert_in.source,
            kind=alert_in.kind,
            severity=alert_in.severity,
            subject_type=alert_in.subject_type,
            subject_id=alert_in.subject_id,
            title=alert_in.title[:300],
            detail=alert_in.detail,
            data=alert_in.data or {},
            status="new",
            dedupe_key=alert_in.dedupe_key[:200],
            created_at=context.now(session),
            due_at=alert_in.due_at,
            assignee=alert_in.assignee,
        ),
    )
    publish(session, "alert", to_event(alert))
    return alert, True


def _move(session: Session, alert_id: int, wanted: str) -> Alert:
    alert = repository.get(session, alert_id)
    if alert is None:
        raise NotFound(f"alert {alert_id} does not exist")
    if wanted not in LIFECYCLE[alert.status]:
        raise Conflict(f"alert {alert_id} is {alert.status}; it cannot become {wanted}")
    return alert


def acknowledge(session: Session, principal: Principal, alert_id: int) -> Alert:
    """Someone has seen it and is on it."""
    guard(principal, "alert:manage", "alert", alert_id)
    alert = _move(session, alert_id, "acknowledged")
    alert.status, alert.acknowledged_by, alert.acknowledged_at = "acknowledged", principal.name, context.now(session)
    publish(session, "alert", to_event(alert))
    return alert


def resolve(session: Session, principal: Principal, alert_id: int, resolution: str) -> Alert:
    """Close it, saying why."""
    guard(principal, "alert:manage", "alert", alert_id)
    if len(resolution.strip()) < 3:
        raise ValidationFailed("say how the alert was resolved (at least 3 characters)")
    alert = _move(session, alert_id, "resolved")
    now = context.now(session)
    if alert.acknowledged_at is None:
        alert.acknowledged_by, alert.acknowledged_at = principal.name, now
    alert.status, alert.resolved_by, alert.resolved_at, alert.resolution = (
        "resolved",
        principal.name,
        now,
        resolution.strip()[:500],
    )
    publish(session, "alert", to_event(alert))
    return alert


def list_alerts(
    session: Session,
    principal: Principal,
    *,
    include_resolved: bool = False,
    source: str | None = None,
    limit: int = 200,
) -> list[Alert]:
    """The queue, newest first, within the reader's scope."""
    guard(principal, "alert:read", "alert", "list")
    statuses = ["new", "acknowledged", "resolved"] if include_resolved else ["new", "acknowledged"]
    scope = principal.row_scope()
    return [
        a
        for a in repository.list_alerts(session, statuses, source, limit)
        if scope.allows((a.data or {}).get("district_id"), bool((a.data or {}).get("restricted")))
        or ((a.data or {}).get("district_id") is None and not (a.data or {}).get("restricted"))
    ]


def resolved_among(session: Session, alert_ids: list[int]) -> set[int]:
    """Which of these alerts or tasks are resolved: a status only, for scheduled jobs of other modules."""
    return repository.resolved_among(session, alert_ids)
