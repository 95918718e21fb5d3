"""The one place where requests are authenticated and permissions enforced.

Every route declares what it needs with ``require("resource:action")`` or ``public()``;
tests/security/test_policy.py walks all routes and fails on one that declares nothing.
Unsafe methods authenticated by cookie must carry the CSRF token (form field ``csrf_token``
or header ``X-CSRF-Token``); bearer-token requests carry no ambient authority and need none.
"""

from __future__ import annotations

import hmac
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request

from lantern.errors import DomainError, Forbidden, NotAuthenticated
from lantern.security import service as security_service
from lantern.security.access import AuditedForbidden, Purpose, event, parse_purpose
from lantern.security.policy import Principal
from lantern.web.deps import SessionDep, SettingsDep

SESSION_COOKIE = "lantern_session"
CSRF_COOKIE = "lantern_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
PERMISSION_ATTR = "__lantern_permission__"
MFA_PATHS = ("/mfa", "/logout")


class SignInRequired(NotAuthenticated):
    """Browsers are redirected to the sign-in page; API clients get 401."""


class SecondFactorRequired(NotAuthenticated):
    code = "second_factor_required"


class CsrfRejected(Forbidden):
    code = "csrf_rejected"


def client_address(request: Request, trust_proxy: bool) -> str:
    if trust_proxy and (forwarded := request.headers.get("x-forwarded-for")):
        return forwarded.split(",")[0].strip()[:64]
    return request.client.host if request.client else ""


def resolve_principal(request: Request, session: SessionDep, settings: SettingsDep) -> Principal:
    """Who the request acts as (anonymous when nobody signed in); cached on request.state."""
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    request_id = getattr(request.state, "request_id", "")
    address = client_address(request, settings.trust_proxy_headers)
    principal = Principal.anonymous(request_id, address)
    authorization = request.headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        token = security_service.resolve_token(session, authorization[7:].strip())
        if token is None:
            raise NotAuthenticated("the bearer token is unknown, expired or revoked")
        principal = security_service.principal_for_token(token, request_id, address)
    elif cookie := request.cookies.get(SESSION_COOKIE):
        resolved = security_service.resolve_session(session, cookie, settings)
        if resolved is not None:
            principal = security_service.principal_for_user(
                resolved.user, resolved.roles, resolved.user_session, request_id, address
            )
    request.state.principal = principal
    return principal


PrincipalDep = Annotated[Principal, Depends(resolve_principal)]


async def _check_csrf(request: Request, principal: Principal) -> None:
    if request.method not in UNSAFE or principal.kind == "token":
        return
    submitted = request.headers.get(CSRF_HEADER, "")
    if not submitted and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        submitted = str(form.get(CSRF_FIELD, ""))
    expected = principal.csrf_token if principal.kind == "user" else request.cookies.get(CSRF_COOKIE, "")
    if not expected or not submitted or not hmac.compare_digest(str(expected), submitted):
        raise CsrfRejected("the form's security token is missing or out of date; reload the page and try again")


def _authenticated(request: Request, principal: Principal) -> None:
    if not principal.authenticated:
        raise SignInRequired("sign in first")
    if not principal.mfa_passed and not request.url.path.startswith(MFA_PATHS):
        raise SecondFactorRequired("complete the second sign-in step (authenticator code) first")


def require(permission: str) -> Any:
    """Dependency: the principal is signed in, past the second factor, and holds ``permission``."""

    async def dependency(request: Request, principal: PrincipalDep) -> Principal:
        _authenticated(request, principal)
        await _check_csrf(request, principal)
        if not principal.can(permission):
            raise AuditedForbidden(
                f"your role ({principal.role_label}) does not allow {permission}",
                event(
                    principal,
                    "deny",
                    "endpoint",
                    request.url.path,
                    outcome="denied",
                    details={"needed": permission},
                ),
            )
        return principal

    setattr(dependency, PERMISSION_ATTR, permission)
    return Depends(dependency)


def require_any(*permissions: str) -> Any:
    """Dependency: like :func:`require`, satisfied by any one of ``permissions`` (the service decides the rest)."""

    async def dependency(request: Request, principal: PrincipalDep) -> Principal:
        _authenticated(request, principal)
        await _check_csrf(request, principal)
        if not any(principal.can(p) for p in permissions):
            raise AuditedForbidden(
                f"your role ({principal.role_label}) does not allow {' or '.join(permissions)}",
                event(
                    principal,
                    "deny",
                    "endpoint",
                    request.url.path,
                    outcome="denied",
                    details={"needed": list(permissions)},
                ),
            )
        return principal

    setattr(dependency, PERMISSION_ATTR, "|".join(permissions))
    return Depends(dependency)


def signed_in() -> Any:
    """Dependency for pages any signed-in account may use (its own profile, sign-out)."""

    async def dependency(request: Request, principal: PrincipalDep) -> Principal:
        _authenticated(request, principal)
        await _check_csrf(request, principal)
        return principal

    setattr(dependency, PERMISSION_ATTR, "signed-in")
    return Depends(dependency)


def public() -> Any:
    """Dependency for deliberately public endpoints (still CSRF-checked on unsafe methods)."""

    async def dependency(request: Request, principal: PrincipalDep) -> Principal:
        await _check_csrf(request, principal)
        return principal

    setattr(dependency, PERMISSION_ATTR, "public")
    return Depends(dependency)


def purpose_from_request(request: Request) -> Purpose | None:
    """The stated purpose from headers or (for HTML forms) query parameters."""
    ref = request.headers.get("x-lantern-purpose-ref") or request.query_params.get("purpose_ref")
    reason = request.headers.get("x-lantern-purpose-reason") or request.query_params.get("purpose_reason")
    return parse_purpose(ref, reason)


PurposeDep = Annotated[Purpose | None, Depends(purpose_from_request)]


def login_redirect(request: Request, exc: DomainError) -> str | None:
    """Where a browser should go instead of seeing an authentication error page."""
    if isinstance(exc, SecondFactorRequired):
        return "/mfa"
    if isinstance(exc, NotAuthenticated):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return f"/login?next={quote(target, safe='')}"
    return None
