"""A child process that commits the gateway's position rows, so the event loop keeps its core.

With the commit in a thread of the gateway's own process, the thread and the event loop share
one GIL: at 25,000 reports/s offered, a 60 ms commit stretched to ~400 ms and the loop stalled
behind it (12,600 frames/s, p99 1,044 ms). In a child process the commit holds no lock the loop
needs; the loop's side is one ``send`` of the rows (pickled in C) and a blocking ``recv`` in the
committer's worker thread, which releases the GIL while it waits.

The contract is the same as the in-process ``save``: it returns once the rows are committed and
raises otherwise, so the gateway acknowledges nothing that was not committed. If the child dies,
every later ``save`` raises and terminals are told "failure" (they send again).
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import threading
from multiprocessing.connection import Connection
from typing import Any

from lantern.config import Settings
from lantern.db import transaction
from lantern.monitor import service as monitor_service
from lantern.runtime import build_runtime

log = logging.getLogger("lantern.monitor.writer")


def _serve(settings: Settings, pipe: Connection) -> None:
    runtime = build_runtime(settings)
    try:
        while True:
            try:
                rows = pipe.recv()
            except EOFError:
                return
            if rows is None:
                return
            try:
                with transaction(runtime.sessions) as session:
                    monitor_service.record_positions(session, rows)
            except Exception as exc:  # reported to the gateway, which answers "failure"
                log.exception("position commit failed in the writer process")
                pipe.send(f"{type(exc).__name__}: {exc}")
            else:
                pipe.send(None)
    finally:
        runtime.dispose()


class WriterProcess:
    """Commits rows in a spawned child with its own database engine; ``save`` blocks until committed."""

    def __init__(self, settings: Settings) -> None:
        context = multiprocessing.get_context("spawn")  # a clean interpreter: no inherited loop or engine
        self._pipe, child = context.Pipe()
        self._process = context.Process(
            target=_serve, args=(settings, child), name="lantern-position-writer", daemon=True
        )
        self._process.start()
        child.close()
        self._lock = threading.Lock()  # one request in flight on the pipe

    @property
    def pid(self) -> int:
        return int(self._process.pid or 0)

    def save(self, rows: list[dict[str, Any]]) -> None:
        with self._lock:
            try:
                self._pipe.send(rows)
                error = self._pipe.recv()
            except (EOFError, OSError) as exc:
                raise RuntimeError(f"the position writer process is gone (exit code {self._process.exitcode})") from exc
        if error is not None:
            raise RuntimeError(f"position commit failed: {error}")

    def close(self, timeout_s: float = 10.0) -> None:
        """Let the child finish and exit; it commits nothing half-way (each batch is one transaction)."""
        with self._lock, contextlib.suppress(OSError):  # the child is already gone
            self._pipe.send(None)
        self._process.join(timeout_s)
        if self._process.is_alive():
            self._process.terminate()
        self._pipe.close()
