"""Queries of the alert queue; flushes, never commits."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lantern.models import Alert


def by_key(session: Session, dedupe_key: str) -> Alert | None:
    return session.scalars(select(Alert).where(Alert.dedupe_key == dedupe_key)).one_or_none()


def add(session: Session, alert: Alert) -> Alert:
    session.add(alert)
    session.flush()
    return alert


def get(session: Session, alert_id: int) -> Alert | None:
    return session.get(Alert, alert_id)


def list_alerts(session: Session, statuses: list[str], source: str | None, limit: int) -> list[Alert]:
    query = select(Alert).where(Alert.status.in_(statuses))
    if source:
        query = query.where(Alert.source == source)
    return list(session.scalars(query.order_by(Alert.created_at.desc(), Alert.id.desc()).limit(limit)))


def count_open(session: Session) -> int:
    return int(session.scalar(select(func.count(Alert.id)).where(Alert.status != "resolved")) or 0)


def resolved_among(session: Session, alert_ids: list[int]) -> set[int]:
    """Which of these alerts are resolved."""
    if not alert_ids:
        return set()
    return set(session.scalars(select(Alert.id).where(Alert.id.in_(alert_ids), Alert.status == "resolved")))
