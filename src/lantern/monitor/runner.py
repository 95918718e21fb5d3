"""Running the monitor inside a process: the gateway's store, and the engine loop.

The gateway and the engine meet only through the positions table, so they can run in one
process (``lantern serve``) or apart (``lantern monitor gateway`` / ``lantern monitor run``).
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from typing import Any

from lantern.db import transaction
from lantern.monitor import service as monitor_service
from lantern.monitor import tracks
from lantern.monitor.collector import ScheduledCollector
from lantern.monitor.jt808.gateway import Auth, Gateway, GatewayStore, PositionReport, report_rows
from lantern.monitor.writer import WriterProcess
from lantern.runtime import Runtime

log = logging.getLogger("lantern.monitor")

# Moving tracks in batches of a minute keeps the timeline's unindexed tail scan short.
TRACKS_EVERY_S = 60.0


def gateway_store(runtime: Runtime) -> GatewayStore:
    """The gateway's three calls into the platform, each one transaction."""

    def register(phone: str, protocol: str) -> Auth | None:
        with transaction(runtime.sessions) as session:
            found = monitor_service.register_terminal(session, phone, protocol)
        return Auth(found.vehicle_id, found.auth_code) if found else None

    def lookup(phone: str) -> Auth | None:
        with transaction(runtime.sessions) as session:
            found = monitor_service.terminal_auth(session, phone)
        return Auth(found.vehicle_id, found.auth_code) if found else None

    def commit(reports: list[PositionReport]) -> None:
        with transaction(runtime.sessions) as session:
            monitor_service.record_positions(session, report_rows(reports))

    async def save(reports: list[PositionReport]) -> None:
        await asyncio.to_thread(commit, reports)

    return GatewayStore(register, lookup, save)


def build_gateway(
    runtime: Runtime, *, writer_process: bool = False, own_process: bool = False, cpu: int | None = None
) -> Gateway:
    """The gateway; with ``writer_process`` its commits run in a child process (see monitor/writer.py);
    ``own_process`` when nothing else runs in this process (then it schedules garbage collection,
    see monitor/collector.py); ``cpu`` pins this process to that CPU (the writer may run anywhere:
    it waits on the disk as much as it computes, and on a small machine it needs the loop's idle
    moments too).

    Why pin: the event loop answers every terminal, so every moment it waits for a core shows in
    reply latency. On the 2-core benchmark machine, with the writer and the load generator free to
    land on the loop's core, p99 at 20,000 frames/s varied from 50 to 130 ms between runs; with
    the loop alone on its core it stayed near 30 ms (docs/benchmarks.md).
    """
    settings = runtime.settings
    store = gateway_store(runtime)
    writer_cpus = None
    if cpu is not None:
        writer_cpus = pin_to(cpu)
    if writer_process:
        writer = WriterProcess(settings, cpus=writer_cpus)
        store = GatewayStore(store.register, store.lookup, writer.save, close=writer.close)
    return Gateway(
        store,
        max_connections=settings.monitor_max_connections,
        flood_per_s=settings.monitor_flood_frames_per_s,
        collector=ScheduledCollector() if own_process else None,
    )


def pin_to(cpu: int) -> set[int]:
    """Run this process on ``cpu`` only; returns the CPUs it could use before (for its children)."""
    allowed = os.sched_getaffinity(0)
    if cpu not in allowed:
        raise ValueError(f"CPU {cpu} is not available to this process (it may use {sorted(allowed)})")
    os.sched_setaffinity(0, {cpu})
    return allowed


def engine_round(runtime: Runtime) -> monitor_service.EngineRun:
    """One committed engine step (the scheduler calls this every second)."""
    with transaction(runtime.sessions) as session:
        return monitor_service.process_pending(session)


def track_round(runtime: Runtime) -> monitor_service.EngineRun:
    """One committed batch of the input log into vehicles' tracks."""
    with transaction(runtime.sessions) as session:
        return tracks.move_pending(session)


def move_tracks(runtime: Runtime, budget_s: float = 10.0) -> int:
    """Batches until the log is moved or ``budget_s`` is spent; returns positions moved."""
    moved, started = 0, time.monotonic()
    while True:
        run = track_round(runtime)
        moved += run.positions
        if run.positions < tracks.BATCH or time.monotonic() - started > budget_s:
            return moved


def seal_tracks(runtime: Runtime, budget_s: float = 10.0) -> int:
    """Merge the rows of finished hours, part by part, until none is due or ``budget_s`` is spent."""
    merged, started = 0, time.monotonic()
    while time.monotonic() - started <= budget_s:
        with transaction(runtime.sessions) as session:
            hour = tracks.hour_to_seal(session, runtime.clock.now())
            if hour is None:
                return merged
            part = tracks.seal_part(session, hour)
            if part == 0:
                tracks.mark_sealed(session, hour)
        merged += part
    return merged


def file_tracks(runtime: Runtime) -> str:
    """The track job: move the log into tracks, then seal finished hours."""
    moved = move_tracks(runtime)
    merged = seal_tracks(runtime)
    return f"{moved} positions moved into tracks, {merged} vehicle-hours sealed"


def drain(
    runtime: Runtime,
    *,
    follow: bool = False,
    idle_s: float = 0.5,
    progress: Any = None,
    tracks_every_s: float = TRACKS_EVERY_S,
) -> int:
    """Process until the backlog is empty (or for ever with ``follow``); returns positions processed.

    Between engine rounds the track job runs every ``tracks_every_s`` and once more before
    returning, so a drained log is also a moved one.
    """
    total, tracks_due = 0, time.monotonic() + tracks_every_s
    while True:
        run = engine_round(runtime)
        total += run.positions
        if progress is not None:
            progress(run)
        if time.monotonic() >= tracks_due or (run.positions == 0 and not follow):
            file_tracks(runtime)
            tracks_due = time.monotonic() + tracks_every_s
        if run.positions == 0:
            if not follow:
                return total
            time.sleep(idle_s)
