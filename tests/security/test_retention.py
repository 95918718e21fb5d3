"""Retention purges per data class, audited with class and count only."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from lantern import retention
from lantern.errors import ValidationFailed
from lantern.models import AuditEntry, LoginAttempt
from lantern.security import service as security_service
from tests.factories.security import make_user


def test_old_login_attempts_are_purged_and_the_purge_is_audited(session, settings, clock):
    make_user(session, settings, "forgetful", ["analyst"])
    for _ in range(3):
        security_service.sign_in(session, "forgetful", "wrong password!", settings=settings)
    clock.advance(days=91)
    security_service.sign_in(session, "someone-else", "wrong password!", settings=settings)  # a recent attempt
    results = dict(retention.run(session, settings))
    assert results["login_attempts"] == 3
    assert session.scalar(select(func.count()).select_from(LoginAttempt)) == 1
    entry = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "retention_purge", AuditEntry.object_id == "login_attempts")
    ).one()
    assert entry.details == {"records": 3, "older_than_days": 90}


def test_a_maximum_below_the_legal_minimum_is_refused(session, settings):
    settings = settings.model_copy(update={"retention_days": {"audit_log": 30}})
    with pytest.raises(ValidationFailed, match="below its minimum of 365"):
        retention.run(session, settings)


def test_unknown_classes_are_refused(settings):
    with pytest.raises(ValidationFailed, match="unknown retention class"):
        retention.check_settings(settings.model_copy(update={"retention_days": {"photos": 3}}))


def test_unmatched_plate_reads_are_kept_zero_days():
    plates = next(c for c in retention.DATA_CLASSES if c.name == "plate_reads_unmatched")
    assert plates.max_days == 0
