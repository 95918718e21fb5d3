"""Inputs and outputs of the oversight domain."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

SHA256 = r"^[0-9a-f]{64}$"


class CaseCreate(BaseModel):
    number: str = Field(pattern=r"^[A-Za-z0-9._/-]{1,40}$")
    kind: Literal["criminal", "administrative"]
    jurisdiction: str = Field(max_length=40)
    statute_version: str = Field(max_length=60)
    title: str = Field(min_length=3, max_length=200)
    incident_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    responsible_officer: str = Field(min_length=1, max_length=120)
    supervisor: str = Field(default="", max_length=120)


class NotNeeded(BaseModel):
    """An open step the closer of a case says is no longer needed, and why."""

    step_id: int = Field(ge=1, le=2**31 - 1)
    reason: str = Field(min_length=10, max_length=500)


class StepRecord(BaseModel):
    kind: str = Field(pattern=r"^[a-z_]{2,60}$")
    at: AwareDatetime
    note: str = Field(default="", max_length=500)
    # Only with kind "closed": every step still open, each with the reason it is not needed.
    not_needed: list[NotNeeded] = Field(default_factory=list, max_length=200)


class ExtensionIn(BaseModel):
    kind: str = Field(max_length=60)
    reason: str = Field(min_length=10, max_length=500)


class WaiverIn(BaseModel):
    reason: str = Field(min_length=10, max_length=500)


class StepRead(BaseModel):
    id: int
    case_id: int
    kind: str
    rule_id: str
    source: str
    responsible_officer: str
    started_at: datetime
    due_at: datetime | None
    done_at: datetime | None
    status: str
    extensions: list[str]
    waiver: str = ""
    not_needed: str = ""


class EvidenceCreate(BaseModel):
    label: str = Field(min_length=1, max_length=80)
    kind: Literal["physical", "digital"]
    description: str = Field(default="", max_length=500)
    sha256: str = Field(default="", pattern=r"^([0-9a-f]{64})?$")
    place: str = Field(min_length=1, max_length=200)
    at: AwareDatetime


class CustodyIn(BaseModel):
    action: Literal["transferred", "examined", "returned", "disposed"]
    holder: str = Field(min_length=1, max_length=120)
    place: str = Field(min_length=1, max_length=200)
    at: AwareDatetime
    note: str = Field(default="", max_length=500)


class EnforcementCreate(BaseModel):
    kind: str = Field(max_length=40)
    officer: str = Field(min_length=1, max_length=120)
    at: AwareDatetime
    case_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    incident_id: int | None = Field(default=None, ge=1, le=2**31 - 1)


class FootageIn(BaseModel):
    reference: str = Field(min_length=1, max_length=200)
    sha256: str = Field(pattern=SHA256)
    duration_s: float = Field(gt=0, le=86_400)
    is_evidence: bool = False


class ReviewIn(BaseModel):
    to_status: Literal["review", "intervention", "no_action"]
    reason: str = Field(min_length=10, max_length=2000)


class CaseRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    number: str
    kind: str
    jurisdiction: str
    statute_version: str
    title: str
    incident_id: int | None
    responsible_officer: str
    supervisor: str
    status: str
    opened_at: datetime
    closed_at: datetime | None


class EvidenceRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    case_id: int
    label: str
    kind: str
    description: str
    sha256: str
    collected_by: str
    collected_at: datetime


class CustodyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    evidence_id: int
    seq: int
    action: str
    holder: str
    place: str
    at: datetime
    note: str
    entry_hash: str


class EnforcementRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    officer: str
    case_id: int | None
    incident_id: int | None
    at: datetime
    footage_ref: str
    footage_sha256: str
    footage_duration_s: float | None
    footage_is_evidence: bool
    footage_retain_until: datetime | None
    footage_purged_at: datetime | None = None
    evidence_logged_at: datetime | None


class FlagRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    officer: str
    unit: str
    shift: str
    period: str
    level: str
    drivers: list[dict[str, Any]]
    status: str
    created_at: datetime


class FindingRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    finding: str
    actor: str
    seqs: list[int]
    detail: str


class PhotoIn(BaseModel):
    kind: str = Field(pattern=r"^[a-z_]{2,40}$")
    taken_at: AwareDatetime | None = None
    sha256: str = Field(default="", pattern=r"^([0-9a-f]{64})?$")


class SceneCreate(BaseModel):
    scene_type: str = Field(max_length=40)
    started_at: AwareDatetime | None = None
    ended_at: AwareDatetime | None = None
    items: list[str] = Field(default_factory=list, max_length=200)
    photos: list[PhotoIn] = Field(default_factory=list, max_length=2000)


class SceneRead(BaseModel):
    id: int
    case_id: int
    scene_type: str
    examiner: str
    missing: list[str]


class ComplaintCreate(BaseModel):
    number: str = Field(pattern=r"^[A-Za-z0-9._/-]{1,40}$")
    source: Literal["portal", "staff"]
    officer: str = Field(default="", max_length=120)
    category: Literal["conduct", "use_of_force", "discrimination", "service", "procedure", "other"]
    summary: str = Field(min_length=10, max_length=10_000)


class ComplaintFinding(BaseModel):
    finding: Literal["sustained", "not_sustained", "unfounded", "exonerated"]
    outcome: str = Field(min_length=10, max_length=4000)


class TimelineEntry(BaseModel):
    at: datetime
    kind: str
    text: str


class PublicTimeline(BaseModel):
    """What a complainant sees with their tracking code."""

    number: str
    status: str  # received | assigned | investigating | closed
    received_at: datetime
    due_at: datetime | None  # when the current stage is due; none once decided
    decided_at: datetime | None
    finding: str  # once decided: sustained | not_sustained | unfounded | exonerated
    outcome: str  # once decided
    entries: list[TimelineEntry]


class PublicComplaintIn(BaseModel):
    """A complaint as the public portal files it: what happened, nothing about the complainant."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    category: Literal["conduct", "use_of_force", "discrimination", "service", "procedure", "other"]
    summary: str = Field(min_length=10, max_length=10_000)


class ComplaintRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    number: str
    source: str
    officer: str
    category: str
    status: str
    assignee: str
    finding: str
    received_at: datetime
    due_at: datetime


class Assignment(BaseModel):
    investigator: str = Field(min_length=1, max_length=120)


class NoteIn(BaseModel):
    text: str = Field(min_length=1, max_length=4000)
    public: bool = False
