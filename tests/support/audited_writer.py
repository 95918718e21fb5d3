"""A writer for the crash test: records people on an incident, printing ACK <id> after each commit.

Usage: python -m tests.support.audited_writer DATABASE_URL DATA_DIR
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from lantern.config import Settings
from lantern.db import transaction
from lantern.incidents import service as incident_service
from lantern.kit.scope import RowScope
from lantern.people import service as people_service
from lantern.people.schemas import PartyCreate
from lantern.runtime import build_runtime
from lantern.security.policy import Principal


def main() -> None:
    url, data_dir = sys.argv[1], Path(sys.argv[2])
    runtime = build_runtime(Settings(env="test", database_url=url, data_dir=data_dir, scheduler_enabled=False))
    now = datetime.now(UTC)
    with transaction(runtime.sessions) as session:
        frame = pl.DataFrame(
            {
                "natural_key": ["crash-1"],
                "category": ["burglary"],
                "occurred_from": [now],
                "occurred_to": [now],
                "time_precision": ["minute"],
                "lat": [60.17],
                "lon": [24.94],
            }
        )
        incident_service.store_frame(session, frame, source="crash-test", h3_resolution=9)
        incident_id = incident_service.list_incidents(session, RowScope.everything(), limit=1)[0].id
    actor = Principal.system("crash-writer")
    print("READY", flush=True)
    number = 0
    while True:
        number += 1
        with transaction(runtime.sessions) as session:
            party = people_service.create(
                session,
                actor,
                incident_id,
                PartyCreate(role="witness", name=f"Person {number}", phone=f"+35840{number:07d}"),
            )
        print(f"ACK {party.id}", flush=True)  # acknowledged only after the commit returned


if __name__ == "__main__":
    main()
