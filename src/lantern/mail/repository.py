"""Queries of the outbox; flushes, never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from lantern.models.mail import MailMessage


def add(session: Session, message: MailMessage) -> MailMessage:
    session.add(message)
    session.flush()
    return message


def due(session: Session, now: datetime, limit: int) -> Sequence[MailMessage]:
    """Queued messages whose next attempt is due, oldest first."""
    query = (
        select(MailMessage)
        .where(MailMessage.status == "queued", MailMessage.next_attempt_at <= now)
        .order_by(MailMessage.id)
        .limit(limit)
    )
    return session.scalars(query).all()


def by_topic(session: Session, topic: str) -> Sequence[MailMessage]:
    return session.scalars(select(MailMessage).where(MailMessage.topic == topic).order_by(MailMessage.id)).all()


def purge_sent_before(session: Session, cutoff: datetime) -> int:
    result = session.execute(delete(MailMessage).where(MailMessage.status == "sent", MailMessage.sent_at < cutoff))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
