"""People linked to incidents: pseudonymous for analysis, personal only with a purpose."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, status

from lantern.people import service as people_service
from lantern.people.schemas import PartyCreate, PartyPseudonymous, PartyRead
from lantern.security.policy import Principal
from lantern.web.auth import PurposeDep, require
from lantern.web.deps import SessionDep
from lantern.web.params import IdPath

router = APIRouter(prefix="/api/incidents/{incident_id}/parties", tags=["people"])


@router.post("", response_model=PartyPseudonymous, status_code=status.HTTP_201_CREATED)
def create_party(
    session: SessionDep,
    principal: Annotated[Principal, require("party:write")],
    incident_id: IdPath,
    party_in: PartyCreate,
) -> Any:
    """Record a caller, victim or witness on an incident (encrypted at rest, audited)."""
    return people_service.create(session, principal, incident_id, party_in)


@router.get("", response_model=list[PartyRead])
def read_parties(
    session: SessionDep,
    principal: Annotated[Principal, require("party:read_personal")],
    purpose: PurposeDep,
    incident_id: IdPath,
) -> Any:
    """Names and numbers; needs X-Lantern-Purpose-Ref and X-Lantern-Purpose-Reason (audited)."""
    return people_service.read_personal(session, principal, incident_id, purpose)


@router.get("/pseudonymous", response_model=list[PartyPseudonymous])
def read_pseudonymous(
    session: SessionDep,
    principal: Annotated[Principal, require("party:read_pseudonymous")],
    incident_id: IdPath,
) -> Any:
    """Roles and keyed pseudonyms only, for analysis; no purpose needed."""
    return people_service.list_pseudonymous(session, principal, incident_id)


@router.delete("/{party_id}", status_code=status.HTTP_204_NO_CONTENT)
def erase_party(
    session: SessionDep,
    principal: Annotated[Principal, require("party:erase")],
    purpose: PurposeDep,
    incident_id: IdPath,
    party_id: IdPath,
) -> None:
    """Erase one person's data from an incident; the purpose states the legal basis (audited)."""
    people_service.erase(session, principal, incident_id, party_id, purpose)
