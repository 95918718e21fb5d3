"""Residents' reports (Open311 service requests): photos, a public timeline, e-mail subscriptions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lantern.db import Base, UTCDateTime


class PortalReport(Base):
    """A non-emergency report by a resident or a partner app (an Open311 service request).

    No name, phone or e-mail is stored here: an e-mail address lives only in a subscription,
    and disappears with it when the resident unsubscribes.
    """

    __tablename__ = "portal_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Given once to the reporter; 12 characters of Crockford base32 (55 random bits + a check symbol).
    tracking_code: Mapped[str] = mapped_column(String(16), unique=True)
    service_code: Mapped[str] = mapped_column(String(40), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    address_text: Mapped[str] = mapped_column(String(300), default="")
    address_id: Mapped[int | None] = mapped_column(ForeignKey("addresses.id", ondelete="SET NULL"))
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id", ondelete="SET NULL"), index=True)
    h3_cell: Mapped[str] = mapped_column(String(16), default="")
    # received | triaged | in_progress | referred (open); resolved | rejected | duplicate (closed)
    status: Mapped[str] = mapped_column(String(20), index=True, default="received")
    status_notes: Mapped[str] = mapped_column(String(1000), default="")
    agency_responsible: Mapped[str] = mapped_column(String(200), default="")
    language: Mapped[str] = mapped_column(String(5), default="zh")  # the reporter's, for e-mail updates
    channel: Mapped[str] = mapped_column(String(20), default="web")  # web | open311
    submitted_by: Mapped[str] = mapped_column(String(120), default="")  # "token:3:app" or "" (never a person)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("portal_reports.id", ondelete="SET NULL"))
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id", ondelete="SET NULL"))
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id", ondelete="SET NULL"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PortalReportPhoto(Base):
    """A photo re-encoded on receipt (so no EXIF or GPS block survives); shown to staff only."""

    __tablename__ = "portal_report_photos"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("portal_reports.id", ondelete="CASCADE"), index=True)
    content_type: Mapped[str] = mapped_column(String(20))  # image/jpeg | image/png
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PortalReportEvent(Base):
    """One entry of a report's timeline (append-only); ``public_note`` is what the resident reads."""

    __tablename__ = "portal_report_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("portal_reports.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(30))  # filed | status | duplicate | incident | task
    status: Mapped[str] = mapped_column(String(20))  # the report's status after the event
    public_note: Mapped[str] = mapped_column(String(1000), default="")
    actor: Mapped[str] = mapped_column(String(120), default="")  # staff account; never shown publicly
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class PortalSubscription(Base):
    """An e-mail address that wants updates on one report; deleted by the unsubscribe link."""

    __tablename__ = "portal_subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("portal_reports.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(5))
    # The unsubscribe link's secret (32 url-safe bytes); knowing it is the only authority needed.
    token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
