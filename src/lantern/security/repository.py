"""Queries of accounts, sessions, attempts, recovery codes and tokens; flushes, never commits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from lantern.models import ApiToken, LoginAttempt, RecoveryCode, User, UserRole, UserSession


def get_user(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def user_by_name(session: Session, username: str) -> User | None:
    return session.scalars(select(User).where(func.lower(User.username) == username.lower())).one_or_none()


def add_user(session: Session, user: User, roles: list[str]) -> User:
    session.add(user)
    session.flush()
    session.add_all(UserRole(user_id=user.id, role=role) for role in roles)
    session.flush()
    return user


def roles_of(session: Session, user_id: int) -> list[str]:
    return sorted(session.scalars(select(UserRole.role).where(UserRole.user_id == user_id)))


def set_roles(session: Session, user_id: int, roles: list[str]) -> None:
    session.execute(delete(UserRole).where(UserRole.user_id == user_id))
    session.add_all(UserRole(user_id=user_id, role=role) for role in roles)
    session.flush()


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def all_roles(session: Session) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for user_id, role in session.execute(select(UserRole.user_id, UserRole.role).order_by(UserRole.role)):
        found.setdefault(int(user_id), []).append(str(role))
    return found


def add_attempt(session: Session, attempt: LoginAttempt) -> None:
    session.add(attempt)
    session.flush()


def failures_since(session: Session, user_id: int, since: datetime) -> int:
    query = select(func.count(LoginAttempt.id)).where(
        LoginAttempt.user_id == user_id, LoginAttempt.success.is_(False), LoginAttempt.at >= since
    )
    return int(session.scalar(query) or 0)


def add_session(session: Session, user_session: UserSession) -> UserSession:
    session.add(user_session)
    session.flush()
    return user_session


def get_session(session: Session, session_id: str) -> UserSession | None:
    return session.get(UserSession, session_id)


def end_sessions_of(session: Session, user_id: int, at: datetime) -> int:
    result = session.execute(
        update(UserSession).where(UserSession.user_id == user_id, UserSession.ended_at.is_(None)).values(ended_at=at)
    )
    session.flush()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def add_recovery_codes(session: Session, user_id: int, hashes: list[str]) -> None:
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    session.add_all(RecoveryCode(user_id=user_id, code_hash=h) for h in hashes)
    session.flush()


def unused_recovery_code(session: Session, user_id: int, code_hash: str) -> RecoveryCode | None:
    query = select(RecoveryCode).where(
        RecoveryCode.user_id == user_id, RecoveryCode.code_hash == code_hash, RecoveryCode.used_at.is_(None)
    )
    return session.scalars(query).one_or_none()


def delete_recovery_codes(session: Session, user_id: int) -> None:
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    session.flush()


def inactive_users(session: Session, before: datetime) -> list[User]:
    last_use = func.coalesce(User.last_login_at, User.created_at)
    return list(session.scalars(select(User).where(User.is_active.is_(True), last_use < before)))


def add_token(session: Session, token: ApiToken) -> ApiToken:
    session.add(token)
    session.flush()
    return token


def token_by_hash(session: Session, token_hash: str) -> ApiToken | None:
    return session.scalars(select(ApiToken).where(ApiToken.token_hash == token_hash)).one_or_none()


def get_token(session: Session, token_id: int) -> ApiToken | None:
    return session.get(ApiToken, token_id)


def list_tokens(session: Session) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).order_by(ApiToken.id.desc())))


def purge_attempts(session: Session, before: datetime) -> int:
    result = session.execute(delete(LoginAttempt).where(LoginAttempt.at < before))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def purge_sessions(session: Session, before: datetime) -> int:
    result = session.execute(
        delete(UserSession).where(
            (UserSession.ended_at < before) | (UserSession.ended_at.is_(None) & (UserSession.last_seen_at < before))
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
