"""A writer killed with SIGKILL mid-stream loses no acknowledged write and leaves no audit gap."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from lantern.audit import service as audit_service
from lantern.db import transaction
from lantern.models import AuditEntry, IncidentParty

ROOT = Path(__file__).resolve().parents[2]
WRITES = 300


def test_sigkill_mid_stream_loses_nothing_acknowledged(fresh_runtime):
    settings = fresh_runtime.settings
    acknowledged: list[int] = []
    deadline = time.monotonic() + 120
    with subprocess.Popen(
        [sys.executable, "-m", "tests.support.audited_writer", settings.database_url, str(settings.data_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    ) as writer:
        assert writer.stdout is not None and writer.stderr is not None
        try:
            for line in writer.stdout:
                if line.startswith("ACK "):
                    acknowledged.append(int(line.split()[1]))
                if len(acknowledged) >= WRITES or time.monotonic() > deadline:
                    break
            writer.send_signal(signal.SIGKILL)  # mid-stream: the next write is in flight
        finally:
            writer.wait(timeout=30)
        errors = writer.stderr.read()
    assert writer.returncode == -signal.SIGKILL
    assert len(acknowledged) >= WRITES, errors

    with transaction(fresh_runtime.sessions) as session:
        stored = set(session.scalars(select(IncidentParty.id)))
        creations = session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "create"))
        report = audit_service.verify(session)
    assert set(acknowledged) <= stored  # nothing acknowledged was lost
    assert creations == len(stored)  # every stored write has its audit entry, and no entry lacks its write
    assert report.ok, report.problems  # gap-free, intact chain
