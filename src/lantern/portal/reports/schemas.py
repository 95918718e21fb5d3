"""Inputs and results of residents' reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from lantern.models import PortalReport, PortalSubscription

# Field names are Open311's, and the report form uses the same names, so one error list serves both.
FIELDS = ("service_code", "description", "lat", "long", "address_string", "email", "media")


@dataclass
class ReportIn:
    """A report as typed: raw strings, checked by the service so every problem can be named."""

    service_code: str
    description: str = ""
    lat: str = ""
    long: str = ""
    address_string: str = ""
    email: str = ""
    attributes: dict[str, str] = field(default_factory=dict)
    language: str = "zh"
    photos: list[tuple[str, bytes]] = field(default_factory=list)  # (file name, content)


@dataclass(frozen=True)
class Filed:
    report: PortalReport
    code: str
    subscription: PortalSubscription | None


@dataclass(frozen=True)
class RequestQuery:
    """Filters of Open311 ``GET /requests``, already checked."""

    ids: list[int] | None = None
    service_codes: list[str] | None = None
    statuses: list[str] | None = None  # open | closed
    since: datetime | None = None
    until: datetime | None = None
