"""Queries of incident parties; flushes, never commits."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from lantern.models import IncidentParty


def add(session: Session, party: IncidentParty) -> IncidentParty:
    session.add(party)
    session.flush()
    return party


def for_incident(session: Session, incident_id: int) -> list[IncidentParty]:
    query = select(IncidentParty).where(IncidentParty.incident_id == incident_id).order_by(IncidentParty.id)
    return list(session.scalars(query))


def get(session: Session, party_id: int) -> IncidentParty | None:
    return session.get(IncidentParty, party_id)


def delete_one(session: Session, party: IncidentParty) -> None:
    session.delete(party)
    session.flush()


def older_than(session: Session, before: datetime) -> list[int]:
    return list(session.scalars(select(IncidentParty.id).where(IncidentParty.created_at < before)))


def delete_ids(session: Session, ids: list[int]) -> int:
    if not ids:
        return 0
    result = session.execute(delete(IncidentParty).where(IncidentParty.id.in_(ids)))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def encrypted_batch(session: Session, after_id: int, limit: int) -> list[tuple[int, str, str]]:
    query = (
        select(IncidentParty.id, IncidentParty.name_enc, IncidentParty.phone_enc)
        .where(IncidentParty.id > after_id)
        .order_by(IncidentParty.id)
        .limit(limit)
    )
    return [(int(i), str(n), str(p)) for i, n, p in session.execute(query)]


def set_ciphertexts(session: Session, party_id: int, name_enc: str, phone_enc: str) -> None:
    session.execute(
        update(IncidentParty).where(IncidentParty.id == party_id).values(name_enc=name_enc, phone_enc=phone_enc)
    )


def iter_all_ids(session: Session) -> Iterator[int]:
    yield from session.scalars(select(IncidentParty.id).order_by(IncidentParty.id))
