"""Scheduled crime-analysis work (registered in ``lantern.scheduler``); every job is idempotent."""

from __future__ import annotations

from lantern.crime import service as crime_service
from lantern.db import transaction
from lantern.runtime import Runtime
from lantern.security.policy import Principal

TREND_WEEKS = 2


def trend_alerts_job(runtime: Runtime) -> str:
    """Check the last complete weeks per type and district and queue significant rises (alerts are keyed)."""
    with transaction(runtime.sessions) as session:
        raised = crime_service.raise_recent_trend_alerts(
            session, Principal.system("scheduler:crime-trends"), runtime.clock.now(), weeks=TREND_WEEKS
        )
    new = sum(1 for item in raised if item["created"])
    return f"{len(raised)} trend alerts in the last {TREND_WEEKS} weeks, {new} new"
