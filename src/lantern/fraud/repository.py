"""Every query of the anti-fraud centre; takes a session, flushes, never commits."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from lantern.models import (
    FraudCall,
    FraudCase,
    FraudCaseEvent,
    FraudHit,
    FraudReport,
    FraudRevealRequest,
    FraudTransaction,
    FraudWarning,
)


def existing_tx_refs(session: Session, partner: str, refs: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(refs), 500):  # stay under SQLite's bound-parameter limit
        chunk = refs[start : start + 500]
        found |= set(
            session.scalars(
                select(FraudTransaction.tx_ref).where(
                    FraudTransaction.partner == partner, FraudTransaction.tx_ref.in_(chunk)
                )
            )
        )
    return found


def existing_call_keys(session: Session, keys: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(keys), 500):
        found |= set(
            session.scalars(select(FraudCall.record_key).where(FraudCall.record_key.in_(keys[start : start + 500])))
        )
    return found


def existing_report_refs(session: Session, partner: str, refs: Sequence[str]) -> set[str]:
    return set(
        session.scalars(
            select(FraudReport.report_ref).where(FraudReport.partner == partner, FraudReport.report_ref.in_(refs))
        )
    )


def add_all(session: Session, rows: Iterable[object]) -> None:
    session.add_all(list(rows))
    session.flush()


def history(
    session: Session, accounts: Sequence[str], since: datetime, until: datetime, exclude: Sequence[int]
) -> list[FraudTransaction]:
    """Stored transactions of these accounts in ``(since, until]``, except the ones being scored."""
    out: list[FraudTransaction] = []
    for start in range(0, len(accounts), 400):
        chunk = accounts[start : start + 400]
        query = select(FraudTransaction).where(
            or_(FraudTransaction.from_account.in_(chunk), FraudTransaction.to_account.in_(chunk)),
            FraudTransaction.time > since,
            FraudTransaction.time <= until,
        )
        if exclude:
            query = query.where(FraudTransaction.id.not_in(exclude))
        out.extend(session.scalars(query))
    return list({t.id: t for t in out}.values())


def seen_before(session: Session, accounts: Sequence[str], before: datetime) -> dict[str, tuple[datetime, datetime]]:
    """First and last time each account appears in a transaction at or before ``before``."""
    seen: dict[str, tuple[datetime, datetime]] = {}
    for column in (FraudTransaction.from_account, FraudTransaction.to_account):
        for start in range(0, len(accounts), 400):
            rows = session.execute(
                select(column, func.min(FraudTransaction.time), func.max(FraudTransaction.time))
                .where(column.in_(accounts[start : start + 400]), FraudTransaction.time <= before)
                .group_by(column)
            )
            for account, first, last in rows:
                if account in seen:
                    first, last = min(first, seen[account][0]), max(last, seen[account][1])
                seen[account] = (first, last)
    return seen


def first_transaction_time(session: Session) -> datetime | None:
    return session.scalar(select(func.min(FraudTransaction.time)))


def calls_to(session: Session, numbers: Sequence[str], since: datetime, until: datetime) -> list[FraudCall]:
    out: list[FraudCall] = []
    for start in range(0, len(numbers), 400):
        out.extend(
            session.scalars(
                select(FraudCall).where(
                    FraudCall.to_number.in_(numbers[start : start + 400]),
                    FraudCall.time >= since,
                    FraudCall.time <= until,
                )
            )
        )
    return out


def calls_between(session: Session, since: datetime, until: datetime) -> list[FraudCall]:
    return list(session.scalars(select(FraudCall).where(FraudCall.time > since, FraudCall.time <= until)))


def flagged_numbers(session: Session) -> frozenset[str]:
    """Numbers reported as scam numbers (by victims, banks, or the mass-call rule)."""
    query = select(FraudReport.subject).where(FraudReport.subject_type == "number", FraudReport.label == "scam_number")
    return frozenset(session.scalars(query))


def hits_for(session: Session, transaction_ids: Sequence[int]) -> list[FraudHit]:
    return list(session.scalars(select(FraudHit).where(FraudHit.transaction_id.in_(transaction_ids))))


def warning(session: Session, warning_id: int) -> FraudWarning | None:
    return session.get(FraudWarning, warning_id)


def transaction(session: Session, transaction_id: int) -> FraudTransaction | None:
    return session.get(FraudTransaction, transaction_id)


def warning_for(session: Session, transaction_id: int) -> FraudWarning | None:
    return session.scalar(select(FraudWarning).where(FraudWarning.transaction_id == transaction_id))


def open_warnings(session: Session, limit: int) -> list[FraudWarning]:
    """Warnings without an outcome, the earliest deadline first."""
    query = select(FraudWarning).where(FraudWarning.outcome == "")
    return list(session.scalars(query.order_by(FraudWarning.due_at, FraudWarning.id).limit(limit)))


def count_open_warnings(session: Session, due_before: datetime) -> tuple[int, int]:
    """How many warnings have no outcome, and how many of those are due before ``due_before``."""
    query = select(func.count()).select_from(FraudWarning).where(FraudWarning.outcome == "")
    total = session.scalar(query) or 0
    late = session.scalar(query.where(FraudWarning.due_at < due_before)) or 0
    return int(total), int(late)


def recorded_warnings(session: Session, limit: int) -> list[FraudWarning]:
    """Warnings with an outcome, the latest recorded first."""
    query = select(FraudWarning).where(FraudWarning.outcome != "")
    return list(session.scalars(query.order_by(FraudWarning.outcome_at.desc(), FraudWarning.id.desc()).limit(limit)))


def transactions_by_id(session: Session, ids: Sequence[int]) -> dict[int, FraudTransaction]:
    out: dict[int, FraudTransaction] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        out.update((t.id, t) for t in session.scalars(select(FraudTransaction).where(FraudTransaction.id.in_(chunk))))
    return out


def reports_by_ref(session: Session, partner: str, refs: Sequence[str]) -> dict[str, FraudReport]:
    if not refs:
        return {}
    query = select(FraudReport).where(FraudReport.partner == partner, FraudReport.report_ref.in_(refs))
    return {r.report_ref: r for r in session.scalars(query)}


def hits_by_alert(session: Session, alert_id: int) -> list[FraudHit]:
    return list(session.scalars(select(FraudHit).where(FraudHit.alert_id == alert_id)))


def hit_transactions(session: Session, since: datetime, until: datetime) -> list[tuple[FraudTransaction, FraudHit]]:
    """Transactions with a typology hit in ``(since, until]``, with their hits."""
    query = (
        select(FraudTransaction, FraudHit)
        .join(FraudHit, FraudHit.transaction_id == FraudTransaction.id)
        .where(FraudTransaction.time > since, FraudTransaction.time <= until)
    )
    return [(t, h) for t, h in session.execute(query)]


def add_case(session: Session, case: FraudCase) -> FraudCase:
    session.add(case)
    session.flush()
    return case


def case(session: Session, case_id: int) -> FraudCase | None:
    return session.get(FraudCase, case_id)


def all_case_ids(session: Session) -> list[int]:
    return list(session.scalars(select(FraudCase.id).order_by(FraudCase.id)))


def case_events(session: Session, case_id: int) -> list[FraudCaseEvent]:
    query = select(FraudCaseEvent).where(FraudCaseEvent.case_id == case_id)
    return list(session.scalars(query.order_by(FraudCaseEvent.at, FraudCaseEvent.id)))


def partner_has_transactions(session: Session, partner: str) -> bool:
    return session.scalar(select(FraudTransaction.id).where(FraudTransaction.partner == partner).limit(1)) is not None


def partners_of_account(session: Session, account: str) -> dict[str, int]:
    """Partners that sent payments from or to ``account``, with how many."""
    query = (
        select(FraudTransaction.partner, func.count())
        .where(or_(FraudTransaction.from_account == account, FraudTransaction.to_account == account))
        .group_by(FraudTransaction.partner)
    )
    return {partner: int(n) for partner, n in session.execute(query)}


def partners_of_number(session: Session, number: str) -> dict[str, int]:
    """Partners that sent calls from or to ``number``, or payments by a payer registered with it."""
    found: dict[str, int] = {}
    queries = (
        select(FraudCall.partner, func.count())
        .where(or_(FraudCall.from_number == number, FraudCall.to_number == number))
        .group_by(FraudCall.partner),
        select(FraudTransaction.partner, func.count())
        .where(FraudTransaction.payer_phone == number)
        .group_by(FraudTransaction.partner),
    )
    for query in queries:
        for partner, n in session.execute(query):
            found[partner] = found.get(partner, 0) + int(n)
    return found


def reveal_request(session: Session, request_id: int) -> FraudRevealRequest | None:
    return session.get(FraudRevealRequest, request_id)


def reveal_requests_of_case(session: Session, case_id: int) -> list[FraudRevealRequest]:
    query = select(FraudRevealRequest).where(FraudRevealRequest.case_id == case_id)
    return list(session.scalars(query.order_by(FraudRevealRequest.id)))


def reveal_requests(
    session: Session, statuses: Sequence[str], partner: str | None = None, limit: int = 500
) -> list[FraudRevealRequest]:
    query = select(FraudRevealRequest).where(FraudRevealRequest.status.in_(statuses))
    if partner is not None:
        query = query.where(FraudRevealRequest.partner == partner)
    return list(session.scalars(query.order_by(FraudRevealRequest.id).limit(limit)))


def open_reveal_request(session: Session, case_id: int, subject: str) -> FraudRevealRequest | None:
    """A request for ``subject`` on the case that is still waiting (for approval or for the answer)."""
    query = select(FraudRevealRequest).where(
        FraudRevealRequest.case_id == case_id,
        FraudRevealRequest.subject == subject,
        FraudRevealRequest.status.in_(["pending_approval", "approved"]),
    )
    return session.scalars(query.limit(1)).one_or_none()


def cases_by_id(session: Session, case_ids: Sequence[int]) -> dict[int, FraudCase]:
    if not case_ids:
        return {}
    return {c.id: c for c in session.scalars(select(FraudCase).where(FraudCase.id.in_(case_ids)))}


def reencrypt_batch(session: Session, after_id: int, limit: int) -> list[FraudRevealRequest]:
    query = (
        select(FraudRevealRequest)
        .where(FraudRevealRequest.id > after_id, FraudRevealRequest.answer_enc.is_not(None))
        .order_by(FraudRevealRequest.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def hit_counts_by_typology(session: Session, since: datetime, until: datetime) -> dict[str, int]:
    """Payments with a typology hit detected in ``[since, until)``, counted per typology (no rows, no ids)."""
    query = (
        select(FraudHit.typology, func.count(func.distinct(FraudHit.transaction_id)))
        .where(FraudHit.created_at >= since, FraudHit.created_at < until)
        .group_by(FraudHit.typology)
    )
    return {typology: int(count) for typology, count in session.execute(query)}
