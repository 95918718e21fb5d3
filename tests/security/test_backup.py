"""Backups restore into a fresh database with the same row counts and an intact audit chain."""

from __future__ import annotations

import pytest

from lantern import backup
from lantern.db import transaction
from lantern.people import service as people_service
from lantern.people.schemas import PartyCreate
from lantern.security.policy import Principal
from tests.support import databases
from tests.support.writer_data import one_incident


def test_backup_and_restore_round_trip(fresh_runtime, tmp_path):
    actor = Principal.system("tests")
    with transaction(fresh_runtime.sessions) as session:
        incident_id = one_incident(session)
        for number in range(25):
            people_service.create(
                session, actor, incident_id, PartyCreate(role="caller", name=f"P{number}", phone="5551234")
            )
    target = tmp_path / "lantern.backup"
    backup.create(fresh_runtime.settings.database_url, target)
    assert target.stat().st_size > 0
    restored = databases.create_database(tmp_path, "restored")
    try:
        backup.restore(target, restored)
        result = backup.verify(fresh_runtime.settings.database_url, restored)
        assert result.ok, result.lines
        assert any("chain intact" in line for line in result.lines)
    finally:
        databases.drop_database(restored)


def test_restore_refuses_a_database_that_is_not_empty(fresh_runtime, tmp_path):
    target = tmp_path / "b.backup"
    backup.create(fresh_runtime.settings.database_url, target)
    with pytest.raises(Exception, match="not empty"):
        backup.restore(target, fresh_runtime.settings.database_url)
