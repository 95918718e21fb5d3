"""Case records and legal deadlines: cases, steps, extensions, evidence and custody, enforcement
actions with body-worn-camera footage, and the recompute job that raises deadline alerts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import polars as pl
from sqlalchemy.orm import Session

from lantern.alerts import service as alert_service
from lantern.alerts.service import AlertIn
from lantern.errors import Conflict, NotFound, ValidationFailed
from lantern.kit.time import ensure_utc, to_local
from lantern.mail import service as mail_service
from lantern.models import (
    CaseStep,
    OfficerEvent,
    OversightCase,
    StepExtension,
)
from lantern.oversight import deadlines, repository
from lantern.oversight.analytics import UTC_DT, deadline_frame
from lantern.oversight.rules import Jurisdiction, Rule, RuleTable, default_rule_table
from lantern.oversight.schemas import (
    CaseCreate,
    ExtensionIn,
    StepRead,
    StepRecord,
    WaiverIn,
)
from lantern.oversight.thresholds import OversightSettings, default_settings
from lantern.security import context
from lantern.security.access import Purpose, audit, guard
from lantern.security.policy import Principal

SOURCE = "oversight"
ALERT_KEY = "oversight:deadline:"  # + "<step id>:<yellow|red>", one alert per step and colour


def rule_table(session: Session) -> RuleTable:
    """The deployment's rule table (``session.info['oversight_rules']`` in tests), else the built-in one."""
    table = session.info.get("oversight_rules")
    return table if isinstance(table, RuleTable) else default_rule_table()


def oversight_settings(session: Session) -> OversightSettings:
    """The deployment's thresholds (``session.info['oversight_settings']`` in tests), else the built-in ones."""
    found = session.info.get("oversight_settings")
    return found if isinstance(found, OversightSettings) else default_settings()


def _jurisdiction(session: Session, case: OversightCase) -> Jurisdiction:
    found = rule_table(session).get(case.jurisdiction, case.statute_version)
    if found is None:
        raise ValidationFailed(f"no rules for {case.jurisdiction} {case.statute_version}; add them to the rule table")
    return found


# --- cases and steps ------------------------------------------------------------------------


def create_case(session: Session, principal: Principal, case_in: CaseCreate) -> OversightCase:
    """Open a case under a jurisdiction and statute version the rule table knows."""
    guard(principal, "case:write", "case")
    jurisdiction = rule_table(session).get(case_in.jurisdiction, case_in.statute_version)
    if jurisdiction is None:
        known = ", ".join(f"{j.key} {j.statute_version!r}" for j in rule_table(session).jurisdictions)
        raise ValidationFailed(
            f"unknown jurisdiction {case_in.jurisdiction} {case_in.statute_version!r} (known: {known})"
        )
    if case_in.kind not in jurisdiction.case_kinds:
        raise ValidationFailed(
            f"{jurisdiction.name} governs {', '.join(jurisdiction.case_kinds)} cases, not {case_in.kind}"
        )
    if case_in.incident_id is not None and not repository.incident_exists(session, case_in.incident_id):
        raise NotFound(f"incident {case_in.incident_id} does not exist")
    if repository.case_by_number(session, case_in.number) is not None:
        raise Conflict(f"case {case_in.number} already exists")
    case = repository.add(
        session,
        OversightCase(
            **case_in.model_dump(),
            status="open",
            opened_at=context.now(session),
            created_by=principal.name,
        ),
    )
    audit(session, principal, "create", "case", case.number)
    return case


def get_case_or_raise(session: Session, principal: Principal, case_id: int) -> OversightCase:
    """One case (the read is audited: cases concern people)."""
    guard(principal, "case:read", "case", case_id)
    case = repository.case_by_id(session, case_id)
    if case is None:
        raise NotFound(f"case {case_id} does not exist")
    audit(session, principal, "consult", "case", case.number, purpose=Purpose(f"case:{case.number}", "case record"))
    return case


def record_step(session: Session, principal: Principal, case_id: int, step_in: StepRecord) -> CaseStep:
    """Record that a step happened: it closes open obligations of that kind and opens those its rules start."""
    guard(principal, "case:write", "case", case_id)
    case = repository.case_by_id(session, case_id)
    if case is None:
        raise NotFound(f"case {case_id} does not exist")
    if case.status != "open":
        raise Conflict(f"case {case.number} is closed")
    at = ensure_utc(step_in.at)
    if at > context.now(session) + timedelta(minutes=5):
        raise ValidationFailed(f"step time {at.isoformat()} is in the future")
    jurisdiction = _jurisdiction(session, case)
    if step_in.kind == "closed":
        _settle_open_steps(session, principal, case, step_in, at)
    elif step_in.not_needed:
        raise ValidationFailed("`not_needed` is only for closing a case (kind `closed`)")
    for obligation in repository.open_obligations(session, case.id, step_in.kind):
        obligation.done_at = at
    event = repository.add(
        session,
        CaseStep(
            case_id=case.id,
            kind=step_in.kind,
            rule_id="",
            responsible_officer=case.responsible_officer,
            started_at=at,
            done_at=at,
            note=step_in.note,
            recorded_by=principal.name,
        ),
    )
    for rule in jurisdiction.rules_triggered_by(step_in.kind):
        repository.add(
            session,
            CaseStep(
                case_id=case.id,
                kind=rule.step,
                rule_id=rule.id,
                trigger_step_id=event.id,
                responsible_officer=case.responsible_officer,
                started_at=at,
                due_at=deadlines.due_at(jurisdiction, rule, at),
                recorded_by=principal.name,
            ),
        )
    if step_in.kind == "closed":
        case.status, case.closed_at = "closed", at
    audit(session, principal, "alter", "case", case.number, details={"step": step_in.kind})
    return event


def _settle_open_steps(
    session: Session, principal: Principal, case: OversightCase, step_in: StepRecord, at: datetime
) -> None:
    """A case closes only when no step is left open, or the closer says why each is no longer needed."""
    still_open = [s for s in repository.open_steps_of(session, case.id) if s.kind != "closed"]
    reasons = {n.step_id: n.reason.strip() for n in step_in.not_needed}
    strangers = sorted(set(reasons) - {s.id for s in still_open})
    if strangers:
        raise ValidationFailed(
            f"`not_needed` names step(s) {', '.join(f'#{i}' for i in strangers)}, which are not open steps of "
            f"case {case.number}"
        )
    unresolved = [s for s in still_open if s.id not in reasons]
    if unresolved:
        listed = "; ".join(
            f"#{s.id} {s.kind.replace('_', ' ')}" + (f" (due {s.due_at.isoformat()})" if s.due_at else "")
            for s in unresolved
        )
        raise Conflict(
            f"case {case.number} still has {len(unresolved)} open step(s): {listed}. Record them first, or list "
            "each under `not_needed` with the reason it is no longer needed",
            details={
                "open_steps": [
                    {"id": s.id, "kind": s.kind, "due_at": s.due_at.isoformat() if s.due_at else None}
                    for s in unresolved
                ]
            },
        )
    for step in still_open:
        step.done_at = at
        step.not_needed = f"{principal.name}: {reasons[step.id]}"[:600]
    if still_open:
        details = {"not_needed": [s.id for s in still_open]}
        audit(session, principal, "alter", "case", case.number, details=details)


def _rule_of(session: Session, case: OversightCase, step: CaseStep) -> tuple[Jurisdiction, Rule]:
    jurisdiction = _jurisdiction(session, case)
    rule = jurisdiction.rule(step.rule_id)
    if rule is None:
        raise ValidationFailed(f"step {step.id} refers to rule {step.rule_id}, which the rule table no longer has")
    return jurisdiction, rule


def _as_extension(row: StepExtension) -> deadlines.Extension:
    return deadlines.Extension(row.kind, row.approver, row.approver_role, row.reason, row.granted_at)


def extend_step(session: Session, principal: Principal, step_id: int, extension_in: ExtensionIn) -> CaseStep:
    """Extend an open step's deadline as its rule allows; the acting supervisor is the approver."""
    guard(principal, "case:extend", "case_step", step_id)
    step = repository.step(session, step_id)
    if step is None or not step.rule_id:
        raise NotFound(f"step {step_id} does not exist or has no deadline")
    if step.done_at is not None:
        raise Conflict(f"step {step_id} is done; only open steps can be extended")
    case = repository.case_by_id(session, step.case_id)
    assert case is not None  # the foreign key guarantees it
    jurisdiction, rule = _rule_of(session, case, step)
    granted = [_as_extension(e) for e in repository.extensions_of(session, [step.id])[step.id]]
    role = "supervisor" if "supervisor" in principal.roles else principal.role_label
    request = deadlines.Extension(extension_in.kind, principal.name, role, extension_in.reason, context.now(session))
    due = deadlines.due_at(jurisdiction, rule, step.started_at, granted)
    try:
        deadlines.check_extension(rule, granted, request, responsible_officer=step.responsible_officer, due=due)
    except deadlines.ExtensionRefused as exc:
        raise ValidationFailed(str(exc)) from exc
    repository.add(
        session,
        StepExtension(
            step_id=step.id,
            kind=request.kind,
            approver=request.approver,
            approver_role=request.approver_role,
            reason=request.reason,
            granted_at=request.granted_at,
        ),
    )
    step.period = deadlines.period_total(rule, [*granted, request])
    step.due_at = deadlines.due_at(jurisdiction, rule, step.started_at, [*granted, request])
    audit(session, principal, "alter", "case", case.number, details={"step": step.id, "extension": request.kind})
    return step


def waive_step(session: Session, principal: Principal, step_id: int, waiver_in: WaiverIn) -> CaseStep:
    """Close an open obligation as not required (e.g. family notice impossible, CPL art. 85), with a reason.

    A supervisor who is not responsible for the step decides; the step then shows as waived,
    never as done, and stops raising alerts.
    """
    guard(principal, "case:extend", "case_step", step_id)
    step = repository.step(session, step_id)
    if step is None or not step.rule_id:
        raise NotFound(f"step {step_id} does not exist or has no deadline")
    if step.done_at is not None:
        raise Conflict(f"step {step_id} is already closed")
    if principal.name == step.responsible_officer:
        raise ValidationFailed("the officer responsible for the step cannot waive it")
    case = repository.case_by_id(session, step.case_id)
    assert case is not None  # the foreign key guarantees it
    step.done_at = context.now(session)
    step.waiver = f"{principal.name}: {waiver_in.reason}"[:600]
    session.flush()
    audit(session, principal, "alter", "case", case.number, details={"step": step.id, "waived": True})
    return step


def list_steps(session: Session, principal: Principal, case_id: int) -> list[StepRead]:
    """A case's steps with due times and status now."""
    case = get_case_or_raise(session, principal, case_id)
    jurisdiction = _jurisdiction(session, case)
    steps = repository.steps_of(session, case.id)
    extensions = repository.extensions_of(session, [s.id for s in steps])
    now = context.now(session)
    found = []
    for step in steps:
        rule = jurisdiction.rule(step.rule_id) if step.rule_id else None
        state = "recorded"
        if step.not_needed:
            state = "not_needed"
        elif step.waiver:
            state = "waived"
        elif rule is not None and step.due_at is not None:
            state = deadlines.status(rule, step.started_at, step.due_at, now, step.done_at)
        found.append(
            StepRead(
                id=step.id,
                case_id=step.case_id,
                kind=step.kind,
                rule_id=step.rule_id,
                source=rule.source if rule else "",
                responsible_officer=step.responsible_officer,
                started_at=step.started_at,
                due_at=step.due_at,
                done_at=step.done_at,
                status=state,
                extensions=[f"{e.kind} by {e.approver}: {e.reason}" for e in extensions[step.id]],
                waiver=step.waiver,
                not_needed=step.not_needed,
            )
        )
    return found


@dataclass(frozen=True)
class OpenStep:
    """An open step with its case and status now, for the supervisor's board."""

    case_id: int
    case_number: str
    step_id: int
    kind: str
    rule_id: str
    source: str
    responsible_officer: str
    due_at: datetime
    status: str


def open_steps(session: Session, principal: Principal) -> list[OpenStep]:
    """Every open step with a deadline, most urgent first (red, yellow, green, then by due time)."""
    guard(principal, "case:read", "case")
    now = context.now(session)
    found = []
    for step, case in repository.all_open_obligations(session):
        jurisdiction = rule_table(session).get(case.jurisdiction, case.statute_version)
        rule = jurisdiction.rule(step.rule_id) if jurisdiction else None
        if rule is None or step.due_at is None:
            continue
        state = deadlines.status(rule, step.started_at, step.due_at, now)
        found.append(
            OpenStep(
                case.id,
                case.number,
                step.id,
                step.kind,
                step.rule_id,
                rule.source,
                step.responsible_officer,
                step.due_at,
                state,
            )
        )
    order = {deadlines.RED: 0, deadlines.YELLOW: 1, deadlines.GREEN: 2}
    return sorted(found, key=lambda s: (order.get(s.status, 3), s.due_at, s.step_id))


@dataclass(frozen=True)
class DeadlineRun:
    """What one recompute found and raised."""

    open_steps: int
    yellow: int
    red: int
    new_alerts: int
    new_officer_events: int


def _mail_deadline(session: Session, row: dict[str, object], overdue: bool, due: datetime, now: datetime) -> None:
    """E-mail the responsible officer and the supervisor when a step turns yellow or red.

    Sent once per step and colour, with the alert (which is deduplicated the same way). Work
    addresses are ``<officer>@<LANTERN_STAFF_EMAIL_DOMAIN>``; with no domain set, reminders
    are in-app only.
    """
    domain = str(context.setting(session, "staff_email_domain", "") or "")
    if not domain:
        return
    kind = str(row["kind"]).replace("_", " ")
    zone = str(context.setting(session, "city_timezone", "UTC"))
    local_due = to_local(due, zone).strftime("%Y-%m-%d %H:%M")
    subject = f"Case {row['number']}: {kind} {'is overdue' if overdue else 'is due soon'} ({local_due})"
    body = (
        f"Case {row['number']}, step: {kind}\n"
        f"Due: {local_due} ({zone}) under rule {row['rule_id']}\n"
        f"Status: {'OVERDUE' if overdue else 'due soon'}\n\n"
        "Record the step, or ask for an extension with an approver and a reason, in Lantern under Oversight.\n"
    )
    recipients = {str(row["responsible_officer"]), str(row["supervisor"] or "")} - {""}
    for officer in sorted(recipients):
        mail_service.queue(session, f"{officer}@{domain}", subject, body, topic=f"case-step:{row['step_id']}", now=now)


def recompute_deadlines(session: Session, principal: Principal) -> DeadlineRun:
    """Recompute every open step's status; alert the responsible officer (the supervisor sees the queue).

    Idempotent: each step records the colour it was alerted and whether it counted as overdue,
    in the transaction that raised the alert or added the event; the alert dedupe keys
    ``oversight:deadline:<step>:<colour>`` and the unique (indicator, ref) of officer events
    stay the final guard, so a step is alerted once per colour and counts once towards the
    officer's ``overdue_step`` indicator.
    """
    guard(principal, "case:extend", "case")
    steps = repository.open_obligation_frame(session)
    if steps.is_empty():
        return DeadlineRun(0, 0, 0, 0, 0)
    now = context.now(session)
    due = deadline_frame(
        steps.select("step_id", "rule_id", "started_at", pl.lit(None, UTC_DT).alias("done_at"), "period"),
        rule_table(session),
        now,
    )
    steps = steps.join(due.select("step_id", "status"), on="step_id").sort("step_id")
    yellow, red = pl.col("status") == deadlines.YELLOW, pl.col("status") == deadlines.RED
    level = pl.col("alerted_level")
    # Only steps not yet alerted in their colour go through raise_alert (which checks the key
    # again): on a steady day that is a handful, not every overdue step of the city. A step
    # alerted red is not alerted yellow afterwards (e.g. after a longer period in the rule table).
    to_alert = steps.filter((yellow & (level == "none")) | (red & (level != deadlines.RED)))
    details = repository.obligation_details(session, to_alert["step_id"].to_list())
    new_alerts = 0
    alerted: dict[str, list[int]] = {deadlines.YELLOW: [], deadlines.RED: []}
    for step_id, state in to_alert.select("step_id", "status").iter_rows():
        r = details[step_id]
        overdue = state == deadlines.RED
        due_at: datetime = r["due_at"]
        _, created = alert_service.raise_alert(
            session,
            AlertIn(
                source=SOURCE,
                kind="deadline_overdue" if overdue else "deadline_due_soon",
                severity="critical" if overdue else "warning",
                subject_type="case",
                subject_id=str(r["case_id"]),
                title=f"case {r['number']}: {str(r['kind']).replace('_', ' ')} {'overdue' if overdue else 'due soon'}",
                detail=f"due {due_at.isoformat()} under rule {r['rule_id']}",
                dedupe_key=f"{ALERT_KEY}{step_id}:{state}",
                data={"step_id": step_id, "rule_id": r["rule_id"], "supervisor": r["supervisor"]},
                due_at=due_at,
                assignee=str(r["responsible_officer"]),
            ),
        )
        alerted[state].append(step_id)  # new or found by its key: the alert exists either way
        new_alerts += created
        if created:
            _mail_deadline(session, r, overdue, due_at, now)
    for colour, step_ids in alerted.items():
        repository.mark_alerted(session, step_ids, colour)
    uncounted = steps.filter(red & ~pl.col("overdue_counted")).select("responsible_officer", "step_id")
    refs = [f"step:{step_id}" for step_id in uncounted["step_id"].to_list()]
    counted = repository.officer_event_refs(session, "overdue_step", refs)
    events = [
        OfficerEvent(officer=officer, indicator="overdue_step", at=now, ref=ref)
        for officer, ref in zip(uncounted["responsible_officer"].to_list(), refs, strict=True)
        if ref not in counted
    ]
    repository.add_all(session, events)
    repository.mark_counted(session, uncounted["step_id"].to_list())
    counts = steps["status"].value_counts()
    found = dict(zip(counts["status"].to_list(), counts["count"].to_list(), strict=True))
    return DeadlineRun(
        steps.height, found.get(deadlines.YELLOW, 0), found.get(deadlines.RED, 0), new_alerts, len(events)
    )
