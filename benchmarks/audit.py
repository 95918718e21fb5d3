"""Added latency of an audited personal-data read versus the same read without the audit entry.

Both paths run the same service-level work in their own transaction on SQLite (WAL,
synchronous=FULL): load an incident's parties and decrypt names and numbers. The audited path
adds the permission and purpose check and the hash-chained audit entry committed with it.

    python benchmarks/audit.py [--reads 2000] [--postgres]
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import fresh_postgres, fresh_sqlite, percentile, scratch_dir, table
from lantern.config import Settings
from lantern.db import transaction
from lantern.incidents import service as incident_service
from lantern.kit.scope import RowScope
from lantern.people import repository as people_repository
from lantern.people import service as people_service
from lantern.people.schemas import PartyCreate
from lantern.runtime import build_runtime
from lantern.security import context
from lantern.security.access import Purpose
from lantern.security.policy import Principal
from lantern.store import upgrade


def one_incident(session) -> int:
    now = datetime.now(UTC)
    frame = pl.DataFrame(
        {
            "natural_key": ["bench-1"],
            "category": ["burglary"],
            "occurred_from": [now],
            "occurred_to": [now],
            "time_precision": ["minute"],
            "lat": [60.17],
            "lon": [24.94],
        }
    )
    incident_service.store_frame(session, frame, source="benchmark", h3_resolution=9)
    return incident_service.list_incidents(session, RowScope.everything(), limit=1)[0].id


def unaudited_read(session, incident_id: int) -> list[tuple[str, str]]:
    """The same data work as the audited read, without permission, purpose or audit entry."""
    ring = context.keyring(session)
    return [
        (ring.decrypt(p.name_enc, people_service.NAME_CONTEXT), ring.decrypt(p.phone_enc, people_service.PHONE_CONTEXT))
        for p in people_repository.for_incident(session, incident_id)
    ]


def measure(url: str, folder: Path, reads: int) -> tuple[list[float], list[float]]:
    runtime = build_runtime(Settings(env="test", database_url=url, data_dir=folder, scheduler_enabled=False))
    upgrade(runtime.engine)
    actor = Principal.system("benchmark")
    with transaction(runtime.sessions) as session:
        incident_id = one_incident(session)
        for number in range(3):
            people_service.create(
                session, actor, incident_id, PartyCreate(role="witness", name=f"W {number}", phone="5550100")
            )
    purpose = Purpose(f"incident:{incident_id}", "benchmark of audited reads")
    audited, plain = [], []
    for round_number in range(reads):
        # alternate so that cache warmth and background I/O affect both paths alike
        for path in (0, 1) if round_number % 2 else (1, 0):
            start = time.perf_counter()
            with transaction(runtime.sessions) as session:
                if path:
                    people_service.read_personal(session, actor, incident_id, purpose)
                else:
                    unaudited_read(session, incident_id)
            (audited if path else plain).append((time.perf_counter() - start) * 1000)
    runtime.dispose()
    return audited, plain


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reads", type=int, default=2000)
    args = parser.parse_args()
    folder = scratch_dir()
    rows = []
    backends = [("sqlite", fresh_sqlite(folder))]
    pg = fresh_postgres()
    if pg:
        backends.append(("postgresql", pg))
    for name, url in backends:
        audited, plain = measure(url, folder, args.reads)
        for q in (50, 99):
            a, p = percentile(audited, q), percentile(plain, q)
            rows.append((name, f"p{q}", f"{p:.3f}", f"{a:.3f}", f"{a - p:.3f}", f"{a / p:.2f}x"))
    print(table(rows, ("store", "percentile", "unaudited ms", "audited ms", "added ms", "ratio")))
    print(f"\n{args.reads:,} reads per path; target: added latency <= 2 ms at p50 on SQLite")


if __name__ == "__main__":
    main()
