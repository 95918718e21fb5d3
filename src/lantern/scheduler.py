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
from lantern.db import transaction
from lantern.runtime import Runtime
from lantern.security import service as security_service
from lantern.security.policy import Principal

log = logging.getLogger("lantern.scheduler")


@dataclass(frozen=True)
class Job:
    name: str
    every: timedelta
    run: Callable[[Runtime], str]


def _retention(runtime: Runtime) -> str:
    with transaction(runtime.sessions) as session:
        done = retention.run(session, runtime.settings, Principal.system("scheduler:retention"))
    return ", ".join(f"{name} {count}" for name, count in done)


def _inactive_accounts(runtime: Runtime) -> str:
    with transaction(runtime.sessions) as session:
        count = security_service.disable_inactive(session, Principal.system("scheduler:inactivity"), runtime.settings)
    return f"{count} accounts disabled"


def default_jobs() -> list[Job]:
    return [
        Job("retention", timedelta(hours=6), _retention),
        Job("inactive-accounts", timedelta(hours=6), _inactive_accounts),
    ]


class Scheduler:
    """Runs jobs at their intervals on the event loop of ``lantern serve``."""

    def __init__(self, runtime: Runtime, jobs: list[Job], tick_seconds: float = 30.0) -> None:
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
                        log.info("job %s: %s", job.name, result)
                    except Exception:
                        log.exception("job %s failed; it runs again in %s", job.name, job.every)
            await asyncio.sleep(self.tick)
