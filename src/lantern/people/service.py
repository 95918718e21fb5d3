"""Incident parties: encrypted at rest, read only with a purpose, every access audited."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from lantern.errors import NotFound
from lantern.incidents import service as incident_service
from lantern.models import IncidentParty
from lantern.people import repository
from lantern.people.schemas import PartyCreate, PartyRead
from lantern.security import context
from lantern.security.access import Purpose, audit, guard, personal
from lantern.security.policy import Principal

NAME_CONTEXT = "incident_parties.name"
PHONE_CONTEXT = "incident_parties.phone"
PHONE_KIND = "phone"


def create(session: Session, principal: Principal, incident_id: int, party_in: PartyCreate) -> IncidentParty:
    """Record a person on an incident (collection is audited with the incident as purpose)."""
    guard(principal, "party:write", "incident", incident_id)
    incident_service.get_or_raise(session, principal.row_scope(), incident_id)
    ring = context.keyring(session)
    party = repository.add(
        session,
        IncidentParty(
            incident_id=incident_id,
            role=party_in.role,
            name_enc=ring.encrypt(party_in.name, NAME_CONTEXT),
            phone_enc=ring.encrypt(party_in.phone, PHONE_CONTEXT),
            phone_pseudonym=ring.pseudonym(party_in.phone, PHONE_KIND),
            created_at=context.now(session),
            created_by=principal.name,
        ),
    )
    audit(
        session,
        principal,
        "create",
        "incident_party",
        party.id,
        purpose=Purpose(f"incident:{incident_id}", "recorded on the incident"),
        details={"incident": incident_id, "role": party_in.role},
    )
    return party


def list_pseudonymous(session: Session, principal: Principal, incident_id: int) -> list[IncidentParty]:
    """Parties of an incident for analysis: roles and pseudonyms only, no purpose needed."""
    guard(principal, "party:read_pseudonymous", "incident", incident_id)
    incident_service.get_or_raise(session, principal.row_scope(), incident_id)
    return repository.for_incident(session, incident_id)


def read_personal(session: Session, principal: Principal, incident_id: int, purpose: Purpose | None) -> list[PartyRead]:
    """Names and numbers: permission, purpose and an audit entry written before they are returned."""
    incident_service.get_or_raise(session, principal.row_scope(), incident_id)
    parties = repository.for_incident(session, incident_id)
    personal(
        session,
        principal,
        purpose,
        action="consult",
        permission="party:read_personal",
        object_type="incident_parties",
        object_id=f"incident:{incident_id}",
        details={"parties": [p.id for p in parties]},
    )
    ring = context.keyring(session)
    return [
        PartyRead(
            id=p.id,
            incident_id=p.incident_id,
            role=p.role,
            name=ring.decrypt(p.name_enc, NAME_CONTEXT),
            phone=ring.decrypt(p.phone_enc, PHONE_CONTEXT),
            created_at=p.created_at,
        )
        for p in parties
    ]


def erase(session: Session, principal: Principal, incident_id: int, party_id: int, purpose: Purpose | None) -> None:
    """Erase one person's data from an incident (on a legal basis, stated as the purpose)."""
    incident_service.get_or_raise(session, principal.row_scope(), incident_id)
    party = repository.get(session, party_id)
    if party is None or party.incident_id != incident_id:
        raise NotFound(f"incident {incident_id} has no party {party_id}")
    personal(
        session,
        principal,
        purpose,
        action="erase",
        permission="party:erase",
        object_type="incident_party",
        object_id=party_id,
        details={"incident": incident_id},
    )
    repository.delete_one(session, party)


def purge_older_than(session: Session, before: datetime) -> int:
    """Retention: erase parties recorded before ``before``; returns how many."""
    return repository.delete_ids(session, repository.older_than(session, before))


def reencrypt_batch(session: Session, after_id: int, limit: int) -> tuple[int, int]:
    """Key rotation: re-encrypt up to ``limit`` rows not on the primary key; returns (last id, changed)."""
    ring = context.keyring(session)
    primary = ring.primary.id
    rows = repository.encrypted_batch(session, after_id, limit)
    changed = 0
    for party_id, name_enc, phone_enc in rows:
        if ring.key_id_of(name_enc) == primary and ring.key_id_of(phone_enc) == primary:
            continue
        repository.set_ciphertexts(
            session,
            party_id,
            ring.encrypt(ring.decrypt(name_enc, NAME_CONTEXT), NAME_CONTEXT),
            ring.encrypt(ring.decrypt(phone_enc, PHONE_CONTEXT), PHONE_CONTEXT),
        )
        changed += 1
    return (rows[-1][0] if rows else after_id), changed
