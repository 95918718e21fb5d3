"""Every query of lost and found; flushes, never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lantern.models.lostfound import FoundItem, LostFoundMatch, LostReport


def add(session: Session, row: object) -> None:
    session.add(row)
    session.flush()


def code_taken(session: Session, code: str) -> bool:
    found = session.scalar(select(func.count()).select_from(FoundItem).where(FoundItem.code == code))
    lost = session.scalar(select(func.count()).select_from(LostReport).where(LostReport.tracking_code == code))
    return bool(found or lost)


def report_by_code(session: Session, code: str) -> LostReport | None:
    return session.scalars(select(LostReport).where(LostReport.tracking_code == code)).one_or_none()


def stored_candidates(session: Session, category: str, found_from: datetime, found_to: datetime) -> Sequence[FoundItem]:
    """Items of a category still in storage, found in the window (the coarse filter before scoring)."""
    return session.scalars(
        select(FoundItem)
        .where(
            FoundItem.category == category,
            FoundItem.status == "stored",
            FoundItem.found_at >= found_from,
            FoundItem.found_at <= found_to,
        )
        .order_by(FoundItem.found_at)
    ).all()


def decisions(session: Session, lost_id: int) -> dict[int, LostFoundMatch]:
    rows = session.scalars(select(LostFoundMatch).where(LostFoundMatch.lost_id == lost_id)).all()
    return {row.found_id: row for row in rows}


def match(session: Session, lost_id: int, found_id: int) -> LostFoundMatch | None:
    return session.scalars(
        select(LostFoundMatch).where(LostFoundMatch.lost_id == lost_id, LostFoundMatch.found_id == found_id)
    ).one_or_none()


def reports_matched_to(session: Session, found_id: int) -> Sequence[LostReport]:
    return session.scalars(select(LostReport).where(LostReport.matched_item_id == found_id)).all()


def found_items(session: Session, limit: int = 500) -> Sequence[FoundItem]:
    return session.scalars(select(FoundItem).order_by(FoundItem.found_at.desc()).limit(limit)).all()


def open_reports(session: Session, limit: int = 500) -> Sequence[LostReport]:
    return session.scalars(
        select(LostReport)
        .where(LostReport.status.in_(("open", "likely_match")))
        .order_by(LostReport.created_at.desc())
        .limit(limit)
    ).all()


def unclaimed_unflagged(session: Session, found_before: datetime) -> Sequence[FoundItem]:
    return session.scalars(
        select(FoundItem).where(
            FoundItem.status == "stored", FoundItem.found_at < found_before, FoundItem.unclaimed_flagged_at.is_(None)
        )
    ).all()


def public_items(
    session: Session, category: str | None, found_from: datetime | None, found_to: datetime | None, limit: int
) -> Sequence[FoundItem]:
    """Items still in storage, newest first, for the residents' list (the service picks the public fields)."""
    query = select(FoundItem).where(FoundItem.status == "stored")
    if category:
        query = query.where(FoundItem.category == category)
    if found_from is not None:
        query = query.where(FoundItem.found_at >= found_from)
    if found_to is not None:
        query = query.where(FoundItem.found_at < found_to)
    return session.scalars(query.order_by(FoundItem.found_at.desc()).limit(limit)).all()


def open_reports_fitting(
    session: Session, category: str, lost_from_before: datetime, lost_to_after: datetime
) -> Sequence[LostReport]:
    """Open reports of a category whose loss window could fit an item found at one time (before scoring)."""
    return session.scalars(
        select(LostReport)
        .where(
            LostReport.category == category,
            LostReport.status.in_(("open", "likely_match")),
            LostReport.lost_from <= lost_from_before,
            LostReport.lost_to >= lost_to_after,
        )
        .order_by(LostReport.created_at)
    ).all()


def decisions_for_item(session: Session, found_id: int) -> dict[int, LostFoundMatch]:
    rows = session.scalars(select(LostFoundMatch).where(LostFoundMatch.found_id == found_id)).all()
    return {row.lost_id: row for row in rows}
