"""Cases, officers and principals for oversight tests (plain typed functions)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from lantern.models import Incident, OversightCase
from lantern.oversight import service as oversight_service
from lantern.oversight.schemas import CaseCreate
from tests.factories.security import principal_for

OFFICER = principal_for("officer", "off-li")
OTHER_OFFICER = principal_for("officer", "off-zhao")
SUPERVISOR = principal_for("supervisor", "sup-wang")
AUDITOR = principal_for("auditor", "aud-chen")


def an_incident_id(session: Session) -> int:
    return int(session.scalars(select(Incident.id).order_by(Incident.id).limit(1)).one())


def case(
    session: Session,
    number: str = "2026-0001",
    *,
    kind: str = "criminal",
    jurisdiction: str = "CN-CPL",
    statute_version: str = "2018",
    incident_id: int | None = None,
    officer: str = "off-li",
) -> OversightCase:
    return oversight_service.create_case(
        session,
        OFFICER,
        CaseCreate(
            number=number,
            kind=kind,  # type: ignore[arg-type]
            jurisdiction=jurisdiction,
            statute_version=statute_version,
            title="theft from a shop",
            incident_id=incident_id,
            responsible_officer=officer,
            supervisor="sup-wang",
        ),
    )
