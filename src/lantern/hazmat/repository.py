"""Every query of the hazardous-materials ledger; flushes, never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from lantern.models import HazmatEntry, HazmatHolder, HazmatLicence, HazmatReport

T = TypeVar("T", HazmatHolder, HazmatLicence, HazmatReport, HazmatEntry)


def add(session: Session, row: T) -> T:
    session.add(row)
    session.flush()
    return row


def add_all(session: Session, rows: Sequence[HazmatEntry]) -> None:
    session.add_all(rows)
    session.flush()


def holder_by_code(session: Session, code: str) -> HazmatHolder | None:
    return session.scalars(select(HazmatHolder).where(HazmatHolder.code == code)).one_or_none()


def holders(session: Session) -> Sequence[HazmatHolder]:
    return session.scalars(select(HazmatHolder).order_by(HazmatHolder.code)).all()


def licence_by_number(session: Session, number: str) -> HazmatLicence | None:
    return session.scalars(select(HazmatLicence).where(HazmatLicence.number == number)).one_or_none()


def licences(session: Session, holder_id: int | None = None) -> Sequence[HazmatLicence]:
    query = select(HazmatLicence).order_by(HazmatLicence.number)
    if holder_id is not None:
        query = query.where(HazmatLicence.holder_id == holder_id)
    return session.scalars(query).all()


def report(session: Session, holder_id: int, report_id: str) -> HazmatReport | None:
    return session.scalars(
        select(HazmatReport).where(HazmatReport.holder_id == holder_id, HazmatReport.report_id == report_id)
    ).one_or_none()


def reports(session: Session, holder_id: int, limit: int = 50) -> Sequence[HazmatReport]:
    return session.scalars(
        select(HazmatReport)
        .where(HazmatReport.holder_id == holder_id)
        .order_by(HazmatReport.period_end.desc(), HazmatReport.id.desc())
        .limit(limit)
    ).all()


def last_period_ends(session: Session) -> dict[int, datetime]:
    """Per holder id, the end of the latest period it has reported."""
    # Read through the model (not func.max): on SQLite an aggregate bypasses the UTC column type.
    found: dict[int, datetime] = {}
    for holder_id, period_end in session.execute(select(HazmatReport.holder_id, HazmatReport.period_end)).all():
        if holder_id not in found or period_end > found[holder_id]:
            found[holder_id] = period_end
    return found


def entries(session: Session, licence_ids: Sequence[int] | None = None) -> Sequence[HazmatEntry]:
    query = select(HazmatEntry).order_by(HazmatEntry.occurred_at, HazmatEntry.id)
    if licence_ids is not None:
        query = query.where(HazmatEntry.licence_id.in_(licence_ids))
    return session.scalars(query).all()


def transfer_references(session: Session, licence_id: int, kind: str, references: Sequence[str]) -> set[str]:
    """References already used by this licence for transfers of ``kind``."""
    if not references:
        return set()
    return set(
        session.scalars(
            select(HazmatEntry.reference).where(
                HazmatEntry.licence_id == licence_id, HazmatEntry.kind == kind, HazmatEntry.reference.in_(references)
            )
        ).all()
    )
