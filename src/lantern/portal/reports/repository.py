"""Queries of residents' reports; flushes, never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lantern.models import PortalReport, PortalReportEvent, PortalReportPhoto, PortalSubscription

CLOSED_STATUSES = ("resolved", "rejected", "duplicate")  # a report in one is closed (service.CLOSED)

T = TypeVar("T")


def add(session: Session, row: T) -> T:
    session.add(row)
    session.flush()
    return row


def get(session: Session, report_id: int) -> PortalReport | None:
    return session.get(PortalReport, report_id)


def by_code(session: Session, code: str) -> PortalReport | None:
    return session.scalars(select(PortalReport).where(PortalReport.tracking_code == code)).one_or_none()


def search(
    session: Session,
    *,
    ids: Sequence[int] | None = None,
    service_codes: Sequence[str] | None = None,
    statuses: Sequence[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 1000,
) -> Sequence[PortalReport]:
    """Reports newest first; each filter narrows (``ids`` alone when given, as Open311 says)."""
    query = select(PortalReport)
    if ids is not None:
        query = query.where(PortalReport.id.in_(ids))
    else:
        if service_codes:
            query = query.where(PortalReport.service_code.in_(service_codes))
        if statuses:
            query = query.where(PortalReport.status.in_(statuses))
        if since is not None:
            query = query.where(PortalReport.requested_at >= since)
        if until is not None:
            query = query.where(PortalReport.requested_at <= until)
    return session.scalars(query.order_by(PortalReport.requested_at.desc(), PortalReport.id.desc()).limit(limit)).all()


def version(session: Session) -> tuple[object, ...]:
    """(count, newest id, newest update) of all reports: one aggregate query."""
    row = session.execute(
        select(func.count(PortalReport.id), func.max(PortalReport.id), func.max(PortalReport.updated_at))
    ).one()
    return tuple(row)


def open_and_linked(session: Session) -> Sequence[PortalReport]:
    """Open reports that were turned into an incident or a task."""
    query = select(PortalReport).where(
        PortalReport.status.not_in(CLOSED_STATUSES),
        (PortalReport.incident_id.is_not(None)) | (PortalReport.alert_id.is_not(None)),
    )
    return session.scalars(query.order_by(PortalReport.id)).all()


def events(session: Session, report_id: int) -> Sequence[PortalReportEvent]:
    query = select(PortalReportEvent).where(PortalReportEvent.report_id == report_id)
    return session.scalars(query.order_by(PortalReportEvent.at, PortalReportEvent.id)).all()


def photos(session: Session, report_id: int) -> Sequence[PortalReportPhoto]:
    query = select(PortalReportPhoto).where(PortalReportPhoto.report_id == report_id).order_by(PortalReportPhoto.id)
    return session.scalars(query).all()


def photo_counts(session: Session, report_ids: Sequence[int]) -> dict[int, int]:
    query = (
        select(PortalReportPhoto.report_id, func.count())
        .where(PortalReportPhoto.report_id.in_(report_ids))
        .group_by(PortalReportPhoto.report_id)
    )
    return {report_id: int(n) for report_id, n in session.execute(query)}


def photo(session: Session, report_id: int, photo_id: int) -> PortalReportPhoto | None:
    found = session.get(PortalReportPhoto, photo_id)
    return found if found is not None and found.report_id == report_id else None


def subscriptions(session: Session, report_id: int) -> Sequence[PortalSubscription]:
    query = select(PortalSubscription).where(PortalSubscription.report_id == report_id)
    return session.scalars(query.order_by(PortalSubscription.id)).all()


def subscription_by_token(session: Session, token: str) -> PortalSubscription | None:
    return session.scalars(select(PortalSubscription).where(PortalSubscription.token == token)).one_or_none()


def delete(session: Session, row: object) -> None:
    session.delete(row)
    session.flush()
