"""Scheduled oversight jobs, each idempotent (alerts and indicator events are keyed).

Not yet registered in ``lantern.scheduler`` (owned elsewhere); suggested periods: deadlines
every minute, completeness every 15 minutes, early-intervention flags daily.
"""

from __future__ import annotations

from lantern.db import transaction
from lantern.oversight import service as oversight_service
from lantern.oversight.eis import service as eis_service
from lantern.oversight.evidence import service as evidence_service
from lantern.runtime import Runtime
from lantern.security.policy import Principal


def deadlines_job(runtime: Runtime) -> str:
    """Recompute every open step's deadline status and raise the yellow and red alerts."""
    with transaction(runtime.sessions) as session:
        run = oversight_service.recompute_deadlines(session, Principal.system("scheduler:oversight-deadlines"))
    return f"{run.open_steps} open steps, {run.yellow} yellow, {run.red} red, {run.new_alerts} new alerts"


def completeness_job(runtime: Runtime) -> str:
    """Remind officers of enforcement actions past N hours without footage or an evidence log."""
    with transaction(runtime.sessions) as session:
        run = evidence_service.check_completeness(session, Principal.system("scheduler:oversight-completeness"))
    return f"{run.checked} actions checked, {len(run.incomplete)} incomplete, {run.new_alerts} new alerts"


def flags_job(runtime: Runtime) -> str:
    """Compare officers with their peers and queue new early-intervention flags for review."""
    with transaction(runtime.sessions) as session:
        run = eis_service.run_flags(session, Principal.system("scheduler:oversight-eis"))
    return f"{run.officers} officers compared, {run.flagged} over a threshold, {len(run.new_flags)} new flags"
