"""Accounts, tokens and signed-in clients for tests (plain typed functions)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from lantern.config import Settings
from lantern.models import User
from lantern.security import context, totp
from lantern.security import service as security_service
from lantern.security.policy import Principal, load_policy

PASSWORD = "correct horse battery staple"


@dataclass
class Account:
    user: User
    password: str
    secret: str | None


def make_user(
    session: Session,
    settings: Settings,
    username: str,
    roles: list[str],
    *,
    district_id: int | None = None,
    enrolled: bool = True,
    password: str = PASSWORD,
) -> Account:
    """A user with a known password and (by default) an enrolled authenticator."""
    user = security_service.create_user(
        session,
        Principal.system("tests"),
        username=username,
        password=password,
        roles=roles,
        settings=settings,
        district_id=district_id,
    )
    secret = None
    if enrolled:
        secret = totp.new_secret()
        user.mfa_secret = context.keyring(session).encrypt(secret, security_service.MFA_CONTEXT)
        user.mfa_enabled = True
    session.flush()
    return Account(user, password, secret)


def csrf_from(html: str) -> str:
    """The CSRF token a page embeds in its forms."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


def sign_in(client: TestClient, account: Account, session: Session) -> None:
    """Sign in through the real pages: password, then the authenticator code."""
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"username": account.user.username, "password": account.password, "csrf_token": csrf_from(page.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    if account.secret:
        mfa = client.get("/mfa")
        code = totp.code_at(account.secret, context.now(session))
        verified = client.post(
            "/mfa/verify", data={"code": code, "csrf_token": csrf_from(mfa.text)}, follow_redirects=False
        )
        assert verified.status_code == 303, verified.text
    # Like the pages' hx-headers, send the session's CSRF token on every later request.
    client.headers["X-CSRF-Token"] = csrf_from(client.get("/").text)


def bearer(session: Session, scopes: list[str], days: int = 30, district_id: int | None = None) -> dict[str, str]:
    """Authorization header of a fresh machine token with ``scopes``."""
    _, plaintext = security_service.create_token(
        session, Principal.system("tests"), name="test", scopes=scopes, days=days, district_id=district_id
    )
    return {"Authorization": f"Bearer {plaintext}"}


def principal_for(
    role: str, name: str | None = None, district_id: int | None = None, user_id: int | None = None
) -> Principal:
    """A principal with a role's permissions, for service-level tests."""
    policy = load_policy()
    roles = frozenset({role})
    return Principal(
        kind="user",
        name=name or f"test-{role}",
        roles=roles,
        permissions=policy.permissions_of(roles),
        district_id=district_id,
        district_scoped=policy.district_scoped(roles),
        user_id=user_id,
    )
