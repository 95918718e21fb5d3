"""Sign-in, second factor, sign-out, and the administrator's account and token pages."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel

from lantern.errors import DomainError
from lantern.security import service as security_service
from lantern.security import totp
from lantern.security.policy import ROLES, Principal, load_policy
from lantern.web.auth import CSRF_COOKIE, SESSION_COOKIE, PrincipalDep, public, require, signed_in
from lantern.web.deps import SessionDep, SettingsDep
from lantern.web.params import IdPath
from lantern.web.templating import render

router = APIRouter(tags=["security"])
Admin = Annotated[Principal, require("user:manage")]
TokenAdmin = Annotated[Principal, require("token:manage")]


def _safe_next(target: str | None) -> str:
    """Only local paths: an open redirect would let a phishing link borrow our sign-in page."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


@router.get("/login", response_class=HTMLResponse, dependencies=[public()], include_in_schema=False)
def login_page(request: Request, next: str = "/") -> HTMLResponse:
    return render(request, "login.html", next=_safe_next(next), message="")


@router.post("/login", response_class=HTMLResponse, dependencies=[public()], include_in_schema=False)
def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    username: Annotated[str, Form(max_length=80)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    result = security_service.sign_in(
        session,
        username,
        password,
        settings=settings,
        request_id=principal.request_id,
        client_address=principal.client_address,
    )
    if not result.ok or result.session_token is None or result.user_session is None:
        return render(
            request,
            "login.html",
            status_code=401,
            next=_safe_next(next),
            message=result.message,
            username=username,
        )
    target = _safe_next(next) if result.user_session.mfa_passed else f"/mfa?next={_safe_next(next)}"
    response = RedirectResponse(target, status_code=303)
    secure = settings.https
    response.set_cookie(SESSION_COOKIE, result.session_token, httponly=True, samesite="lax", secure=secure, path="/")
    # The CSRF token is rotated with the session (no fixation across sign-in).
    response.set_cookie(
        CSRF_COOKIE, result.user_session.csrf_token, httponly=True, samesite="lax", secure=secure, path="/"
    )
    return response


@router.post("/logout", include_in_schema=False)
def logout(session: SessionDep, principal: Annotated[Principal, signed_in()]) -> Response:
    security_service.sign_out(session, principal)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
    return response


@router.get("/mfa", response_class=HTMLResponse, include_in_schema=False)
def mfa_page(
    request: Request, session: SessionDep, principal: Annotated[Principal, signed_in()], next: str = "/"
) -> Response:
    if principal.kind != "user" or principal.user_id is None:
        return RedirectResponse("/", status_code=303)
    if principal.mfa_passed:
        return RedirectResponse(_safe_next(next), status_code=303)
    user = security_service.get_user_or_raise(session, principal.name)
    if user.mfa_enabled:
        return render(request, "mfa_verify.html", next=_safe_next(next), message="")
    secret = security_service.enrolment_secret(session, user)
    uri = totp.provisioning_uri(secret, user.username)
    return render(
        request,
        "mfa_enrol.html",
        next=_safe_next(next),
        secret=secret,
        qr=totp.qr_svg(uri),
        uri=uri,
        message="",
    )


@router.post("/mfa/enrol", response_class=HTMLResponse, include_in_schema=False)
def mfa_enrol(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, signed_in()],
    code: Annotated[str, Form(max_length=20)],
    next: Annotated[str, Form()] = "/",
) -> Response:
    user = security_service.get_user_or_raise(session, principal.name)
    try:
        codes = security_service.confirm_enrolment(session, principal, user, code)
    except DomainError as exc:
        secret = security_service.enrolment_secret(session, user)
        uri = totp.provisioning_uri(secret, user.username)
        return render(
            request,
            "mfa_enrol.html",
            status_code=exc.status_code,
            next=_safe_next(next),
            secret=secret,
            qr=totp.qr_svg(uri),
            uri=uri,
            message=exc.message,
        )
    return render(request, "mfa_recovery.html", codes=codes, next=_safe_next(next))


@router.post("/mfa/verify", response_class=HTMLResponse, include_in_schema=False)
def mfa_verify(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: Annotated[Principal, signed_in()],
    code: Annotated[str, Form(max_length=40)],
    next: Annotated[str, Form()] = "/",
) -> Response:
    user = security_service.get_user_or_raise(session, principal.name)
    if security_service.verify_second_factor(session, principal, user, code, settings):
        return RedirectResponse(_safe_next(next), status_code=303)
    return render(
        request,
        "mfa_verify.html",
        status_code=401,
        next=_safe_next(next),
        message="That code is not valid (or was already used). Try the next code.",
    )


# ------------------------------------------------------------------ administration


class UserRead(BaseModel):
    username: str
    display_name: str
    roles: list[str]
    district_id: int | None
    is_active: bool
    locked: bool
    mfa_enabled: bool


@router.get("/api/users", response_model=list[UserRead], tags=["admin"])
def api_users(session: SessionDep, principal: Admin) -> Any:
    """Accounts with roles and state (no personal data beyond the display name)."""
    return [
        UserRead(
            username=u.username,
            display_name=u.display_name,
            roles=roles,
            district_id=u.district_id,
            is_active=u.is_active,
            locked=u.locked_at is not None,
            mfa_enabled=u.mfa_enabled,
        )
        for u, roles in security_service.list_users(session)
    ]


@router.get("/admin/users", response_class=HTMLResponse, include_in_schema=False)
def users_page(request: Request, session: SessionDep, principal: Admin, message: str = "") -> HTMLResponse:
    return render(
        request,
        "admin_users.html",
        users=security_service.list_users(session),
        roles=ROLES,
        policy=load_policy(),
        message=message,
    )


@router.post("/admin/users", include_in_schema=False)
def create_user(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: Admin,
    username: Annotated[str, Form(max_length=80)],
    password: Annotated[str, Form(max_length=256)],
    role: Annotated[list[str], Form()],
    display_name: Annotated[str, Form(max_length=200)] = "",
    district_id: Annotated[str, Form()] = "",
) -> Response:
    try:
        security_service.create_user(
            session,
            principal,
            username=username,
            password=password,
            roles=role,
            settings=settings,
            display_name=display_name,
            district_id=int(district_id) if district_id.isdigit() else None,
        )
    except DomainError as exc:
        return render(
            request,
            "admin_users.html",
            status_code=exc.status_code,
            users=security_service.list_users(session),
            roles=ROLES,
            policy=load_policy(),
            message=exc.message,
        )
    return RedirectResponse(f"/admin/users?message=Created+{username}", status_code=303)


@router.post("/admin/users/{username}/{action}", include_in_schema=False)
def user_action(session: SessionDep, principal: Admin, username: str, action: str) -> Response:
    actions = {
        "disable": lambda: security_service.disable_user(session, principal, username, "disabled by an administrator"),
        "enable": lambda: security_service.enable_user(session, principal, username),
        "unlock": lambda: security_service.unlock_user(session, principal, username),
        "reset-mfa": lambda: security_service.reset_mfa(session, principal, username),
    }
    if action not in actions:
        return RedirectResponse("/admin/users?message=Unknown+action", status_code=303)
    actions[action]()
    return RedirectResponse(f"/admin/users?message={action}+done+for+{username}", status_code=303)


@router.get("/admin/tokens", response_class=HTMLResponse, include_in_schema=False)
def tokens_page(request: Request, session: SessionDep, principal: TokenAdmin) -> HTMLResponse:
    return render(
        request,
        "admin_tokens.html",
        tokens=security_service.list_tokens(session),
        permissions=load_policy().permissions,
        created=None,
        message="",
    )


@router.post("/admin/tokens", response_class=HTMLResponse, include_in_schema=False)
def create_token(
    request: Request,
    session: SessionDep,
    principal: TokenAdmin,
    name: Annotated[str, Form(max_length=120)],
    scope: Annotated[list[str], Form()],
    days: Annotated[int, Form(ge=1, le=366)] = 90,
) -> HTMLResponse:
    try:
        _, plaintext = security_service.create_token(session, principal, name=name, scopes=scope, days=days)
    except DomainError as exc:
        return render(
            request,
            "admin_tokens.html",
            status_code=exc.status_code,
            tokens=security_service.list_tokens(session),
            permissions=load_policy().permissions,
            created=None,
            message=exc.message,
        )
    return render(
        request,
        "admin_tokens.html",
        tokens=security_service.list_tokens(session),
        permissions=load_policy().permissions,
        created=plaintext,
        message="",
    )


@router.post("/admin/tokens/{token_id}/revoke", include_in_schema=False)
def revoke_token(session: SessionDep, principal: TokenAdmin, token_id: IdPath) -> Response:
    security_service.revoke_token(session, principal, token_id)
    return RedirectResponse("/admin/tokens", status_code=303)
