"""Case records and oversight: cases, steps with legal deadlines, extensions, evidence with a
chain of custody, enforcement actions with body-worn-camera footage, early-intervention
indicators, flags and their reviews.

Officers are referred to by account name (``users.username``); no personal data of suspects or
the public is kept here: cases link to incidents, which hold the parties behind purpose checks.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column

from lantern.db import Base, UTCDateTime


class OversightCase(Base):
    """A criminal or administrative case under one jurisdiction and statute version."""

    __tablename__ = "oversight_cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)  # "2026-0012", used in purpose refs case:…
    kind: Mapped[str] = mapped_column(String(20))  # criminal | administrative
    jurisdiction: Mapped[str] = mapped_column(String(40))
    statute_version: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(200))
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id", ondelete="SET NULL"), index=True)
    responsible_officer: Mapped[str] = mapped_column(String(120), index=True)
    supervisor: Mapped[str] = mapped_column(String(120), default="")
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | closed
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(120))


OPEN_OBLIGATION = "done_at IS NULL AND rule_id <> ''"


class CaseStep(Base):
    """A step of a case: a recorded event (``rule_id`` empty) or an obligation a rule opened.

    An obligation starts at its trigger step's time, is due at ``due_at`` (kept in step with
    its extensions) and is done when the matching step is recorded.
    """

    __tablename__ = "oversight_case_steps"
    __table_args__ = (
        Index("ix_oversight_case_steps_open_due", "done_at", "due_at"),
        # Everything the deadlines job reads, for open obligations only: its scan reads this index
        # alone (SQLite: 0.7 s for 600,068 open steps of 1,000,000; 1.9 s through the index above
        # and the table). ``done_at`` leads so SQLite's planner takes it for ``done_at IS NULL``.
        Index(
            "ix_oversight_case_steps_open_scan",
            "done_at",
            "id",
            "rule_id",
            "started_at",
            "period",
            "responsible_officer",
            "alerted_level",
            "overdue_counted",
            sqlite_where=text(OPEN_OBLIGATION),
            postgresql_where=text(OPEN_OBLIGATION),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("oversight_cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(60))
    rule_id: Mapped[str] = mapped_column(String(80), default="")
    trigger_step_id: Mapped[int | None] = mapped_column(ForeignKey("oversight_case_steps.id", ondelete="CASCADE"))
    responsible_officer: Mapped[str] = mapped_column(String(120), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    period: Mapped[float | None] = mapped_column(Float)  # after extensions, in the rule's unit
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(String(500), default="")
    # Set when a supervisor closes an obligation as not required (a statutory exception applies).
    waiver: Mapped[str] = mapped_column(String(600), default="")
    # Set when the case was closed with this obligation still open and the closer said why it
    # was no longer needed ("who: reason"); the step shows as not needed, never as done.
    not_needed: Mapped[str] = mapped_column(String(600), default="")
    recorded_by: Mapped[str] = mapped_column(String(120))
    # What the deadlines job already did for this obligation, set in the transaction that did it,
    # so its every-minute scan reads no alerts or officer events: the highest colour alerted
    # (none | yellow | red) and whether the overdue step counted towards ``overdue_step``.
    alerted_level: Mapped[str] = mapped_column(String(10), default="none", server_default="none")
    overdue_counted: Mapped[bool] = mapped_column(default=False, server_default=false())


class StepExtension(Base):
    """An extension of a step's deadline: the kind the rule allows, the approver and the reason."""

    __tablename__ = "oversight_step_extensions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    step_id: Mapped[int] = mapped_column(ForeignKey("oversight_case_steps.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(60))
    approver: Mapped[str] = mapped_column(String(120))
    approver_role: Mapped[str] = mapped_column(String(60))
    reason: Mapped[str] = mapped_column(String(500))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime)


class EvidenceItem(Base):
    """A physical or digital evidence item of a case; digital items carry their SHA-256."""

    __tablename__ = "oversight_evidence"
    __table_args__ = (UniqueConstraint("case_id", "label"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("oversight_cases.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(20))  # physical | digital
    description: Mapped[str] = mapped_column(String(500), default="")
    sha256: Mapped[str] = mapped_column(String(64), default="")
    collected_by: Mapped[str] = mapped_column(String(120))
    collected_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CustodyEvent(Base):
    """One link of an item's chain of custody, hash-chained to the previous link."""

    __tablename__ = "oversight_custody"
    __table_args__ = (UniqueConstraint("evidence_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    evidence_id: Mapped[int] = mapped_column(ForeignKey("oversight_evidence.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(20))  # collected | transferred | examined | returned | disposed
    holder: Mapped[str] = mapped_column(String(120))
    place: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(String(500), default="")
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))


class EnforcementAction(Base):
    """An enforcement action that must be filmed and logged (call-out, stop, penalty, search ...)."""

    __tablename__ = "oversight_enforcement"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    officer: Mapped[str] = mapped_column(String(120), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("oversight_cases.id", ondelete="SET NULL"), index=True)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    footage_ref: Mapped[str] = mapped_column(String(200), default="")
    footage_sha256: Mapped[str] = mapped_column(String(64), default="")
    footage_duration_s: Mapped[float | None] = mapped_column(Float)
    footage_is_evidence: Mapped[bool] = mapped_column(default=False)
    # Footage references are kept at least 6 months; null means kept permanently (evidence).
    footage_retain_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When retention removed the footage reference (reference, hash, duration); the action stays.
    footage_purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    evidence_logged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recorded_by: Mapped[str] = mapped_column(String(120))


class OfficerPost(Base):
    """Where an officer works: unit and shift define the peer group; supervisor gets the flags."""

    __tablename__ = "oversight_officer_posts"

    officer: Mapped[str] = mapped_column(String(120), primary_key=True)
    unit: Mapped[str] = mapped_column(String(60), index=True)
    shift: Mapped[str] = mapped_column(String(20))
    supervisor: Mapped[str] = mapped_column(String(120), default="")


class OfficerEvent(Base):
    """One countable event for an early-intervention indicator (a complaint, a use-of-force report ...)."""

    __tablename__ = "oversight_officer_events"
    __table_args__ = (
        UniqueConstraint("indicator", "ref"),
        Index("ix_oversight_officer_events_officer_at", "officer", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    officer: Mapped[str] = mapped_column(String(120))
    indicator: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    ref: Mapped[str] = mapped_column(String(120))  # the source record, e.g. complaint:31 or step:812


class EisFlag(Base):
    """A yellow or red early-intervention flag for human review, with the indicators that drove it."""

    __tablename__ = "oversight_eis_flags"
    __table_args__ = (UniqueConstraint("officer", "period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    officer: Mapped[str] = mapped_column(String(120), index=True)
    unit: Mapped[str] = mapped_column(String(60))
    shift: Mapped[str] = mapped_column(String(20))
    period: Mapped[str] = mapped_column(String(20))  # the ISO week of the run, so one flag per officer a week
    level: Mapped[str] = mapped_column(String(10))  # yellow | red
    drivers: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), default="new")  # new | review | intervention | no_action
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class EisReview(Base):
    """One move of a flag through its workflow, by whom and why."""

    __tablename__ = "oversight_eis_reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    flag_id: Mapped[int] = mapped_column(ForeignKey("oversight_eis_flags.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    by: Mapped[str] = mapped_column(String(120))
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class SceneExamination(Base):
    """A scene-examination record (现场勘验): what was recorded, photos with their times, the window."""

    __tablename__ = "oversight_scene_examinations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("oversight_cases.id", ondelete="CASCADE"), index=True)
    scene_type: Mapped[str] = mapped_column(String(40))
    examiner: Mapped[str] = mapped_column(String(120))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    items: Mapped[list[str]] = mapped_column(JSON)  # the required-item keys the examiner recorded
    photos: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # {kind, taken_at (ISO or null), sha256}
    recorded_by: Mapped[str] = mapped_column(String(120))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Complaint(Base):
    """A complaint about police conduct, from the public portal or from staff.

    The complainant is known to the case file outside Lantern; here only a hash of the public
    tracking code they were given (``access_hash``), so they can follow the public part of the
    timeline without an account.
    """

    __tablename__ = "oversight_complaints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    source: Mapped[str] = mapped_column(String(20))  # portal | staff
    officer: Mapped[str] = mapped_column(String(120), default="", index=True)  # the officer complained about, if known
    category: Mapped[str] = mapped_column(String(40))
    summary: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))  # received | assigned | investigating | closed
    assignee: Mapped[str] = mapped_column(String(120), default="")
    finding: Mapped[str] = mapped_column(String(20), default="")  # sustained | not_sustained | unfounded | exonerated
    outcome: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)  # when the current stage is due
    access_hash: Mapped[str] = mapped_column(String(64), index=True, unique=True)  # SHA-256 of the tracking code
    created_by: Mapped[str] = mapped_column(String(120))


class ComplaintEvent(Base):
    """One entry of a complaint's timeline; ``public`` entries are shown to the complainant."""

    __tablename__ = "oversight_complaint_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("oversight_complaints.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(30))
    text: Mapped[str] = mapped_column(Text, default="")
    public: Mapped[bool] = mapped_column(default=False)
    actor: Mapped[str] = mapped_column(String(120))
