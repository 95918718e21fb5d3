"""User profiles, file formats and time handling, on small hand-made files."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import polars as pl
import pytest
from sqlalchemy import select

from lantern.errors import NotFound, ValidationFailed
from lantern.ingest.profile import builtin_names, load_profile
from lantern.ingest.service import IngestRejected, ingest_incidents
from lantern.models import Incident

PROFILE = """
name = "test-city"
source = "test-city"
timezone = "Asia/Shanghai"
crs = "EPSG:4326"
time_precision = "minute"
time_formats = ["%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M"]
unknown_category = "error"

[categories]
"入室盗窃" = "burglary"
"THEFT" = "theft"

[columns]
id = "case_no"
occurred_at = "time"
category = "type"
x = "lng"
y = "lat"
"""
ROWS = [
    {"case_no": "A1", "time": "2024-03-01 08:30", "type": "入室盗窃", "lng": "121.47", "lat": "31.23"},
    {"case_no": "A2", "time": "2024/03/01 23:10", "type": "THEFT", "lng": "121.48", "lat": "31.24"},
]


@pytest.fixture
def profile_path(tmp_path):
    path = tmp_path / "test-city.toml"
    path.write_text(PROFILE, encoding="utf-8")
    return path


def _stored(session):
    return session.scalars(select(Incident).where(Incident.source == "test-city").order_by(Incident.natural_key)).all()


@pytest.mark.parametrize("fmt", ["csv", "json", "ndjson", "parquet"])
def test_every_format_imports_through_a_user_profile(session, tmp_path, profile_path, fmt):
    frame = pl.DataFrame(ROWS)
    path = tmp_path / f"cases.{fmt}"
    if fmt == "csv":
        frame.write_csv(path)
    elif fmt == "json":
        path.write_text(json.dumps(ROWS, ensure_ascii=False), encoding="utf-8")
    elif fmt == "ndjson":
        frame.write_ndjson(path)
    else:
        frame.write_parquet(path)
    report = ingest_incidents(session, path, load_profile(str(profile_path)), h3_resolution=9)
    assert report.inserted == 2
    stored = _stored(session)
    assert [i.natural_key for i in stored] == ["A1", "A2"]
    assert [i.category for i in stored] == ["burglary", "theft"]
    # 08:30 in Shanghai (UTC+8) is 00:30 UTC
    assert stored[0].occurred_from == datetime(2024, 3, 1, 0, 30, tzinfo=UTC)
    assert stored[1].occurred_from == datetime(2024, 3, 1, 15, 10, tzinfo=UTC)


def test_unknown_category_is_an_error_when_the_profile_says_so(session, tmp_path, profile_path):
    path = tmp_path / "cases.csv"
    pl.DataFrame([*ROWS, {**ROWS[0], "case_no": "A3", "type": "诈骗"}]).write_csv(path)
    with pytest.raises(
        IngestRejected, match=r"row 3 \(line 4\), field `category` \(column `type`\): '诈骗' is not one of"
    ):
        ingest_incidents(session, path, load_profile(str(profile_path)), h3_resolution=9)


def test_latitude_out_of_range_names_row_and_field(session, tmp_path, profile_path):
    path = tmp_path / "cases.csv"
    pl.DataFrame([ROWS[0], {**ROWS[1], "lat": "123.4"}]).write_csv(path)
    with pytest.raises(
        IngestRejected,
        match=r"row 2 \(line 3\), field `y` \(column `lat`\): '123.4' gives a latitude outside \[-90, 90\]",
    ):
        ingest_incidents(session, path, load_profile(str(profile_path)), h3_resolution=9)


def test_an_unparseable_time_lists_the_formats_tried(session, tmp_path, profile_path):
    path = tmp_path / "cases.csv"
    pl.DataFrame([{**ROWS[0], "time": "yesterday"}]).write_csv(path)
    with pytest.raises(IngestRejected, match="'yesterday' is not a time in format"):
        ingest_incidents(session, path, load_profile(str(profile_path)), h3_resolution=9)


def test_a_local_time_in_a_daylight_saving_gap_is_read_an_hour_later(session, tmp_path):
    profile = tmp_path / "dst.toml"
    profile.write_text(
        'name = "dst"\nsource = "dst"\ntimezone = "America/Chicago"\ntime_formats = ["%Y-%m-%d %H:%M"]\n'
        'category = "x"\n[columns]\noccurred_at = "t"\nx = "x"\ny = "y"\n'
    )
    path = tmp_path / "dst.csv"
    path.write_text("t,x,y\n2014-03-09 02:30,-87.6,41.8\n")
    ingest_incidents(session, path, load_profile(str(profile)), h3_resolution=9)
    stored = session.scalars(select(Incident).where(Incident.source == "dst")).one()
    assert stored.occurred_from == datetime(2014, 3, 9, 8, 30, tzinfo=UTC)  # 03:30 CDT


def test_unknown_profile_lists_the_built_in_ones():
    with pytest.raises(NotFound) as caught:
        load_profile("no-such-profile")
    for name in builtin_names():
        assert name in caught.value.message


def test_an_invalid_profile_says_which_key_is_wrong(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(
        'name = "bad"\nsource = "bad"\ntimezone = "Mars/Olympus"\ncategory = "x"\n[columns]\noccurred_at = "t"\nx = "x"\ny = "y"\n'
    )
    with pytest.raises(ValidationFailed, match="timezone.*unknown time zone 'Mars/Olympus'"):
        load_profile(str(path))


def test_a_profile_needs_one_time_column(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('name = "bad"\nsource = "bad"\ncategory = "x"\n[columns]\nx = "x"\ny = "y"\n')
    with pytest.raises(ValidationFailed, match="exactly one of columns.occurred_at or columns.occurred_from"):
        load_profile(str(path))


def test_an_unreadable_file_is_reported(session, tmp_path, profile_path):
    path = tmp_path / "cases.parquet"
    path.write_bytes(b"not parquet at all")
    with pytest.raises(ValidationFailed, match="cases.parquet: cannot be read as parquet"):
        ingest_incidents(session, path, load_profile(str(profile_path)), h3_resolution=9)


def test_from_to_windows_with_split_date_and_time_columns(session, tmp_path):
    profile = tmp_path / "window.toml"
    profile.write_text(
        'name = "w"\nsource = "w"\ntimezone = "UTC"\ntime_formats = ["%Y-%m-%d %H%M"]\ncategory = "burglary"\n'
        '[columns]\noccurred_from = ["DATE_FROM", "TIME_FROM"]\noccurred_to = ["DATE_TO", "TIME_TO"]\nx = "X"\ny = "Y"\n'
    )
    path = tmp_path / "w.csv"
    path.write_text(
        "DATE_FROM,TIME_FROM,DATE_TO,TIME_TO,X,Y\n"
        "1993-01-06,2355,1993-01-07,0439,24.94,60.17\n"
        "1993-01-06,0000,1993-01-06,0000,24.95,60.17\n"
        "1993-01-08,1730,1993-01-08,0700,24.95,60.17\n"
    )
    with pytest.raises(IngestRejected, match=r"row 3 .*field `occurred_to`.*is before occurred_from"):
        ingest_incidents(session, path, load_profile(str(profile)), h3_resolution=9)
    path.write_text(path.read_text().rsplit("\n", 2)[0] + "\n")
    ingest_incidents(session, path, load_profile(str(profile)), h3_resolution=9)
    stored = session.scalars(select(Incident).where(Incident.source == "w").order_by(Incident.occurred_from)).all()
    assert stored[0].time_precision == "minute"
    assert stored[1].time_precision == "window"
    assert stored[1].occurred_to == datetime(1993, 1, 7, 4, 39, tzinfo=UTC)
