"""Pydantic shapes of the hazardous-materials ledger: holders, licences and holders' reports."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from lantern.kit.time import within_supported_range

Category = Literal["explosives", "fireworks", "toxic", "precursor"]
# Units are never converted: a licence is kept in one unit and every entry must use it.
Unit = Literal["kg", "t", "l", "pieces", "detonators", "m"]
Kind = Literal["purchase", "use", "transfer_out", "transfer_in", "count"]
Code = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_\-]+$")
LicenceNumber = Field(min_length=3, max_length=60, pattern=r"^[A-Za-z0-9_\-.]+$")  # used in URLs: no "/"


# Aware, in UTC and between 1900 and 2200 (year 1 with an offset would overflow in the database).
def _supported(value: datetime) -> datetime:
    try:
        return within_supported_range(value)
    except OverflowError as exc:
        raise ValueError(f"{value.isoformat()} is outside the supported range 1900-2200") from exc


When = Annotated[AwareDatetime, AfterValidator(_supported)]
MAX_ENTRIES = 10_000
MAX_QUANTITY = 1e9


class HolderCreate(BaseModel):
    """A licensed organisation; its contact is a role and a role mailbox or duty phone, not a person."""

    model_config = ConfigDict(extra="forbid")

    code: str = Code
    organisation: str = Field(min_length=2, max_length=200)
    category: Category
    contact_role: str = Field(min_length=2, max_length=120, examples=["safety manager"])
    contact_channel: str = Field(default="", max_length=200, examples=["safety@example.org"])
    report_every_days: int = Field(default=30, ge=1, le=366)
    reporter_token_id: int | None = Field(default=None, ge=1, le=2**31 - 1)


class HolderRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    organisation: str
    category: str
    contact_role: str
    contact_channel: str
    report_every_days: int
    active: bool
    created_at: datetime


class LicenceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    number: str = LicenceNumber
    material: str = Field(min_length=2, max_length=120)
    category: Category
    unit: Unit
    max_quantity: float = Field(gt=0, le=MAX_QUANTITY)
    opening_stock: float = Field(default=0, ge=0, le=MAX_QUANTITY)
    tolerance_abs: float = Field(default=0, ge=0, le=MAX_QUANTITY)
    tolerance_pct: float = Field(default=0, ge=0, le=10)
    valid_from: When
    valid_until: When

    @model_validator(mode="after")
    def _period(self) -> LicenceCreate:
        if self.valid_until <= self.valid_from:
            raise ValueError("field `valid_until`: must be after valid_from")
        return self


class LicenceRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    number: str
    material: str
    category: str
    unit: str
    max_quantity: float
    opening_stock: float
    tolerance_abs: float
    tolerance_pct: float
    valid_from: datetime
    valid_until: datetime
    revoked_at: datetime | None


class EntryIn(BaseModel):
    """One ledger line; transfers name the other holder's licence and a shared reference."""

    model_config = ConfigDict(extra="forbid")

    licence: str = LicenceNumber
    kind: Kind
    quantity: float = Field(ge=0, le=MAX_QUANTITY, allow_inf_nan=False)
    unit: Unit
    time: When
    counterparty_licence: str = Field(default="", max_length=60)
    counterparty: str = Field(default="", max_length=200)
    reference: str = Field(default="", max_length=80)

    @model_validator(mode="after")
    def _transfer_fields(self) -> EntryIn:
        if self.kind != "count" and self.quantity <= 0:
            raise ValueError(f"field `quantity`: a {self.kind} must move more than 0")
        if self.kind in ("transfer_out", "transfer_in"):
            if not self.counterparty_licence.strip():
                raise ValueError("field `counterparty_licence`: a transfer must name the other party's licence")
            if not self.reference.strip():
                raise ValueError("field `reference`: a transfer needs the waybill reference both sides report")
        return self


class ReportHeader(BaseModel):
    """A report without its entries (the entries are validated one by one, to name the bad one)."""

    model_config = ConfigDict(extra="forbid")

    report_id: str = Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_\-./:]+$")
    holder: str = Code
    period_start: When
    period_end: When
    entries: list[dict[str, object]] = Field(min_length=1, max_length=MAX_ENTRIES)

    @model_validator(mode="after")
    def _period(self) -> ReportHeader:
        if self.period_end <= self.period_start:
            raise ValueError("field `period_end`: must be after period_start")
        return self


class ReportIn(BaseModel):
    """A holder's periodic report: its own id (resending it adds nothing), the period, the entries."""

    model_config = ConfigDict(extra="forbid")

    report_id: str = Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_\-./:]+$")
    holder: str = Code
    period_start: When
    period_end: When
    entries: list[EntryIn] = Field(min_length=1, max_length=MAX_ENTRIES)


class ReportResult(BaseModel):
    report_id: str
    holder: str
    status: Literal["accepted", "duplicate"]
    entries: int
    new_alerts: int = 0
