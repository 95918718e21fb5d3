"""People linked to incidents (callers, victims, witnesses): personal data, encrypted at rest."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from lantern.db import Base, UTCDateTime


class IncidentParty(Base):
    """A person's part in an incident. Name and phone are AES-256-GCM ciphertext; the phone's
    keyed pseudonym lets analysis link records without ever reading the number."""

    __tablename__ = "incident_parties"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))  # caller | victim | witness | reporting_party
    name_enc: Mapped[str] = mapped_column(String(500), info={"encrypted": "incident_parties.name"})
    phone_enc: Mapped[str] = mapped_column(String(500), info={"encrypted": "incident_parties.phone"})
    phone_pseudonym: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(120))
