"""The audit log detects edits, deletions, reordering, insertions, truncation and rewrites.

Each tamper is done as an attacker with database rights would: the append-only triggers are
switched off first. Runs on SQLite and on PostgreSQL (LANTERN_TEST_DATABASE_URL).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from lantern.audit import service as audit_service
from lantern.audit.chain import entry_hash
from lantern.audit.checkpoint import generate_keypair
from lantern.db import transaction
from lantern.security.access import audit
from lantern.security.policy import Principal

ENTRIES = 20


@pytest.fixture
def log(fresh_runtime, tmp_path):
    """A fresh database with 20 audit entries and a signed checkpoint over all of them."""
    actor = Principal.system("tamper-test")
    for number in range(ENTRIES):
        with transaction(fresh_runtime.sessions) as session:
            audit(session, actor, "consult", "incident_parties", f"incident:{number}", details={"n": number})
    key = tmp_path / "audit-signing.key"
    public = generate_keypair(key)
    folder = tmp_path / "checkpoints"
    with transaction(fresh_runtime.sessions) as session:
        assert audit_service.create_checkpoint(session, key, folder, fresh_runtime.clock.now())
    return fresh_runtime, folder, public


def _tamper(engine: Engine, *statements: str) -> None:
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_entries DISABLE TRIGGER USER"))
        else:
            conn.execute(text("DROP TRIGGER IF EXISTS audit_entries_no_update"))
            conn.execute(text("DROP TRIGGER IF EXISTS audit_entries_no_delete"))
        for statement in statements:
            conn.execute(text(statement))
        if engine.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_entries ENABLE TRIGGER USER"))


def _verify(runtime, folder=None, public=None):
    with transaction(runtime.sessions) as session:
        return audit_service.verify(session, folder, public)


def _rechain_from(engine: Engine, start: int) -> None:
    """What a careful attacker does after an edit: recompute every later hash and the head."""
    with engine.begin() as conn:
        rows = [dict(r) for r in conn.execute(text("SELECT * FROM audit_entries ORDER BY seq")).mappings()]
    previous = rows[start - 2]["entry_hash"] if start > 1 else "0" * 64
    statements = []
    for row in rows[start - 1 :]:
        row["details"] = row["details"] if isinstance(row["details"], dict) else json.loads(row["details"])
        if isinstance(row["at"], str):  # SQLite hands back text
            row["at"] = datetime.fromisoformat(row["at"]).replace(tzinfo=UTC)
        digest = entry_hash(previous, row)
        statements.append(
            f"UPDATE audit_entries SET prev_hash = '{previous}', entry_hash = '{digest}' WHERE seq = {row['seq']}"
        )
        previous = digest
    statements.append(f"UPDATE audit_head SET seq = {rows[-1]['seq']}, entry_hash = '{previous}' WHERE id = 1")
    _tamper(engine, *statements)


def test_an_untouched_log_verifies_with_its_checkpoint(log):
    runtime, folder, public = log
    report = _verify(runtime, folder, public)
    assert report.ok and report.entries == ENTRIES and report.checkpoints == 1


def test_the_table_is_append_only(log):
    runtime, _, _ = log
    for statement in ("UPDATE audit_entries SET actor = 'x' WHERE seq = 1", "DELETE FROM audit_entries WHERE seq = 1"):
        with pytest.raises(DBAPIError, match="append-only"), runtime.engine.begin() as conn:
            conn.execute(text(statement))


def test_an_edited_entry_is_named(log):
    runtime, _folder, _public = log
    _tamper(runtime.engine, "UPDATE audit_entries SET actor = 'mallory' WHERE seq = 5")
    report = _verify(runtime)
    assert not report.ok and report.first_bad_seq == 5 and "altered" in report.problems[0]


def test_a_deleted_entry_is_named(log):
    runtime, _, _ = log
    _tamper(runtime.engine, "DELETE FROM audit_entries WHERE seq = 5")
    report = _verify(runtime)
    assert report.first_bad_seq == 5 and "missing" in report.problems[0]


def test_reordered_entries_are_named(log):
    runtime, _, _ = log
    _tamper(
        runtime.engine,
        "UPDATE audit_entries SET seq = -1 WHERE seq = 5",
        "UPDATE audit_entries SET seq = 5 WHERE seq = 6",
        "UPDATE audit_entries SET seq = 6 WHERE seq = -1",
    )
    assert _verify(runtime).first_bad_seq == 5


def test_an_inserted_entry_is_named(log):
    runtime, folder, public = log
    with runtime.engine.connect() as conn:
        row = dict(conn.execute(text("SELECT * FROM audit_entries WHERE seq = 4")).mappings().one())
    # Shift 5..20 up by one (from the top, to keep the key unique) and put a forged entry at 5.
    statements = [f"UPDATE audit_entries SET seq = {s + 1} WHERE seq = {s}" for s in range(ENTRIES, 4, -1)]
    statements.append(
        "INSERT INTO audit_entries (seq, at, actor, actor_role, action, object_type, object_id, purpose_ref, "
        "purpose_reason, outcome, request_id, client_address, details, prev_hash, entry_hash) VALUES "
        f"(5, '{row['at']}', 'mallory', 'x', 'consult', 'incident_parties', 'incident:999', '', '', 'success', '', '', "
        f"'{{}}', '{row['entry_hash']}', '{'f' * 64}')"
    )
    _tamper(runtime.engine, *statements)
    report = _verify(runtime, folder, public)
    assert not report.ok and report.first_bad_seq == 5


def test_a_truncated_tail_is_caught_by_the_checkpoint(log):
    runtime, folder, public = log
    with runtime.engine.connect() as conn:
        last_kept = conn.execute(text("SELECT entry_hash FROM audit_entries WHERE seq = 15")).scalar_one()
    _tamper(
        runtime.engine,
        "DELETE FROM audit_entries WHERE seq > 15",
        f"UPDATE audit_head SET seq = 15, entry_hash = '{last_kept}' WHERE id = 1",
    )
    assert _verify(runtime).ok  # the chain alone cannot see a clean cut
    report = _verify(runtime, folder, public)
    assert not report.ok and report.first_bad_seq == 16 and "truncated" in " ".join(report.problems)


def test_a_rewrite_with_recomputed_hashes_is_caught_by_the_checkpoint(log):
    runtime, folder, public = log
    _tamper(runtime.engine, "UPDATE audit_entries SET purpose_reason = 'nothing to see' WHERE seq = 7")
    _rechain_from(runtime.engine, 7)
    assert _verify(runtime).ok  # consistent chain after the rewrite
    report = _verify(runtime, folder, public)
    assert not report.ok and report.first_bad_seq == 7 and "rewritten" in " ".join(report.problems)


def test_a_forged_checkpoint_is_rejected(log, tmp_path):
    runtime, folder, _ = log
    other = generate_keypair(tmp_path / "other.key")
    report = _verify(runtime, folder, other)
    assert not report.ok and "signature does not verify" in report.problems[0]


def test_the_command_line_names_the_first_bad_entry(log, tmp_path):
    runtime, folder, public = log
    _tamper(runtime.engine, "UPDATE audit_entries SET object_id = 'incident:0' WHERE seq = 12")
    env = {
        **os.environ,
        "LANTERN_DATABASE_URL": runtime.settings.database_url,
        "LANTERN_DATA_DIR": str(runtime.settings.data_dir),
        "LANTERN_LOG_LEVEL": "WARNING",
    }
    result = subprocess.run(
        [sys.executable, "-m", "lantern", "audit", "verify", "--checkpoints", str(folder), "--public-key", str(public)],
        capture_output=True,
        text=True,
        env=env,
        cwd=Path(runtime.settings.data_dir),
        check=False,
    )
    assert result.returncode == 1
    assert "first bad entry: 12" in result.stderr
