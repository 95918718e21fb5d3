"""Bad rows: a file with one is rejected whole and the database is unchanged, or quarantined."""

from __future__ import annotations

import csv
import gzip
import shutil

import polars as pl
import pytest
from sqlalchemy import func, select

from lantern.ingest.profile import load_profile
from lantern.ingest.service import IngestRejected, ingest_incidents
from lantern.models import ImportBatch, Incident

pytestmark = pytest.mark.shared_data


def _table_counts(session):
    return {
        model.__tablename__: session.scalar(select(func.count()).select_from(model))
        for model in (Incident, ImportBatch)
    }


@pytest.fixture
def burglary_with_one_bad_row(shared_dir, tmp_path):
    source = shared_dir / "data" / "crime" / "chicago-burglary-2014-2017" / "chicago_burglary_2014_2017.csv"
    target = tmp_path / "burglary_broken.csv"
    with source.open(newline="") as src, target.open("w", newline="") as dst:
        reader, writer = csv.reader(src), csv.writer(dst)
        for number, row in enumerate(reader):
            if number == 17:  # data row 17 (line 18): y is not a number
                row[1] = "12x.5"
            writer.writerow(row)
    return target


def test_one_broken_row_rejects_the_file_naming_row_and_field(session, burglary_with_one_bad_row):
    before = _table_counts(session)
    with pytest.raises(IngestRejected) as caught:
        ingest_incidents(session, burglary_with_one_bad_row, load_profile("chicago-burglary"), h3_resolution=9)
    message = caught.value.message
    assert "1 of 45319 rows are invalid" in message
    assert "row 17 (line 18)" in message
    assert "field `y` (column `y`)" in message
    assert "'12x.5' is not a number" in message
    assert _table_counts(session) == before


def test_quarantine_imports_the_good_rows_and_reports_the_bad(session, burglary_with_one_bad_row, tmp_path):
    report_path = tmp_path / "bad.csv"
    report = ingest_incidents(
        session,
        burglary_with_one_bad_row,
        load_profile("chicago-burglary"),
        h3_resolution=9,
        quarantine_to=report_path,
    )
    assert report.quarantined == 1
    assert report.inserted == 45_318
    bad = pl.read_csv(report_path, infer_schema=False)
    assert bad.height == 1
    assert bad["row"][0] == "17" and bad["line"][0] == "18"
    assert "y (y): is not a number" in bad["problems"][0]
    assert bad["y"][0] == "12x.5"


def test_coordinates_outside_the_profile_bounds_are_errors(session, shared_dir, tmp_path):
    source = shared_dir / "data" / "crime" / "crimemappingdata-small" / "cincinnati_burglary.csv.gz"
    target = tmp_path / "swapped.csv.gz"
    with gzip.open(source, "rt", newline="") as src, gzip.open(target, "wt", newline="") as dst:
        rows = list(csv.reader(src))
        rows[3][3], rows[3][4] = rows[3][4], rows[3][3]  # latitude and longitude swapped
        csv.writer(dst).writerows(rows)
    with pytest.raises(IngestRejected, match=r"row 3 \(line 4\).*outside the profile's bounds"):
        ingest_incidents(session, target, load_profile("cincinnati-burglary"), h3_resolution=9)


def test_a_file_missing_a_profile_column_is_rejected_with_the_columns_it_has(session, tmp_path):
    target = tmp_path / "wrong.csv"
    target.write_text("when,lon,lat\n2020-01-01 10:00,-87.6,41.8\n")
    with pytest.raises(Exception, match=r"'date'.*missing; the file has when, lon, lat"):
        ingest_incidents(session, target, load_profile("chicago-assaults"), h3_resolution=9)


def test_copy_of_a_real_file_under_another_name_adds_nothing(session, shared_dir, tmp_path):
    source = shared_dir / "data" / "crime" / "crimemappingdata-small" / "cincinnati_burglary.csv.gz"
    copy = tmp_path / "renamed.csv.gz"
    shutil.copy(source, copy)
    profile = load_profile("cincinnati-burglary")
    ingest_incidents(session, source, profile, h3_resolution=9)
    again = ingest_incidents(session, copy, profile, h3_resolution=9)
    assert again.inserted == 0
