"""Running the monitor inside a process: the gateway's store, and the engine loop.

The gateway and the engine meet only through the positions table, so they can run in one
process (``lantern serve``) or apart (``lantern monitor gateway`` / ``lantern monitor run``).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from lantern.db import transaction
from lantern.monitor import service as monitor_service
from lantern.monitor.jt808.gateway import Auth, Gateway, GatewayStore
from lantern.monitor.writer import WriterProcess
from lantern.runtime import Runtime

log = logging.getLogger("lantern.monitor")


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

    def save(rows: list[dict[str, Any]]) -> None:
        with transaction(runtime.sessions) as session:
            monitor_service.record_positions(session, rows)

    return GatewayStore(register, lookup, save)


def build_gateway(runtime: Runtime, *, writer_process: bool = False) -> Gateway:
    """The gateway; with ``writer_process`` its commits run in a child process (see monitor/writer.py)."""
    settings = runtime.settings
    store = gateway_store(runtime)
    if writer_process:
        writer = WriterProcess(settings)
        store = GatewayStore(store.register, store.lookup, writer.save, close=writer.close)
    return Gateway(
        store,
        max_connections=settings.monitor_max_connections,
        flood_per_s=settings.monitor_flood_frames_per_s,
    )


def engine_round(runtime: Runtime) -> monitor_service.EngineRun:
    """One committed engine step (the scheduler calls this every second)."""
    with transaction(runtime.sessions) as session:
        return monitor_service.process_pending(session)


def drain(runtime: Runtime, *, follow: bool = False, idle_s: float = 0.5, progress: Any = None) -> int:
    """Process until the backlog is empty (or for ever with ``follow``); returns positions processed."""
    total = 0
    while True:
        run = engine_round(runtime)
        total += run.positions
        if progress is not None:
            progress(run)
        if run.positions == 0:
            if not follow:
                return total
            time.sleep(idle_s)
