"""Due times and status of case steps from the rule table: pure functions, no database.

Times are aware UTC in and out; the jurisdiction's zone is used only to count calendar days
(CPL 2018 art. 105: the starting day is not counted and a period ends at the end of its last
day, 24:00 local time).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from lantern.kit.time import ensure_utc, zone
from lantern.oversight.rules import ExtensionRule, Jurisdiction, Rule

GREEN, YELLOW, RED, DONE, DONE_LATE = "green", "yellow", "red", "done", "done_late"


class ExtensionRefused(ValueError):
    """An extension the rule table does not allow; the message says why and what would be allowed."""


@dataclass(frozen=True)
class Extension:
    """An extension granted to one step: its kind in the rule table, who approved it and why."""

    kind: str
    approver: str
    approver_role: str
    reason: str
    granted_at: datetime


def is_working_day(day: date, jurisdiction: Jurisdiction) -> bool:
    """Monday to Friday unless a listed holiday; listed make-up working days count as working."""
    if day in jurisdiction.workdays:
        return True
    return day.weekday() < 5 and day not in jurisdiction.holidays


def _end_of_local_day(day: date, tz_name: str) -> datetime:
    """24:00 of ``day`` in the zone, i.e. local midnight starting the next day, in UTC."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone(tz_name)).astimezone(UTC)


def period_total(rule: Rule, extensions: list[Extension] | tuple[Extension, ...] = ()) -> float:
    """The allowed period in the rule's unit (hours or days) after ``extensions``, in grant order."""
    total = float(rule.hours if rule.hours is not None else rule.days or 0)
    for granted in extensions:
        ext = rule.extension(granted.kind)
        if ext is None:
            raise ExtensionRefused(f"rule {rule.id} has no extension of kind {granted.kind!r}")
        total = _extended(total, ext)
    return total


def _extended(total: float, ext: ExtensionRule) -> float:
    if ext.to_total_hours is not None:
        return max(total, float(ext.to_total_hours))
    if ext.to_total_days is not None:
        return max(total, float(ext.to_total_days))
    return total + float(ext.by_hours if ext.by_hours is not None else ext.by_days or 0)


def due_at(
    jurisdiction: Jurisdiction,
    rule: Rule,
    started_at: datetime,
    extensions: list[Extension] | tuple[Extension, ...] = (),
) -> datetime:
    """When the step opened by ``started_at`` is due, in UTC.

    >>> from lantern.oversight.rules import default_rule_table
    >>> cn = default_rule_table().get("CN-CPL", "2018")
    >>> due_at(cn, cn.rule("cn-cpl-family-notice-detention"), datetime(2026, 3, 6, 22, tzinfo=UTC)).isoformat()
    '2026-03-07T22:00:00+00:00'
    """
    start = ensure_utc(started_at)
    total = period_total(rule, extensions)
    if rule.hours is not None:
        return start + timedelta(hours=total)
    last_day = start.astimezone(zone(jurisdiction.timezone)).date() + timedelta(days=int(total))
    if rule.roll_over:
        while not is_working_day(last_day, jurisdiction):
            last_day += timedelta(days=1)
    return _end_of_local_day(last_day, jurisdiction.timezone)


def yellow_window(rule: Rule, started_at: datetime, due: datetime) -> timedelta:
    """How long before ``due`` the step turns yellow (the rule's yellow_hours, else a quarter of the period)."""
    if rule.yellow_hours is not None:
        return timedelta(hours=float(rule.yellow_hours))
    return (due - ensure_utc(started_at)) / 4


def status(rule: Rule, started_at: datetime, due: datetime, now: datetime, done_at: datetime | None = None) -> str:
    """green, yellow (due soon), red (overdue and still open), done or done_late."""
    if done_at is not None:
        return DONE if ensure_utc(done_at) <= due else DONE_LATE
    now = ensure_utc(now)
    if now > due:
        return RED
    if now >= due - yellow_window(rule, started_at, due):
        return YELLOW
    return GREEN


def check_extension(
    rule: Rule,
    granted: list[Extension] | tuple[Extension, ...],
    request: Extension,
    *,
    responsible_officer: str,
    due: datetime,
) -> None:
    """Refuse an extension the rule table does not allow; returns None when it may be granted.

    An extension needs a kind the rule lists, fewer grants of that kind than ``max_times``, an
    approver of the listed role who is not the officer responsible for the step, a reason of at
    least 10 characters, and a grant before the step was due (a missed limit cannot be repaired).
    """
    ext = rule.extension(request.kind)
    if ext is None:
        kinds = ", ".join(e.kind for e in rule.extensions) or "none"
        raise ExtensionRefused(f"rule {rule.id} allows no extension {request.kind!r} (allowed: {kinds})")
    used = sum(1 for g in granted if g.kind == request.kind)
    if used >= ext.max_times:
        raise ExtensionRefused(f"extension {request.kind!r} of rule {rule.id} was already granted {used} time(s)")
    if not request.approver.strip():
        raise ExtensionRefused("an extension needs a named approver")
    if request.approver == responsible_officer:
        raise ExtensionRefused("the officer responsible for the step cannot approve its extension")
    if request.approver_role != ext.approver_role:
        raise ExtensionRefused(f"extension {request.kind!r} must be approved by a {ext.approver_role}")
    if len(request.reason.strip()) < 10:
        raise ExtensionRefused("an extension needs a reason of at least 10 characters")
    if ensure_utc(request.granted_at) > due:
        raise ExtensionRefused(f"the step was due at {due.isoformat()}: an overdue step cannot be extended")
    if period_total(rule, [*granted, request]) <= period_total(rule, granted):
        raise ExtensionRefused(f"extension {request.kind!r} would not lengthen the period already allowed")
