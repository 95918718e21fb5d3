"""The scheduled reconciliation job (registered in ``lantern.scheduler``)."""

from __future__ import annotations

from lantern.db import transaction
from lantern.hazmat import service as hazmat_service
from lantern.runtime import Runtime
from lantern.security.policy import Principal


def reconcile_job(runtime: Runtime) -> str:
    """Reconcile every ledger in one transaction; idempotent (alerts are keyed)."""
    with transaction(runtime.sessions) as session:
        run = hazmat_service.reconcile(session, Principal.system("scheduler:hazmat"))
    return f"{len(run.findings)} findings, {run.new_alerts} new alerts"
