"""Ingest rules: read, validate, key, place and store an incident file as one transaction.

By default a file with any bad row is rejected whole and nothing is written; with
quarantine, bad rows go to a report file with their reasons and the rest is imported.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl
from sqlalchemy.orm import Session

from lantern.city import service as city_service
from lantern.errors import ValidationFailed
from lantern.incidents import service as incident_service
from lantern.ingest import repository
from lantern.ingest.keys import assign_keys
from lantern.ingest.profile import Profile
from lantern.ingest.read import ROW, read_table
from lantern.ingest.validate import describe_errors, validate
from lantern.kit.ids import file_sha256
from lantern.kit.time import utcnow
from lantern.models import ImportBatch

# stage name, units done so far, total units (rows) — drives the CLI's progress bar
ProgressCallback = Callable[[str, int, int], None]


class IngestRejected(ValidationFailed):
    """The file has bad rows and was not imported; ``details`` lists them."""

    code = "ingest_rejected"


@dataclass
class IngestReport:
    """What an import did, for the CLI and the API."""

    file: str
    profile: str
    rows_read: int
    inserted: int
    already_present: int
    duplicate_rows: int
    repeated_ids: int
    quarantined: int
    skipped_no_location: int
    outside_districts: int
    batch_id: int | None
    quarantine_file: str | None = None
    previously_imported_batches: list[int] = field(default_factory=list)

    def lines(self) -> list[str]:
        """A short human summary."""
        out = [
            f"{self.file}: {self.rows_read} rows read with profile {self.profile}",
            f"  {self.inserted} new incidents, {self.already_present} already present (not added again)",
            f"  {self.duplicate_rows} rows are exact duplicates of an earlier row in the file "
            "(kept: the source has no way to tell them apart)",
        ]
        if self.repeated_ids:
            out.append(f"  {self.repeated_ids} rows repeat an incident id with different content (kept, numbered)")
        if self.skipped_no_location:
            out.append(
                f"  {self.skipped_no_location} rows have no coordinates and were skipped "
                "(profile: missing_location = skip)"
            )
        if self.quarantined:
            out.append(f"  {self.quarantined} bad rows quarantined to {self.quarantine_file}")
        if self.outside_districts:
            out.append(f"  {self.outside_districts} incidents lie outside every district of the city model")
        if self.previously_imported_batches:
            ids = ", ".join(f"#{b}" for b in self.previously_imported_batches)
            out.append(f"  this exact file was imported before (batch {ids})")
        return out


def ingest_incidents(
    session: Session,
    path: Path,
    profile: Profile,
    *,
    h3_resolution: int,
    quarantine_to: Path | None = None,
    progress: ProgressCallback | None = None,
) -> IngestReport:
    """Import an incident file; raises IngestRejected (nothing written) on bad rows without quarantine."""
    started = utcnow()
    table = read_table(path, profile)
    total = table.height
    if progress:
        progress("validate", 0, total)
    checked = validate(table, profile, path.name)
    if checked.errors.height and quarantine_to is None:
        bad = checked.errors[ROW].n_unique()
        lines = describe_errors(checked.errors, path.name)
        raise IngestRejected(
            f"{path.name}: {bad} of {total} rows are invalid, so the file was not imported "
            f"(nothing was written). First problem: {lines[0]}. Fix the rows or pass "
            "--quarantine to import the good rows and write the bad ones to a report.",
            details={"problems": lines},
        )
    quarantined = int(checked.errors[ROW].n_unique()) if checked.errors.height else 0
    if quarantine_to is not None and quarantined:
        _write_quarantine(table, checked.errors, quarantine_to)
    if progress:
        progress("validate", total, total)

    rows, stats = assign_keys(checked.rows)
    lats = rows["lat"].to_numpy()
    lons = rows["lon"].to_numpy()
    index = city_service.district_index_or_none(session)
    districts = index.locate(lats, lons) if index is not None else np.full(rows.height, -1)
    sha = file_sha256(str(path))
    previous = [b.id for b in repository.batches_for_file(session, sha)]
    batch = repository.add_batch(
        session,
        ImportBatch(
            kind="incidents",
            file_name=path.name,
            file_sha256=sha,
            profile=profile.name,
            rows_read=total,
            inserted=0,
            duplicates_in_file=stats.duplicate_rows,
            already_present=0,
            quarantined=quarantined,
            skipped=checked.skipped_no_location,
            started_at=started,
            finished_at=started,
        ),
    )
    frame = rows.with_columns(
        pl.Series("district_id", districts).replace(-1, None).cast(pl.Int64),
        pl.lit(batch.id).alias("batch_id"),
    )
    done = 0

    def advance(count: int) -> None:
        nonlocal done
        done += count
        if progress:
            progress("store", done, frame.height)

    inserted = incident_service.store_frame(
        session, frame, source=profile.source, h3_resolution=h3_resolution, progress=advance
    )
    batch.inserted = inserted
    batch.already_present = frame.height - inserted
    batch.finished_at = utcnow()
    session.flush()
    return IngestReport(
        file=path.name,
        profile=profile.name,
        rows_read=total,
        inserted=inserted,
        already_present=frame.height - inserted,
        duplicate_rows=stats.duplicate_rows,
        repeated_ids=stats.repeated_ids,
        quarantined=quarantined,
        skipped_no_location=checked.skipped_no_location,
        outside_districts=int((districts < 0).sum()) if index is not None else 0,
        batch_id=batch.id,
        quarantine_file=str(quarantine_to) if quarantine_to is not None and quarantined else None,
        previously_imported_batches=previous,
    )


def _write_quarantine(table: pl.DataFrame, errors: pl.DataFrame, target: Path) -> None:
    """Bad rows with every reason, then the original values, as CSV."""
    reasons = errors.group_by(ROW, maintain_order=True).agg(
        pl.concat_str([pl.col("field"), pl.lit(" ("), pl.col("column"), pl.lit("): "), pl.col("reason")])
        .str.join("; ")
        .alias("problems")
    )
    report = (
        reasons.join(table, on=ROW, how="left").rename({ROW: "row"}).with_columns((pl.col("row") + 1).alias("line"))
    )
    ordered = ["row", "line", "problems", *[c for c in table.columns if c != ROW]]
    target.parent.mkdir(parents=True, exist_ok=True)
    report.select(ordered).write_csv(target)


def list_batches(session: Session, limit: int = 50) -> list[ImportBatch]:
    """Most recent import batches first."""
    return repository.list_batches(session, limit)
