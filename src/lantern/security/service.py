"""Accounts, sign-in, sessions, second factor and machine tokens."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from lantern.config import Settings
from lantern.errors import Conflict, NotFound, ValidationFailed
from lantern.models import ApiToken, LoginAttempt, User, UserSession
from lantern.security import context, passwords, repository, totp
from lantern.security.access import audit
from lantern.security.policy import ROLES, Principal, load_policy

TOUCH_EVERY = timedelta(seconds=60)  # last_seen is rewritten at most once a minute per session
TOKEN_PREFIX = "lt_"  # noqa: S105 - a public marker, not a secret
MFA_CONTEXT = "users.mfa_secret"


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


# ---------------------------------------------------------------- accounts


def create_user(
    session: Session,
    actor: Principal,
    *,
    username: str,
    password: str,
    roles: list[str],
    settings: Settings,
    display_name: str = "",
    district_id: int | None = None,
) -> User:
    """Create an account after checking the password policy and the roles."""
    username = username.strip()
    if not username or len(username) > 80 or not username.replace(".", "").replace("-", "").replace("_", "").isalnum():
        raise ValidationFailed("username must be 1-80 letters, digits, '.', '-' or '_'")
    unknown = sorted(set(roles) - set(ROLES))
    if not roles or unknown:
        raise ValidationFailed(f"unknown role(s) {unknown or '(none given)'}; roles are {', '.join(ROLES)}")
    if repository.user_by_name(session, username) is not None:
        raise Conflict(f"user {username!r} already exists")
    passwords.check_policy(password, username=username, min_length=settings.password_min_length)
    now = context.now(session)
    user = repository.add_user(
        session,
        User(
            username=username,
            display_name=display_name,
            password_hash=passwords.hash_password(password),
            district_id=district_id,
            is_active=True,
            created_at=now,
            password_changed_at=now,
            mfa_enabled=False,
        ),
        sorted(set(roles)),
    )
    audit(session, actor, "user_create", "user", user.id, details={"roles": sorted(set(roles))})
    return user


def get_user_or_raise(session: Session, username: str) -> User:
    user = repository.user_by_name(session, username)
    if user is None:
        raise NotFound(f"no user {username!r}")
    return user


def list_users(session: Session) -> list[tuple[User, list[str]]]:
    """Users with their roles."""
    roles = repository.all_roles(session)
    return [(u, roles.get(u.id, [])) for u in repository.list_users(session)]


def roles_of(session: Session, user: User) -> list[str]:
    return repository.roles_of(session, user.id)


def disable_user(session: Session, actor: Principal, username: str, reason: str) -> User:
    """Disable an account and end its sessions."""
    user = get_user_or_raise(session, username)
    user.is_active = False
    user.disabled_reason = reason[:200]
    repository.end_sessions_of(session, user.id, context.now(session))
    audit(session, actor, "user_disable", "user", user.id, details={"reason": reason[:200]})
    return user


def enable_user(session: Session, actor: Principal, username: str) -> User:
    user = get_user_or_raise(session, username)
    user.is_active = True
    user.disabled_reason = ""
    user.last_login_at = context.now(session)  # otherwise the inactivity rule disables it again at once
    audit(session, actor, "user_enable", "user", user.id)
    return user


def unlock_user(session: Session, actor: Principal, username: str) -> User:
    """Release a locked account; earlier failures stop counting."""
    user = get_user_or_raise(session, username)
    user.locked_at = None
    user.failures_since = context.now(session)
    audit(session, actor, "unlock", "user", user.id)
    return user


def reset_mfa(session: Session, actor: Principal, username: str) -> User:
    """Remove the second factor (lost phone); the user enrols again at the next sign-in."""
    user = get_user_or_raise(session, username)
    user.mfa_secret = None
    user.mfa_enabled = False
    user.mfa_last_step = None
    repository.delete_recovery_codes(session, user.id)
    repository.end_sessions_of(session, user.id, context.now(session))
    audit(session, actor, "mfa_reset", "user", user.id)
    return user


def set_password(session: Session, actor: Principal, username: str, password: str, settings: Settings) -> User:
    user = get_user_or_raise(session, username)
    passwords.check_policy(password, username=user.username, min_length=settings.password_min_length)
    user.password_hash = passwords.hash_password(password)
    user.password_changed_at = context.now(session)
    audit(session, actor, "alter", "user", user.id, details={"field": "password"})
    return user


def disable_inactive(session: Session, actor: Principal, settings: Settings) -> int:
    """Disable accounts unused for ``inactive_account_days`` (CJIS AC-2(3))."""
    cutoff = context.now(session) - timedelta(days=settings.inactive_account_days)
    users = repository.inactive_users(session, cutoff)
    for user in users:
        user.is_active = False
        user.disabled_reason = f"unused for {settings.inactive_account_days} days"
        audit(session, actor, "user_disable", "user", user.id, details={"reason": "inactive"})
    return len(users)


# ---------------------------------------------------------------- sign-in


@dataclass(frozen=True)
class SignInResult:
    ok: bool
    message: str = ""
    user: User | None = None
    session_token: str | None = None
    user_session: UserSession | None = None
    locked: bool = False


def mfa_required(settings: Settings, roles: list[str], user: User) -> bool:
    """Staff roles must use a second factor; optional roles only when they enrolled."""
    return user.mfa_enabled or any(role not in settings.mfa_optional_roles for role in roles)


def sign_in(
    session: Session,
    username: str,
    password: str,
    *,
    settings: Settings,
    request_id: str = "",
    client_address: str = "",
) -> SignInResult:
    """Check credentials and open a session. Never raises for wrong input: failures are recorded."""
    now = context.now(session)
    who = Principal(
        kind="anonymous",
        name=username[:80] or "(empty)",
        request_id=request_id,
        client_address=client_address,
    )
    user = repository.user_by_name(session, username) if username else None
    if user is None:
        passwords.verify_password(passwords.DUMMY_HASH, password)  # same work as a real check
        repository.add_attempt(
            session, LoginAttempt(user_id=None, at=now, success=False, client_address=client_address)
        )
        audit(
            session,
            who,
            "sign_in_failed",
            "user",
            "unknown",
            outcome="failure",
            details={"reason": "credentials"},
        )
        return SignInResult(False, "Wrong username or password.")
    if user.locked_at is not None:
        release = user.locked_at + timedelta(minutes=settings.lockout_release_minutes)
        if settings.lockout_release_minutes and now >= release:
            user.locked_at, user.failures_since = None, now
            audit(
                session,
                Principal.system("lockout-release"),
                "unlock",
                "user",
                user.id,
                details={"reason": "time"},
            )
        else:
            audit(
                session,
                who,
                "sign_in_failed",
                "user",
                user.id,
                outcome="failure",
                details={"reason": "locked"},
            )
            when = "an administrator unlocks it"
            if settings.lockout_release_minutes:
                when += f" or after {settings.lockout_release_minutes} minutes"
            return SignInResult(
                False, f"This account is locked after repeated failed sign-ins, until {when}.", locked=True
            )
    if not user.is_active:
        audit(session, who, "sign_in_failed", "user", user.id, outcome="failure", details={"reason": "disabled"})
        return SignInResult(False, "This account is disabled. Ask an administrator.")
    last_use = user.last_login_at or user.created_at
    if now - last_use > timedelta(days=settings.inactive_account_days):
        disable_inactive(session, Principal.system("inactivity"), settings)
        return SignInResult(False, "This account was disabled after a long period without use. Ask an administrator.")
    if not passwords.verify_password(user.password_hash, password):
        return _failed_password(session, who, user, settings, now, client_address)
    repository.add_attempt(session, LoginAttempt(user_id=user.id, at=now, success=True, client_address=client_address))
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    user.failures_since = now
    user.last_login_at = now
    roles = repository.roles_of(session, user.id)
    token, user_session = _open_session(
        session, user, client_address, mfa_passed=not mfa_required(settings, roles, user)
    )
    actor = principal_for_user(user, roles, user_session, request_id, client_address)
    audit(
        session,
        actor,
        "sign_in",
        "user",
        user.id,
        outcome="success" if user_session.mfa_passed else "mfa_pending",
    )
    return SignInResult(True, user=user, session_token=token, user_session=user_session)


def _failed_password(
    session: Session, who: Principal, user: User, settings: Settings, now: datetime, client_address: str
) -> SignInResult:
    repository.add_attempt(session, LoginAttempt(user_id=user.id, at=now, success=False, client_address=client_address))
    window_start = now - timedelta(minutes=settings.lockout_window_minutes)
    since = max(window_start, user.failures_since) if user.failures_since else window_start
    failures = repository.failures_since(session, user.id, since)
    audit(
        session,
        who,
        "sign_in_failed",
        "user",
        user.id,
        outcome="failure",
        details={"reason": "credentials", "failures": failures},
    )
    if failures >= settings.lockout_attempts:
        user.locked_at = now
        repository.end_sessions_of(session, user.id, now)
        audit(session, who, "lockout", "user", user.id, outcome="locked", details={"failures": failures})
        return SignInResult(False, "Too many failed sign-ins: the account is now locked.", locked=True)
    return SignInResult(False, "Wrong username or password.")


def _open_session(session: Session, user: User, client_address: str, mfa_passed: bool) -> tuple[str, UserSession]:
    token = secrets.token_urlsafe(32)
    now = context.now(session)
    user_session = repository.add_session(
        session,
        UserSession(
            id=_sha256(token),
            user_id=user.id,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            last_seen_at=now,
            mfa_passed=mfa_passed,
            client_address=client_address[:64],
        ),
    )
    return token, user_session


@dataclass(frozen=True)
class ResolvedSession:
    user: User
    roles: list[str]
    user_session: UserSession


def resolve_session(session: Session, token: str, settings: Settings) -> ResolvedSession | None:
    """The live session behind a cookie, or None when unknown, ended, idle or too old."""
    user_session = repository.get_session(session, _sha256(token))
    if user_session is None or user_session.ended_at is not None:
        return None
    now = context.now(session)
    idle = now - user_session.last_seen_at > timedelta(minutes=settings.session_idle_minutes)
    too_old = now - user_session.created_at > timedelta(hours=settings.session_absolute_hours)
    user = repository.get_user(session, user_session.user_id)
    if idle or too_old or user is None or not user.is_active or user.locked_at is not None:
        user_session.ended_at = now
        return None
    if now - user_session.last_seen_at >= TOUCH_EVERY:
        user_session.last_seen_at = now
    return ResolvedSession(user, repository.roles_of(session, user.id), user_session)


def sign_out(session: Session, principal: Principal) -> None:
    if principal.session_id:
        user_session = repository.get_session(session, principal.session_id)
        if user_session and user_session.ended_at is None:
            user_session.ended_at = context.now(session)
            audit(session, principal, "sign_out", "user", principal.user_id)


def principal_for_user(
    user: User,
    roles: list[str],
    user_session: UserSession | None,
    request_id: str = "",
    client_address: str = "",
) -> Principal:
    policy = load_policy()
    role_set = frozenset(roles)
    return Principal(
        kind="user",
        name=user.username,
        roles=role_set,
        permissions=policy.permissions_of(role_set),
        user_id=user.id,
        district_id=user.district_id,
        district_scoped=policy.district_scoped(role_set),
        session_id=user_session.id if user_session else None,
        csrf_token=user_session.csrf_token if user_session else None,
        mfa_passed=user_session.mfa_passed if user_session else True,
        request_id=request_id,
        client_address=client_address,
    )


# ---------------------------------------------------------------- second factor


def begin_enrolment(session: Session, user: User) -> str:
    """A new (not yet active) TOTP secret for the user, stored encrypted."""
    if user.mfa_enabled:
        raise Conflict("a second factor is already enrolled; an administrator can reset it")
    secret = totp.new_secret()
    user.mfa_secret = context.keyring(session).encrypt(secret, MFA_CONTEXT)
    return secret


def enrolment_secret(session: Session, user: User) -> str:
    """The pending secret (to show again as QR), or a new one."""
    if user.mfa_secret and not user.mfa_enabled:
        return context.keyring(session).decrypt(user.mfa_secret, MFA_CONTEXT)
    return begin_enrolment(session, user)


def confirm_enrolment(session: Session, principal: Principal, user: User, code: str) -> list[str]:
    """Activate the pending secret if ``code`` matches; returns recovery codes (shown once)."""
    if user.mfa_enabled or not user.mfa_secret:
        raise Conflict("there is no pending enrolment; start again from the sign-in page")
    secret = context.keyring(session).decrypt(user.mfa_secret, MFA_CONTEXT)
    step = totp.matching_step(secret, code, context.now(session))
    if step is None:
        audit(
            session,
            principal,
            "mfa_failed",
            "user",
            user.id,
            outcome="failure",
            details={"stage": "enrolment"},
        )
        raise ValidationFailed("that code does not match; check the time on your phone and try the next code")
    user.mfa_enabled = True
    user.mfa_last_step = step
    codes = totp.new_recovery_codes()
    repository.add_recovery_codes(session, user.id, [totp.hash_recovery_code(c) for c in codes])
    _mark_mfa_passed(session, principal)
    audit(session, principal, "mfa_enrol", "user", user.id)
    return codes


def verify_second_factor(session: Session, principal: Principal, user: User, code: str, settings: Settings) -> bool:
    """Accept a TOTP code (once per step) or an unused recovery code; failures count towards lockout."""
    now = context.now(session)
    accepted = False
    if user.mfa_enabled and user.mfa_secret:
        secret = context.keyring(session).decrypt(user.mfa_secret, MFA_CONTEXT)
        step = totp.matching_step(secret, code, now)
        if step is not None and (user.mfa_last_step is None or step > user.mfa_last_step):
            user.mfa_last_step = step
            accepted = True
        if not accepted and "-" in code:
            recovery = repository.unused_recovery_code(session, user.id, totp.hash_recovery_code(code))
            if recovery is not None:
                recovery.used_at = now
                accepted = True
    if accepted:
        _mark_mfa_passed(session, principal)
        audit(session, principal, "sign_in", "user", user.id, details={"factor": "second"})
        return True
    who = Principal(
        kind="anonymous",
        name=user.username,
        request_id=principal.request_id,
        client_address=principal.client_address,
    )
    _failed_password(session, who, user, settings, now, principal.client_address)
    return False


def _mark_mfa_passed(session: Session, principal: Principal) -> None:
    if principal.session_id:
        user_session = repository.get_session(session, principal.session_id)
        if user_session:
            user_session.mfa_passed = True


# ---------------------------------------------------------------- machine tokens


def create_token(
    session: Session,
    actor: Principal,
    *,
    name: str,
    scopes: list[str],
    days: int,
    district_id: int | None = None,
) -> tuple[ApiToken, str]:
    """Issue a token; the plaintext is returned once and only its hash is stored."""
    unknown = sorted(set(scopes) - set(load_policy().permissions))
    if not scopes or unknown:
        raise ValidationFailed(f"unknown scope(s) {unknown or '(none given)'}; scopes are permission names")
    if not 1 <= days <= 366:
        raise ValidationFailed("a token must expire within 1 to 366 days")
    secret = secrets.token_urlsafe(32)
    prefix = secrets.token_hex(4)
    plaintext = f"{TOKEN_PREFIX}{prefix}_{secret}"
    now = context.now(session)
    token = repository.add_token(
        session,
        ApiToken(
            name=name[:120],
            token_hash=_sha256(plaintext),
            prefix=prefix,
            scopes=sorted(set(scopes)),
            district_id=district_id,
            created_by=actor.user_id,
            created_at=now,
            expires_at=now + timedelta(days=days),
        ),
    )
    audit(session, actor, "token_create", "api_token", token.id, details={"scopes": token.scopes, "days": days})
    return token, plaintext


def resolve_token(session: Session, plaintext: str) -> ApiToken | None:
    """The live token for a bearer value, or None when unknown, revoked or expired."""
    if not plaintext.startswith(TOKEN_PREFIX):
        return None
    token = repository.token_by_hash(session, _sha256(plaintext))
    now = context.now(session)
    if token is None or token.revoked_at is not None or token.expires_at <= now:
        return None
    if token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY:
        token.last_used_at = now
    return token


def principal_for_token(token: ApiToken, request_id: str = "", client_address: str = "") -> Principal:
    return Principal(
        kind="token",
        name=f"token:{token.id}:{token.name}",
        roles=frozenset({"machine"}),
        permissions=frozenset(token.scopes) & frozenset(load_policy().permissions),
        token_id=token.id,
        district_id=token.district_id,
        district_scoped=token.district_id is not None,
        request_id=request_id,
        client_address=client_address,
    )


def revoke_token(session: Session, actor: Principal, token_id: int) -> ApiToken:
    token = repository.get_token(session, token_id)
    if token is None:
        raise NotFound(f"no token {token_id}")
    if token.revoked_at is None:
        token.revoked_at = context.now(session)
        audit(session, actor, "token_revoke", "api_token", token.id)
    return token


def list_tokens(session: Session) -> list[ApiToken]:
    return repository.list_tokens(session)


# ---------------------------------------------------------------- retention helpers


def purge_login_attempts(session: Session, before: datetime) -> int:
    return repository.purge_attempts(session, before)


def purge_sessions(session: Session, before: datetime) -> int:
    return repository.purge_sessions(session, before)


def reencrypt_mfa_batch(session: Session, after_id: int, limit: int) -> tuple[int, int]:
    """Key rotation: re-encrypt TOTP secrets not on the primary key; returns (last id, changed)."""
    ring = context.keyring(session)
    users = [u for u in repository.list_users(session) if u.id > after_id][:limit]
    changed = 0
    for user in users:
        if user.mfa_secret and ring.key_id_of(user.mfa_secret) != ring.primary.id:
            user.mfa_secret = ring.encrypt(ring.decrypt(user.mfa_secret, MFA_CONTEXT), MFA_CONTEXT)
            changed += 1
    session.flush()
    return (users[-1].id if users else after_id), changed
