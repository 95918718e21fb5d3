"""One scheduler inside ``lantern serve`` for periodic jobs; every job is idempotent.

Jobs run in a worker thread, each in its own transaction; a failing job is logged and tried
again at its next interval. Audit checkpoints are *not* here: their signing key belongs to a
separate process (``lantern audit checkpoint --every``), never to the web process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from lantern import retention
from lantern.crime import jobs as crime_jobs
from lantern.crowd import service as crowd_service
from lantern.db import transaction
from lantern.dispatch import timers as dispatch_timers
from lantern.drones import service as drone_service
from lantern.hazmat.jobs import reconcile_job
from lantern.mail import service as mail_service
from lantern.monitor import runner as monitor_runner
from lantern.oversight import jobs as oversight_jobs
from lantern.portal.appointments import service as appointment_service
from lantern.portal.lostfound import service as lostfound_service
from lantern.portal.reports import service as report_service
from lantern.runtime import Runtime
from lantern.security import service as security_service
from lantern.security.policy import Principal
from lantern.sim.airspace import AirspaceScenario
from lantern.sim.live import LiveScenario

log = logging.getLogger("lantern.scheduler")


@dataclass(frozen=True)
class Job:
    name: str
    every: timedelta
    run: Callable[[Runtime], str]
    quiet: bool = False  # frequent jobs log at debug level


def _retention(runtime: Runtime) -> str:
    with transaction(runtime.sessions) as session:
        done = retention.run(session, runtime.settings, Principal.system("scheduler:retention"))
    return ", ".join(f"{name} {count}" for name, count in done)


def _inactive_accounts(runtime: Runtime) -> str:
    with transaction(runtime.sessions) as session:
        count = security_service.disable_inactive(session, Principal.system("scheduler:inactivity"), runtime.settings)
    return f"{count} accounts disabled"


def _dispatch_timers(runtime: Runtime) -> str:
    with transaction(runtime.sessions) as session:
        count = dispatch_timers.check(session)
    return f"{count} new alerts"


def _mail_delivery(runtime: Runtime) -> str:
    config = mail_service.SmtpConfig.from_settings(runtime.settings)
    if config is None:
        return "no SMTP server configured; messages stay queued"
    with transaction(runtime.sessions) as session:
        done = mail_service.deliver_due(
            session, config, runtime.clock.now(), max_attempts=runtime.settings.mail_max_attempts
        )
    return done.summary()


def _portal_report_sync(runtime: Runtime) -> str:
    with transaction(runtime.sessions) as session:
        count = report_service.sync_linked(session)
    return f"{count} residents' reports resolved with their incident or task"


def _appointment_no_shows(runtime: Runtime) -> str:
    with transaction(runtime.sessions) as session:
        count = appointment_service.mark_no_shows(session, runtime.clock.now())
    return f"{count} no-shows"


def _appointment_reminders(runtime: Runtime) -> str:
    with transaction(runtime.sessions) as session:
        count = appointment_service.send_reminders(session, runtime.clock.now())
    return f"{count} reminders queued"


def _lostfound_unclaimed(runtime: Runtime) -> str:
    with transaction(runtime.sessions) as session:
        count = lostfound_service.flag_unclaimed(session, runtime.clock.now())
    return f"{count} items flagged unclaimed"


def _monitor_engine(runtime: Runtime) -> str:
    run = monitor_runner.engine_round(runtime)
    return f"{run.positions} positions, {run.alerts} alerts"


def _drone_conformance(runtime: Runtime) -> str:
    with transaction(runtime.sessions) as session:
        run = drone_service.process_pending(session)
    return f"{run.positions} telemetry points, {run.alerts} alerts"


def _crowd_density(runtime: Runtime) -> str:
    with transaction(runtime.sessions) as session:
        run = crowd_service.process_pending(session)
    return f"{run.positions} counts, {run.alerts} alerts"


def _airspace_demo() -> Callable[[Runtime], str]:
    scenario = AirspaceScenario()

    def run(runtime: Runtime) -> str:
        with transaction(runtime.sessions) as session:
            counts = scenario.tick(session)
        return ", ".join(f"{k} {v}" for k, v in counts.items())

    return run


def _live_demo() -> Callable[[Runtime], str]:
    scenario = LiveScenario()
    last: list[float] = []

    def run(runtime: Runtime) -> str:
        now = runtime.clock.now().timestamp()
        elapsed = min(5.0, now - last[0]) if last else 1.0
        last[:] = [now]
        with transaction(runtime.sessions) as session:
            counts = scenario.tick(session, elapsed)
        return ", ".join(f"{k} {v}" for k, v in counts.items())

    return run


def default_jobs(demo_live: bool = False) -> list[Job]:
    jobs = [
        Job("dispatch-timers", timedelta(seconds=10), _dispatch_timers),
        Job("monitor-engine", timedelta(seconds=1), _monitor_engine, quiet=True),
        Job("monitor-tracks", timedelta(seconds=monitor_runner.TRACKS_EVERY_S), monitor_runner.file_tracks, quiet=True),
        Job("drone-conformance", timedelta(seconds=1), _drone_conformance, quiet=True),
        Job("crowd-density", timedelta(seconds=5), _crowd_density, quiet=True),
        Job("hazmat-reconcile", timedelta(minutes=15), reconcile_job),
        Job("crime-trend-alerts", timedelta(days=1), crime_jobs.trend_alerts_job),
        Job("oversight-deadlines", timedelta(minutes=5), oversight_jobs.deadlines_job),
        Job("oversight-completeness", timedelta(minutes=30), oversight_jobs.completeness_job),
        Job("oversight-flags", timedelta(hours=24), oversight_jobs.flags_job),
        Job("mail-delivery", timedelta(seconds=30), _mail_delivery, quiet=True),
        Job("portal-report-sync", timedelta(minutes=1), _portal_report_sync, quiet=True),
        Job("appointment-no-shows", timedelta(minutes=5), _appointment_no_shows),
        Job("appointment-reminders", timedelta(minutes=10), _appointment_reminders),
        Job("lostfound-unclaimed", timedelta(hours=6), _lostfound_unclaimed),
        Job("retention", timedelta(hours=6), _retention),
        Job("inactive-accounts", timedelta(hours=6), _inactive_accounts),
    ]
    if demo_live:
        jobs.append(Job("demo-live", timedelta(seconds=1), _live_demo(), quiet=True))
        jobs.append(Job("demo-airspace", timedelta(seconds=1), _airspace_demo(), quiet=True))
    return jobs


class Scheduler:
    """Runs jobs at their intervals on the event loop of ``lantern serve``."""

    def __init__(self, runtime: Runtime, jobs: list[Job], tick_seconds: float = 1.0) -> None:
        self.runtime = runtime
        self.jobs = jobs
        self.tick = tick_seconds
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._loop())

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _loop(self) -> None:
        due = {job.name: self.runtime.clock.now() for job in self.jobs}
        while True:
            for job in self.jobs:
                if self.runtime.clock.now() >= due[job.name]:
                    due[job.name] = self.runtime.clock.now() + job.every
                    try:
                        result = await asyncio.to_thread(job.run, self.runtime)
                        log.log(logging.DEBUG if job.quiet else logging.INFO, "job %s: %s", job.name, result)
                    except Exception:
                        log.exception("job %s failed; it runs again in %s", job.name, job.every)
            await asyncio.sleep(self.tick)
