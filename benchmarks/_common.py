"""Helpers shared by the benchmark scripts: fresh databases, timing, tables."""

from __future__ import annotations

import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from lantern.db import make_engine
from lantern.store import upgrade

PG_ENV = "LANTERN_BENCH_POSTGRES_URL"  # server URL, e.g. postgresql://postgres@127.0.0.1:54329/postgres


def fresh_sqlite(folder: Path) -> str:
    return f"sqlite:///{folder / f'bench-{uuid.uuid4().hex[:6]}.db'}"


def fresh_postgres() -> str | None:
    """A new empty database on the server named by LANTERN_BENCH_POSTGRES_URL, or None."""
    server = os.environ.get(PG_ENV)
    if not server:
        return None
    url = make_url(server).set(drivername="postgresql+psycopg")
    name = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def migrated(url: str) -> Any:
    engine = make_engine(url)
    upgrade(engine)
    return engine


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def median(values: list[float]) -> float:
    return statistics.median(values)


def scratch_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="lantern-bench-"))


def table(rows: list[tuple[Any, ...]], header: tuple[str, ...]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=True)]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(str(x).ljust(w) for x, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(out)
