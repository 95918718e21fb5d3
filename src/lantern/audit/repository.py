"""Queries of the audit log; flushes, never commits. Writers serialise on the head row."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from lantern.models import AuditEntry, AuditHead


def lock_head(session: Session) -> AuditHead:
    """The chain head, locked until commit (FOR UPDATE on PostgreSQL; SQLite's write lock)."""
    head = session.scalars(
        select(AuditHead).where(AuditHead.id == 1).with_for_update().execution_options(populate_existing=True)
    ).one()
    return head


def append(session: Session, head: AuditHead, entry: AuditEntry) -> AuditEntry:
    session.add(entry)
    head.seq = entry.seq
    head.entry_hash = entry.entry_hash
    session.flush()
    return entry


def head(session: Session) -> AuditHead:
    return session.scalars(select(AuditHead).where(AuditHead.id == 1)).one()


ENTRY_COLUMNS = [c for c in AuditEntry.__table__.columns]


def iterate(session: Session, batch: int = 10_000) -> Iterator[dict[str, Any]]:
    """Every entry as a dict, in sequence order, fetched in batches."""
    last = 0
    while True:
        rows = (
            session.execute(select(*ENTRY_COLUMNS).where(AuditEntry.seq > last).order_by(AuditEntry.seq).limit(batch))
            .mappings()
            .all()
        )
        if not rows:
            return
        for row in rows:
            yield dict(row)
        last = int(rows[-1]["seq"])


def all_hashes(session: Session) -> list[str]:
    return [str(h) for h in session.scalars(select(AuditEntry.entry_hash).order_by(AuditEntry.seq))]


def _filtered(
    query: Select[Any],
    actor: str | None,
    object_ref: str | None,
    purpose: str | None,
    action: str | None,
    since: datetime | None,
    until: datetime | None,
) -> Select[Any]:
    if actor:
        query = query.where(AuditEntry.actor == actor)
    if object_ref:
        kind, _, ident = object_ref.partition(":")
        query = query.where(AuditEntry.object_type == kind)
        if ident:
            query = query.where(AuditEntry.object_id == ident)
    if purpose:
        query = query.where(AuditEntry.purpose_ref.contains(purpose) | AuditEntry.purpose_reason.contains(purpose))
    if action:
        query = query.where(AuditEntry.action == action)
    if since:
        query = query.where(AuditEntry.at >= since)
    if until:
        query = query.where(AuditEntry.at < until)
    return query


def search(session: Session, *, limit: int, offset: int = 0, **filters: Any) -> list[AuditEntry]:
    query = _filtered(select(AuditEntry), **filters).order_by(AuditEntry.seq.desc()).limit(limit).offset(offset)
    return list(session.scalars(query))


def count(session: Session, **filters: Any) -> int:
    return int(session.scalar(_filtered(select(func.count(AuditEntry.seq)), **filters)) or 0)
