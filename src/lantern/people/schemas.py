"""Schemas of incident parties."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

PartyRole = Literal["caller", "victim", "witness", "reporting_party"]


class PartyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: PartyRole
    name: str = Field(min_length=1, max_length=200)
    phone: str = Field(min_length=3, max_length=40)

    @field_validator("phone")
    @classmethod
    def _digits(cls, value: str) -> str:
        cleaned = value.replace(" ", "").replace("-", "")
        if not cleaned.lstrip("+").isdigit():
            raise ValueError("phone may contain digits, spaces, '-' and a leading '+'")
        return cleaned


class PartyRead(BaseModel):
    """Personal view: only after a permission check, a stated purpose and an audit entry."""

    id: int
    incident_id: int
    role: str
    name: str
    phone: str
    created_at: datetime


class PartyPseudonymous(BaseModel):
    """Analysis view: a keyed pseudonym links the same phone across incidents, nothing more."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    incident_id: int
    role: str
    phone_pseudonym: str
    created_at: datetime
