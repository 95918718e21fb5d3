"""Command and dispatch: calls, the incident timeline, unit assignments and status events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lantern.db import Base, UTCDateTime


class Call(Base):
    """One call taken at the desk; several calls may join one incident."""

    __tablename__ = "calls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    taken_by: Mapped[str] = mapped_column(String(120))
    type_code: Mapped[str] = mapped_column(String(20))
    priority: Mapped[int] = mapped_column(Integer)
    priority_override_reason: Mapped[str] = mapped_column(String(300), default="")
    location_text: Mapped[str] = mapped_column(String(300), default="")
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    address_id: Mapped[int | None] = mapped_column(ForeignKey("addresses.id", ondelete="SET NULL"))
    narrative: Mapped[str] = mapped_column(Text, default="")
    caller_party_id: Mapped[int | None] = mapped_column(ForeignKey("incident_parties.id", ondelete="SET NULL"))
    merged: Mapped[bool] = mapped_column(Boolean, default=False)


class IncidentEvent(Base):
    """The append-only timeline of an incident; any module may add to it."""

    __tablename__ = "incident_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(120))
    text: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Assignment(Base):
    """A unit sent to an incident, with the timestamps the response-time KPIs are made of."""

    __tablename__ = "assignments"
    __table_args__ = (Index("ix_assignments_unit_id_cleared_at", "unit_id", "cleared_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime)
    assigned_by: Mapped[str] = mapped_column(String(120))
    recommended: Mapped[bool] = mapped_column(Boolean, default=True)
    override_reason: Mapped[str] = mapped_column(String(300), default="")
    travel_seconds: Mapped[float | None] = mapped_column(Float)
    straight_line: Mapped[bool] = mapped_column(Boolean, default=False)
    enroute_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    onscene_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class UnitStatusEvent(Base):
    """Every status change of a unit, timestamped."""

    __tablename__ = "unit_status_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    previous: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(120))
    reason: Mapped[str] = mapped_column(String(300), default="")


class PremiseWarning(Base):
    """Something responders must know about an address (dog, weapons, hazardous goods ...)."""

    __tablename__ = "premise_warnings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    address_id: Mapped[int] = mapped_column(ForeignKey("addresses.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(String(500))
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class EidoInbox(Base):
    """An EIDO received from another agency that could not be placed automatically.

    The document is kept encrypted (it may hold callback numbers); the summary holds no
    personal data and is what the dispatcher's queue shows.
    """

    __tablename__ = "eido_inbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_by: Mapped[str] = mapped_column(String(120))
    eido_id: Mapped[str] = mapped_column(String(300))
    sending_agency: Mapped[str] = mapped_column(String(200))
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)
    document_enc: Mapped[str] = mapped_column(Text, info={"encrypted": "eido_inbox.document"})
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id", ondelete="SET NULL"))
