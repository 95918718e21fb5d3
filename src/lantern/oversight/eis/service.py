"""Early intervention: per-officer indicators compared with peers, flags and their review.

Transparent by construction: each indicator is compared on its own with the officer's peers in
the same unit and shift; a flag names the indicators that crossed their thresholds, with the
numbers. There is no predictive model and no composite score, and nothing happens beyond the
flag: a supervisor reviews it (new -> review -> intervention / no action, each with a reason).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import polars as pl
from sqlalchemy.orm import Session

from lantern.alerts import service as alert_service
from lantern.alerts.service import AlertIn
from lantern.errors import Conflict, Forbidden, NotFound, ValidationFailed
from lantern.kit.time import ensure_utc
from lantern.models import EisFlag, EisReview, OfficerEvent, OfficerPost
from lantern.oversight import repository
from lantern.oversight.analytics import indicator_grid, peer_comparison, peer_flags
from lantern.oversight.schemas import ReviewIn
from lantern.oversight.service import SOURCE, oversight_settings
from lantern.security import context
from lantern.security.access import audit, guard
from lantern.security.policy import Principal

REVIEW = "oversight:eis_review"
WORKFLOW = {"new": {"review"}, "review": {"intervention", "no_action"}, "intervention": set(), "no_action": set()}


def set_post(
    session: Session, principal: Principal, officer: str, unit: str, shift: str, supervisor: str = ""
) -> OfficerPost:
    """Place an officer in a unit and shift (the peer group) under a supervisor."""
    guard(principal, REVIEW, "officer_post", officer)
    post = repository.post(session, officer)
    if post is None:
        post = repository.add(session, OfficerPost(officer=officer, unit=unit, shift=shift, supervisor=supervisor))
    else:
        post.unit, post.shift, post.supervisor = unit, shift, supervisor
        session.flush()
    return post


def record_event(session: Session, principal: Principal, officer: str, indicator: str, at: datetime, ref: str) -> bool:
    """Count one event towards an indicator; a repeated (indicator, ref) adds nothing. True when added."""
    guard(principal, REVIEW, "officer_event", officer)
    if oversight_settings(session).indicator(indicator) is None:
        known = ", ".join(t.indicator for t in oversight_settings(session).indicators)
        raise ValidationFailed(f"unknown indicator {indicator!r} (known: {known})")
    if repository.officer_event_exists(session, indicator, ref):
        return False
    repository.add(session, OfficerEvent(officer=officer, indicator=indicator, at=ensure_utc(at), ref=ref))
    return True


def _comparison(session: Session, as_of: datetime) -> pl.DataFrame:
    settings = oversight_settings(session)
    windows = {t.indicator: t.window_days for t in settings.indicators}
    # Counted per officer and indicator in SQL: 76,000 rows instead of 1,141,846 events at
    # benchmark scale (0.9 s instead of 3.4 s to read the events as tuples, on SQLite).
    counted = repository.indicator_event_counts(session, windows, as_of)
    roster = repository.posts_frame(session)
    return peer_comparison(indicator_grid(counted, roster, settings.indicators), settings.indicators)


@dataclass(frozen=True)
class EisRun:
    officers: int
    flagged: int
    new_flags: list[EisFlag]


def _num(value: Any, digits: int = 2, scale: float = 1.0) -> float | None:
    """A rounded number, or None when there are no peers to compare with (NaN or infinite)."""
    if value is None or not math.isfinite(float(value)):
        return None
    return round(float(value) * scale, digits)


def _driver(row: dict[str, Any], labels: dict[str, str]) -> dict[str, Any]:
    return {
        "indicator": row["indicator"],
        "label": labels.get(row["indicator"], row["indicator"]),
        "value": int(row["value"]),
        "window_days": int(row["window_days"]),
        "peer_mean": _num(row["peer_mean"]),
        "peer_std": _num(row["peer_std"]),
        "z": _num(row["z"]),
        "percentile": _num(row["percentile"], 1, 100.0),
        "level": row["level"],
    }


def run_flags(session: Session, principal: Principal, as_of: datetime | None = None) -> EisRun:
    """Compare every posted officer with peers and raise one flag per officer and ISO week at most."""
    guard(principal, REVIEW, "eis_flag")
    as_of = ensure_utc(as_of or context.now(session))
    compared = _comparison(session, as_of)
    flagged = peer_flags(compared)
    iso = as_of.isocalendar()
    period = f"{iso.year}-W{iso.week:02d}"
    labels = oversight_settings(session).labels
    supervisors = {p.officer: p.supervisor for p in repository.posts(session)}
    created = []
    for row in flagged.iter_rows(named=True):
        if repository.flag_for(session, row["officer"], period) is not None:
            continue
        drivers = [_driver(d, labels) for d in row["drivers"]]
        flag = repository.add(
            session,
            EisFlag(
                officer=row["officer"],
                unit=row["unit"],
                shift=row["shift"],
                period=period,
                level=row["level"],
                drivers=drivers,
                status="new",
                created_at=context.now(session),
            ),
        )
        created.append(flag)
        names = ", ".join(d["label"] for d in drivers)
        alert_service.raise_alert(
            session,
            AlertIn(
                source=SOURCE,
                kind="eis_flag",
                severity="critical" if flag.level == "red" else "warning",
                subject_type="eis_flag",
                subject_id=str(flag.id),
                title=f"early-intervention review: {flag.officer} ({flag.level}) - {names}",
                detail="Indicators above peers in the same unit and shift; a supervisor decides what follows.",
                dedupe_key=f"oversight:eis:{flag.officer}:{period}",
                data={"flag_id": flag.id, "restricted": True},
                assignee=supervisors.get(flag.officer, ""),
            ),
        )
    return EisRun(compared.select("officer").n_unique(), flagged.height, created)


def list_flags(session: Session, principal: Principal, statuses: list[str] | None = None) -> list[EisFlag]:
    """The supervisor review queue, newest first."""
    guard(principal, REVIEW, "eis_flag")
    return list(repository.flags(session, statuses))


def list_own_flags(session: Session, principal: Principal) -> list[EisFlag]:
    """The signed-in officer's own flags, newest first."""
    return list(repository.flags(session, officer=principal.name))


def _can_see(principal: Principal, officer: str) -> None:
    if principal.name != officer and not principal.can(REVIEW):
        raise Forbidden(f"only the officer and supervisors holding {REVIEW} may see {officer}'s indicators")


def get_flag(session: Session, principal: Principal, flag_id: int) -> tuple[EisFlag, list[EisReview]]:
    """One flag with its driving indicators and review history (the officer may see their own)."""
    flag = repository.flag(session, flag_id)
    if flag is None:
        raise NotFound(f"early-intervention flag {flag_id} does not exist")
    _can_see(principal, flag.officer)
    audit(session, principal, "consult", "eis_flag", flag.id, details={"officer": flag.officer})
    return flag, list(repository.reviews_of(session, flag.id))


def review_flag(session: Session, principal: Principal, flag_id: int, review_in: ReviewIn) -> EisFlag:
    """Move a flag through new -> review -> intervention / no action, with a reason."""
    guard(principal, REVIEW, "eis_flag", flag_id)
    flag = repository.flag(session, flag_id)
    if flag is None:
        raise NotFound(f"early-intervention flag {flag_id} does not exist")
    if principal.name == flag.officer:
        raise Forbidden("an officer cannot review their own flag")
    allowed = WORKFLOW[flag.status]
    if review_in.to_status not in allowed:
        nxt = " or ".join(sorted(allowed)) or "nothing (the review is finished)"
        raise Conflict(f"flag {flag.id} is {flag.status}; it can move to {nxt}")
    repository.add(
        session,
        EisReview(
            flag_id=flag.id,
            from_status=flag.status,
            to_status=review_in.to_status,
            by=principal.name,
            reason=review_in.reason,
            at=context.now(session),
        ),
    )
    flag.status = review_in.to_status
    audit(session, principal, "alter", "eis_flag", flag.id, details={"status": flag.status})
    return flag


def indicators_of(session: Session, principal: Principal, officer: str | None = None) -> list[dict[str, Any]]:
    """An officer's indicators against peers: the officer sees their own, supervisors anyone's."""
    officer = officer or principal.name
    _can_see(principal, officer)
    compared = _comparison(session, context.now(session)).filter(pl.col("officer") == officer)
    labels = oversight_settings(session).labels
    audit(session, principal, "consult", "officer_indicators", officer)
    return [
        {
            **_driver(r, labels),
            "yellow_z": r["yellow_z"],
            "red_z": r["red_z"],
            "min_count": r["min_count"],
            "peers": r["peers"],
        }
        for r in compared.sort("indicator").iter_rows(named=True)
    ]
