"""Importing every real file in ../shared/data/crime with its built-in profile."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from lantern.ingest.profile import load_profile
from lantern.ingest.service import ingest_incidents
from lantern.models import Incident

pytestmark = pytest.mark.shared_data

# file, profile, rows, exact duplicate rows (the data README's figures), rows without location
REAL_FILES = [
    ("chicago-aggassault-2010-2019/chicago_aggravated_assaults.csv.gz", "chicago-assaults", 148_636, 111, 0),
    ("chicago-burglary-2014-2017/chicago_burglary_2014_2017.csv", "chicago-burglary", 45_319, 521, 0),
    ("crimemappingdata-small/cincinnati_burglary.csv.gz", "cincinnati-burglary", 8_723, 0, 426),
    ("crimemappingdata-small/lancashire_asb.tab", "police-uk-street", 56_434, 20_100, 0),
]


@pytest.mark.parametrize(("relative", "profile", "rows", "duplicates", "no_location"), REAL_FILES)
def test_real_file_imports_once_and_reports_duplicates(
    session, shared_dir, relative, profile, rows, duplicates, no_location
):
    path = shared_dir / "data" / "crime" / relative
    chosen = load_profile(profile)
    first = ingest_incidents(session, path, chosen, h3_resolution=9)
    assert first.rows_read == rows
    assert first.duplicate_rows == duplicates
    assert first.skipped_no_location == no_location
    assert first.inserted == rows - no_location
    stored = session.scalar(select(func.count()).select_from(Incident).where(Incident.source == chosen.source))
    assert stored == rows - no_location

    again = ingest_incidents(session, path, chosen, h3_resolution=9)
    assert again.inserted == 0
    assert again.already_present == rows - no_location
    assert again.previously_imported_batches == [first.batch_id]
    assert session.scalar(select(func.count()).select_from(Incident).where(Incident.source == chosen.source)) == stored


def test_chicago_local_times_become_utc(session, shared_dir):
    path = shared_dir / "data" / "crime" / "chicago-aggassault-2010-2019" / "chicago_aggravated_assaults.csv.gz"
    ingest_incidents(session, path, load_profile("chicago-assaults"), h3_resolution=9)
    first = session.scalars(
        select(Incident).where(Incident.source == "chicago-aggassault").order_by(Incident.occurred_from).limit(1)
    ).one()
    # "2010-01-01 00:05" in Chicago (CST, UTC-6)
    assert first.occurred_from == datetime(2010, 1, 1, 6, 5, tzinfo=UTC)
    assert first.occurred_to == first.occurred_from
    assert first.premise == "residence"
    assert first.source_district == "2"


def test_chicago_burglary_metres_are_converted_to_wgs84_and_days_become_windows(session, shared_dir):
    path = shared_dir / "data" / "crime" / "chicago-burglary-2014-2017" / "chicago_burglary_2014_2017.csv"
    ingest_incidents(session, path, load_profile("chicago-burglary"), h3_resolution=9)
    rows = session.execute(
        select(func.min(Incident.lat), func.max(Incident.lat), func.min(Incident.lon), func.max(Incident.lon)).where(
            Incident.source == "chicago-burglary"
        )
    ).one()
    assert 41.6 < rows[0] < rows[1] < 42.1
    assert -88.0 < rows[2] < rows[3] < -87.5
    first = session.scalars(
        select(Incident).where(Incident.source == "chicago-burglary").order_by(Incident.occurred_from).limit(1)
    ).one()
    # 01/01/2014 is a whole day in Chicago: 06:00 UTC to 06:00 UTC the next day
    assert first.occurred_from == datetime(2014, 1, 1, 6, 0, tzinfo=UTC)
    assert first.occurred_to == datetime(2014, 1, 2, 6, 0, tzinfo=UTC)
    assert first.time_precision == "day"


def test_police_uk_months_become_month_windows(session, shared_dir):
    path = shared_dir / "data" / "crime" / "crimemappingdata-small" / "lancashire_asb.tab"
    ingest_incidents(session, path, load_profile("police-uk-street"), h3_resolution=9)
    first = session.scalars(select(Incident).where(Incident.source == "police-uk").order_by(Incident.id).limit(1)).one()
    assert first.occurred_from == datetime(2022, 1, 1, 0, 0, tzinfo=UTC)  # GMT in January
    assert first.occurred_to == datetime(2022, 2, 1, 0, 0, tzinfo=UTC)
    assert first.attributes == {"lsoa_code": "E01012607"}
    assert first.description == "Hazelwood Close"
