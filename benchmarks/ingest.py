"""Ingest throughput: 1 million incidents through the chicago-assaults profile.

Prints rows/s into SQLite and (when LANTERN_BENCH_POSTGRES_URL names a server) into
PostgreSQL, and the ratio against a naive baseline measured in the same run: a row-by-row
csv.DictReader + datetime.strptime + one ORM object per row + session.add.

    python benchmarks/ingest.py [--rows 1000000] [--baseline-rows 50000]
"""

from __future__ import annotations

import argparse
import csv
import sys
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import fresh_postgres, fresh_sqlite, migrated, scratch_dir, table, timed
from lantern.db import make_session_factory, transaction
from lantern.ingest.profile import load_profile
from lantern.ingest.service import ingest_incidents
from lantern.kit.geo import h3_cell
from lantern.kit.ids import content_key
from lantern.models import Incident

PREMISES = ["street", "residence", "apartment", "sidewalk", "store", "park", "vehicle", "school"]


def make_file(path: Path, rows: int, seed: int = 1) -> None:
    """A Chicago-assaults-shaped CSV with ``rows`` rows (deterministic)."""
    rng = np.random.default_rng(seed)
    minutes = np.sort(rng.integers(0, 10 * 365 * 24 * 60, rows))
    start = np.datetime64("2010-01-01T00:00")
    times = (start + minutes.astype("timedelta64[m]")).astype("datetime64[us]")
    frame = pl.DataFrame(
        {
            "date": pl.Series(times).dt.strftime("%Y-%m-%d %H:%M"),
            "loc_cat": np.array(PREMISES)[rng.integers(0, len(PREMISES), rows)],
            "longitude": np.round(rng.uniform(-87.85, -87.55, rows), 4),
            "latitude": np.round(rng.uniform(41.65, 42.0, rows), 4),
            "district": rng.integers(1, 26, rows),
        }
    )
    frame.write_csv(path)


def lantern_ingest(url: str, path: Path) -> int:
    engine = migrated(url)
    factory = make_session_factory(engine)
    with transaction(factory) as session:
        report = ingest_incidents(session, path, load_profile("chicago-assaults"), h3_resolution=9)
    engine.dispose()
    return report.inserted


def naive_ingest(url: str, path: Path, limit: int) -> int:
    """What a first version would do: parse, validate and add one ORM object per row."""
    engine = migrated(url)
    zone = ZoneInfo("America/Chicago")
    count = 0
    with Session(engine) as session, path.open(newline="") as handle:
        for number, row in enumerate(csv.DictReader(handle)):
            if number >= limit:
                break
            when = datetime.strptime(row["date"], "%Y-%m-%d %H:%M").replace(tzinfo=zone).astimezone(UTC)
            lat, lon = float(row["latitude"]), float(row["longitude"])
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise ValueError(f"row {number + 1}: bad coordinate")
            session.add(
                Incident(
                    source="naive",
                    natural_key=content_key(",".join(row.values())) + f"#{number}",
                    category="assault.aggravated",
                    occurred_from=when,
                    occurred_to=when,
                    time_precision="minute",
                    lat=lat,
                    lon=lon,
                    h3_cell=h3_cell(lat, lon, 9),
                    premise=row["loc_cat"],
                    source_district=row["district"],
                    description="",
                    attributes={},
                    recorded_at=datetime.now(UTC),
                )
            )
            count += 1
        session.commit()
    engine.dispose()
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--baseline-rows", type=int, default=50_000)
    args = parser.parse_args()
    folder = scratch_dir()
    path = folder / "incidents.csv"
    print(f"writing {args.rows:,} synthetic incidents to {path} ...", flush=True)
    make_file(path, args.rows)

    results = []
    backends = [("sqlite", fresh_sqlite(folder))]
    pg = fresh_postgres()
    if pg:
        backends.append(("postgresql", pg))
    else:
        print("(PostgreSQL skipped: set LANTERN_BENCH_POSTGRES_URL to a server URL)")
    for name, url in backends:
        seconds, inserted = timed(lambda url=url: lantern_ingest(url, path))
        assert inserted == args.rows, inserted
        base_url = fresh_sqlite(folder) if name == "sqlite" else fresh_postgres()
        base_seconds, base_rows = timed(lambda u=base_url: naive_ingest(u, path, args.baseline_rows))
        rate, base_rate = args.rows / seconds, base_rows / base_seconds
        results.append(
            (
                name,
                f"{args.rows:,}",
                f"{seconds:.2f}",
                f"{rate:,.0f}",
                f"{base_rate:,.0f}",
                f"{rate / base_rate:.1f}x",
            )
        )
    print()
    print(table(results, ("store", "rows", "seconds", "rows/s", "naive rows/s", "ratio")))
    print(f"\ntarget: >= 100,000 rows/s into SQLite; naive baseline measured on {args.baseline_rows:,} rows")


if __name__ == "__main__":
    main()
