"""Hazardous-materials ledger: licensed holders, their licences, reports and ledger entries.

Holders are organisations. Their contact is a role (``safety manager``) and a role mailbox or
duty phone, never a named person: nothing here is personal data.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.expression import true

from lantern.db import Base, UTCDateTime


class HazmatHolder(Base):
    """A licensed organisation that keeps explosives, fireworks, toxic or precursor chemicals."""

    __tablename__ = "hazmat_holders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    organisation: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(20))  # explosives | fireworks | toxic | precursor
    contact_role: Mapped[str] = mapped_column(String(120))  # "safety manager", never a person's name
    contact_channel: Mapped[str] = mapped_column(String(200), default="")  # role mailbox or duty phone
    report_every_days: Mapped[int] = mapped_column(Integer, default=30)
    # The machine token (api_tokens.id) the holder's own system reports with; no other token may
    # report for it. No foreign key: a revoked token stays in api_tokens and simply stops working.
    reporter_token_id: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class HazmatLicence(Base):
    """A licence for one material, kept in one unit, with a maximum quantity held and a validity."""

    __tablename__ = "hazmat_licences"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    holder_id: Mapped[int] = mapped_column(ForeignKey("hazmat_holders.id", ondelete="CASCADE"), index=True)
    number: Mapped[str] = mapped_column(String(60), unique=True)
    material: Mapped[str] = mapped_column(String(120))
    category: Mapped[str] = mapped_column(String(20))
    unit: Mapped[str] = mapped_column(String(20))  # kg | t | l | pieces | detonators | m
    max_quantity: Mapped[float] = mapped_column(Float)
    opening_stock: Mapped[float] = mapped_column(Float, default=0.0)  # stock when the ledger starts (valid_from)
    # A count may differ from the ledger by max(tolerance_abs, tolerance_pct % of the expected stock).
    tolerance_abs: Mapped[float] = mapped_column(Float, default=0.0)
    tolerance_pct: Mapped[float] = mapped_column(Float, default=0.0)
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class HazmatReport(Base):
    """One report a holder sent; ``report_id`` is the holder's own id, so a resend adds nothing."""

    __tablename__ = "hazmat_reports"
    __table_args__ = (UniqueConstraint("holder_id", "report_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    holder_id: Mapped[int] = mapped_column(ForeignKey("hazmat_holders.id", ondelete="CASCADE"), index=True)
    report_id: Mapped[str] = mapped_column(String(80))
    content_hash: Mapped[str] = mapped_column(String(64))
    period_start: Mapped[datetime] = mapped_column(UTCDateTime)
    period_end: Mapped[datetime] = mapped_column(UTCDateTime)
    entries: Mapped[int] = mapped_column(Integer)
    received_by: Mapped[str] = mapped_column(String(120))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)


class HazmatEntry(Base):
    """One ledger line: a purchase, use, transfer out or in, or a stock count, in the licence's unit."""

    __tablename__ = "hazmat_entries"
    __table_args__ = (Index("ix_hazmat_entries_licence_id_occurred_at", "licence_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_pk: Mapped[int] = mapped_column(ForeignKey("hazmat_reports.id", ondelete="CASCADE"), index=True)
    licence_id: Mapped[int] = mapped_column(ForeignKey("hazmat_licences.id", ondelete="CASCADE"))
    line: Mapped[int] = mapped_column(Integer)  # position in its report, for messages
    kind: Mapped[str] = mapped_column(String(20))  # purchase | use | transfer_out | transfer_in | count
    quantity: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(20))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    counterparty_licence: Mapped[str] = mapped_column(String(60), default="")
    counterparty: Mapped[str] = mapped_column(String(200), default="")  # organisation name, as reported
    reference: Mapped[str] = mapped_column(String(80), default="")  # waybill / transfer reference
