"""Purpose-bound access and auditing: the one door through which modules log what they do.

Reading personal fields needs a permission *and* a stated purpose (a case, incident or task
reference plus a reason). Every consultation, creation, alteration, disclosure, combination
and erasure of personal data is appended to the audit log in the same transaction as the
data change; for reads the entry is written before the data is returned.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from lantern.audit import service as audit_service
from lantern.audit.service import AuditEvent
from lantern.errors import Forbidden, ValidationFailed
from lantern.security import context
from lantern.security.policy import Principal

PURPOSE_REF = re.compile(r"^(incident|case|task|complaint|request):[A-Za-z0-9._/-]{1,60}$")
MIN_REASON = 5
PURPOSE_HELP = (
    "send the headers X-Lantern-Purpose-Ref (a case, incident or task reference such as incident:42 "
    "or case:2026-0012) and X-Lantern-Purpose-Reason (why you need it, at least 5 characters)"
)


@dataclass(frozen=True)
class Purpose:
    """Why personal data is being read: a reference and a reason."""

    ref: str
    reason: str


class AuditedForbidden(Forbidden):
    """A refusal that is itself audited (the handler records ``audit_event`` in its own transaction)."""

    def __init__(self, message: str, event: AuditEvent) -> None:
        super().__init__(message)
        self.audit_event = event


class PurposeRequired(AuditedForbidden):
    code = "purpose_required"


def parse_purpose(ref: str | None, reason: str | None) -> Purpose | None:
    """A validated purpose, None when neither part was sent; raises on a malformed one."""
    ref, reason = (ref or "").strip(), (reason or "").strip()
    if not ref and not reason:
        return None
    if not PURPOSE_REF.match(ref):
        raise ValidationFailed(f"purpose reference {ref!r} is not of the form incident:42 or case:2026-0012")
    if len(reason) < MIN_REASON:
        raise ValidationFailed(f"the purpose reason must say why, in at least {MIN_REASON} characters")
    return Purpose(ref=ref, reason=reason[:500])


def event(
    principal: Principal,
    action: str,
    object_type: str,
    object_id: Any,
    *,
    outcome: str = "success",
    purpose: Purpose | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """An audit event on behalf of ``principal``."""
    return AuditEvent(
        actor=principal.name,
        actor_role=principal.role_label,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        outcome=outcome,
        purpose_ref=purpose.ref if purpose else "",
        purpose_reason=purpose.reason if purpose else "",
        request_id=principal.request_id,
        client_address=principal.client_address,
        details=details,
    )


def audit(session: Session, principal: Principal, action: str, object_type: str, object_id: Any, **kwargs: Any) -> None:
    """Append an audit entry in the current transaction."""
    audit_service.record(session, event(principal, action, object_type, object_id, **kwargs), context.now(session))


def guard(principal: Principal, permission: str, object_type: str = "", object_id: Any = "") -> None:
    """Service guard: refuse (and audit the refusal) unless ``principal`` holds ``permission``."""
    if not principal.can(permission):
        raise AuditedForbidden(
            f"your role ({principal.role_label}) does not allow {permission}",
            event(
                principal,
                "deny",
                object_type or permission.split(":")[0],
                object_id or "-",
                outcome="denied",
                details={"needed": permission},
            ),
        )


def personal(
    session: Session,
    principal: Principal,
    purpose: Purpose | None,
    *,
    action: str,
    permission: str,
    object_type: str,
    object_id: Any,
    details: dict[str, Any] | None = None,
) -> None:
    """Check permission and purpose for a personal-data operation, then audit it."""
    guard(principal, permission, object_type, object_id)
    if purpose is None:
        raise PurposeRequired(
            f"{action} of personal data needs a stated purpose: {PURPOSE_HELP}",
            event(
                principal,
                "deny",
                object_type,
                object_id,
                outcome="purpose_missing",
                details={"needed": permission},
            ),
        )
    audit(session, principal, action, object_type, object_id, purpose=purpose, details=details)
