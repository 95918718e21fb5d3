"""One policy layer: every route declares a permission; the role x endpoint matrix; row scope; tokens."""

from __future__ import annotations

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import select

from lantern.models import AuditEntry, District, Incident
from lantern.security.policy import ROLES, load_policy
from lantern.web.auth import PERMISSION_ATTR
from tests.factories.security import bearer, make_user, sign_in

# FastAPI's own documentation routes carry no data.
UNDECLARED_OK = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}


def _declared(dependant) -> set[str]:
    found = set()
    call = getattr(dependant, "call", None)
    if call is not None and hasattr(call, PERMISSION_ATTR):
        found.add(getattr(call, PERMISSION_ATTR))
    for sub in dependant.dependencies:
        found |= _declared(sub)
    return found


def _all_routes(routes):
    """Routes, looking inside included routers (FastAPI keeps them as lazy wrappers)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _all_routes(inner.routes)
        else:
            yield route


def test_every_route_declares_what_it_needs(app):
    undeclared = []
    routes = list(_all_routes(app.routes))
    assert len(routes) > 30
    for route in routes:
        if isinstance(route, APIRoute):
            if not _declared(route.dependant):
                undeclared.append(f"{sorted(route.methods)} {route.path}")
        elif route.path not in UNDECLARED_OK and not route.path.startswith("/static"):
            undeclared.append(route.path)
    assert undeclared == []


def test_the_policy_names_only_known_permissions_and_every_staff_role():
    policy = load_policy()
    assert set(ROLES) == {
        "admin",
        "dispatcher",
        "officer",
        "analyst",
        "supervisor",
        "investigator",
        "auditor",
        "citizen",
    }
    assert policy.roles["auditor"].permissions == {"audit:read", "audit:export"}
    assert "party:read_personal" not in policy.roles["analyst"].permissions
    assert "party:read_personal" not in policy.roles["admin"].permissions


PURPOSE = {"X-Lantern-Purpose-Ref": "incident:{id}", "X-Lantern-Purpose-Reason": "follow-up call to the victim"}
ENDPOINTS = [
    ("GET", "/api/city", "city:read"),
    ("GET", "/api/geocode?q=Annankatu%2025", "geocode:use"),
    ("GET", "/api/incidents?limit=1", "incident:read"),
    ("GET", "/api/incidents/{id}/parties/pseudonymous", "party:read_pseudonymous"),
    ("GET", "/api/incidents/{id}/parties", "party:read_personal"),
    ("GET", "/api/audit?limit=1", "audit:read"),
    ("GET", "/audit/export.csv?action=sign_in", "audit:export"),
    ("GET", "/api/users", "user:manage"),
]
# (role, endpoint path) -> expected status, derived from the policy table
MATRIX = [
    (role, method, path, 200 if needed in load_policy().roles[role].permissions else 403)
    for role in ROLES
    for method, path, needed in ENDPOINTS
]


@pytest.fixture
def incident_id(session) -> int:
    # An unrestricted incident in the first district, so district-scoped officers (D1) see it.
    first = session.scalars(select(District).order_by(District.code)).first()
    return session.scalars(
        select(Incident.id).where(Incident.district_id == first.id, Incident.restricted.is_(False)).limit(1)
    ).one()


@pytest.mark.parametrize("role", ROLES)
def test_role_by_endpoint_matrix(app, session, settings, incident_id, role):
    district = session.scalars(select(District).order_by(District.code)).first()
    account = make_user(session, settings, f"m-{role}", [role], district_id=district.id, enrolled=role != "citizen")
    with TestClient(app) as client:
        sign_in(client, account, session)
        for r, method, path, expected in MATRIX:
            if r != role:
                continue
            headers = {k: v.format(id=incident_id) for k, v in PURPOSE.items()}
            response = client.request(method, path.format(id=incident_id), headers=headers)
            assert response.status_code == expected, (
                f"{role} {method} {path}: {response.status_code} {response.text[:200]}"
            )


def test_a_refusal_is_audited(client, session, settings):
    sign_in(client, make_user(session, settings, "nosy", ["analyst"]), session)
    assert client.get("/api/audit").status_code == 403
    denied = session.scalars(select(AuditEntry).where(AuditEntry.actor == "nosy", AuditEntry.action == "deny")).one()
    assert denied.outcome == "denied" and denied.details == {"needed": "audit:read"}


def test_officers_see_only_their_district(client, session, settings):
    districts = session.scalars(select(District).order_by(District.code)).all()
    sign_in(client, make_user(session, settings, "beat", ["officer"], district_id=districts[0].id), session)
    page = client.get("/api/incidents", params={"limit": 500}).json()
    assert page["total"] > 0
    assert {i["district_id"] for i in page["items"]} == {districts[0].id}
    elsewhere = session.scalars(select(Incident.id).where(Incident.district_id == districts[1].id).limit(1)).one()
    assert client.get(f"/api/incidents/{elsewhere}").status_code == 404


def test_restricted_incidents_only_for_roles_that_may_see_them(app, session, settings):
    incident = session.scalars(select(Incident).where(Incident.category == "assault").limit(1)).one()
    incident.restricted = True
    session.flush()
    results = {}
    for role in ("dispatcher", "supervisor", "investigator", "analyst"):
        account = make_user(session, settings, f"r-{role}", [role])
        with TestClient(app) as client:
            sign_in(client, account, session)
            results[role] = client.get(f"/api/incidents/{incident.id}").status_code
    assert results == {"dispatcher": 404, "supervisor": 200, "investigator": 200, "analyst": 404}


def test_token_scopes_limit_what_a_machine_may_do(client, session):
    headers = bearer(session, ["incident:read"])
    assert client.get("/api/incidents?limit=1", headers=headers).status_code == 200
    assert client.get("/api/audit", headers=headers).status_code == 403
    assert client.get("/api/city", headers=headers).status_code == 403


def test_revoked_and_expired_tokens_are_refused(client, session, clock):
    from lantern.security import service as security_service
    from lantern.security.policy import Principal

    headers = bearer(session, ["incident:read"], days=1)
    token_id = security_service.list_tokens(session)[0].id
    clock.advance(hours=25)
    assert client.get("/api/incidents?limit=1", headers=headers).status_code == 401
    fresh = bearer(session, ["incident:read"])
    assert client.get("/api/incidents?limit=1", headers=fresh).status_code == 200
    security_service.revoke_token(session, Principal.system("tests"), security_service.list_tokens(session)[0].id)
    assert client.get("/api/incidents?limit=1", headers=fresh).status_code == 401
    assert token_id


def test_tokens_are_stored_hashed(session):
    from lantern.models import ApiToken

    headers = bearer(session, ["incident:read"])
    plaintext = headers["Authorization"].split()[1]
    stored = session.scalars(select(ApiToken)).all()
    assert all(plaintext not in (t.token_hash, t.prefix) for t in stored)


def test_bearer_requests_need_no_csrf_token(client, session):
    incident = session.scalars(select(Incident.id).limit(1)).one()
    headers = bearer(session, ["party:write"])
    response = client.post(
        f"/api/incidents/{incident}/parties",
        headers=headers,
        json={"role": "caller", "name": "Ann Example", "phone": "+358 40 123 4567"},
    )
    assert response.status_code == 201
