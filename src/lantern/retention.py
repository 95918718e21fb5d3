"""Retention: how long each class of data is kept, and the purge that enforces it.

Each class has a legal minimum and a default maximum (days); deployments override the
maximum with ``LANTERN_RETENTION_DAYS`` but never below the minimum. ``lantern retention run``
and the scheduler inside ``lantern serve`` call :func:`run`; every purge is audited with the
class and the number of records, never their content.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from lantern.config import Settings
from lantern.errors import ValidationFailed
from lantern.mail import service as mail_service
from lantern.monitor import service as monitor_service
from lantern.oversight.evidence import service as evidence_service
from lantern.people import service as people_service
from lantern.security import context
from lantern.security import service as security_service
from lantern.security.access import audit
from lantern.security.policy import Principal


@dataclass(frozen=True)
class DataClass:
    name: str
    description: str
    min_days: int
    max_days: int | None  # None: kept (only archived by an operator decision)
    purge: Callable[..., int] | None


DATA_CLASSES = (
    DataClass(
        "login_attempts",
        "sign-in attempts used for lockout counting",
        0,
        90,
        security_service.purge_login_attempts,
    ),
    DataClass("user_sessions", "ended or abandoned browser sessions", 0, 30, security_service.purge_sessions),
    DataClass(
        "incident_parties",
        "names and numbers of people on incidents",
        365,
        5 * 365,
        people_service.purge_older_than,
    ),
    DataClass("audit_log", "the tamper-evident audit log", 365, None, None),
    DataClass("plate_reads_unmatched", "plate and tag reads that matched no hotlist (never stored)", 0, 0, None),
    # JT/T 809 asks platforms to keep regulated vehicles' tracks for at least six months.
    DataClass(
        "vehicle_positions", "tracks of regulated vehicles (JT/T 808 positions)", 180, 365, monitor_service.purge_tracks
    ),
    # The monitoring input log: positions as received. Once the rule engine and the track stream
    # have both read a row its content lives on in the tracks; it is kept a week for checking.
    DataClass(
        "vehicle_position_log",
        "monitoring input log (positions as received, also held in tracks)",
        1,
        7,
        monitor_service.purge_position_log,
    ),
    DataClass("mail_sent", "delivered e-mail (holds recipients' addresses)", 0, 30, mail_service.purge_sent),
    # Body-worn-camera rules (2016): footage kept at least six months, permanently when it is
    # evidence. Only the reference goes; the enforcement action and evidence-linked ones stay.
    DataClass(
        "footage_references",
        "body-worn-camera footage references of enforcement actions (not evidence)",
        183,
        183,
        evidence_service.purge_footage_references,
    ),
)


def effective_days(data_class: DataClass, settings: Settings) -> int | None:
    """Configured maximum for a class, checked against its minimum."""
    days = settings.retention_days.get(data_class.name, data_class.max_days)
    if days is not None and days < data_class.min_days:
        raise ValidationFailed(
            f"retention for {data_class.name} is set to {days} days, below its minimum of {data_class.min_days}"
        )
    return days


def check_settings(settings: Settings) -> None:
    """Refuse unknown class names and maxima below minima (start-up check)."""
    known = {c.name for c in DATA_CLASSES}
    unknown = sorted(set(settings.retention_days) - known)
    if unknown:
        raise ValidationFailed(f"unknown retention class(es) {unknown}; known: {sorted(known)}")
    for data_class in DATA_CLASSES:
        effective_days(data_class, settings)


def run(session: Session, settings: Settings, actor: Principal | None = None) -> list[tuple[str, int]]:
    """Purge every class past its maximum; returns (class, records purged)."""
    check_settings(settings)
    actor = actor or Principal.system("retention")
    now = context.now(session)
    results = []
    for data_class in DATA_CLASSES:
        days = effective_days(data_class, settings)
        if data_class.purge is None or days is None:
            continue
        count = data_class.purge(session, now - timedelta(days=days))
        audit(
            session,
            actor,
            "retention_purge",
            "data_class",
            data_class.name,
            details={"records": count, "older_than_days": days},
        )
        results.append((data_class.name, count))
    return results
